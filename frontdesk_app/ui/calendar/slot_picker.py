"""A list of start times that are actually free, from `provider_availability`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QWidget

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.domain.models import Availability
from frontdesk_app.ui.async_bridge import AsyncBridge
from frontdesk_app.ui.calendar.time_note import nearest


class SlotPicker(QComboBox):
    """Offers only valid times; keeps the chosen time selected when the list is refreshed."""

    loaded = Signal(int)  # number of times offered

    def __init__(
        self, backend: Backend, bridge: AsyncBridge, zone: ZoneInfo, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._backend = backend
        self._bridge = bridge
        self._zone = zone
        self._generation = 0
        self._wanted: datetime | None = None
        self.loading = False
        self.setAccessibleName("Start time")
        self.setMinimumContentsLength(18)

    def selected(self) -> datetime | None:
        value = self.currentData()
        return value if isinstance(value, datetime) else None

    def prefer(self, start: datetime | None) -> None:
        """Select this start once it is offered (now, or after the next load)."""
        self._wanted = start
        if start is not None:
            self._select(start)

    def load(
        self,
        provider_id: str,
        day: date,
        duration_minutes: int,
        *,
        extra: Iterable[datetime] = (),
    ) -> None:
        keep = self.selected() or self._wanted
        self._generation += 1
        generation = self._generation
        self.loading = True
        self.clear()
        self.addItem("Looking for free times…", None)
        self.setEnabled(False)
        extras = list(extra)

        def done(availability: Availability) -> None:
            if generation == self._generation:
                self._fill(availability, extras, keep)

        def failed(exc: BaseException) -> bool:
            if generation != self._generation or not isinstance(exc, FrontDeskError):
                return False
            self.loading = False
            self.clear()
            self.addItem("Free times could not be loaded", None)
            return False  # still let the error sink show why

        self._bridge.run(
            self._backend.provider_availability(provider_id, day, duration_minutes),
            on_success=done,
            on_error=failed,
            where=self.window(),
            context="loading free times",
            owner=self,
        )

    def _fill(
        self, availability: Availability, extra: list[datetime], keep: datetime | None
    ) -> None:
        self.loading = False
        self.clear()
        starts = sorted({s.start_time for s in availability.slots} | set(extra))
        for start in starts:
            local = start.astimezone(self._zone)
            self.addItem(f"{local:%H:%M}", start)
        if not starts:
            self.addItem("No free times on this day", None)
            self.setEnabled(False)
        else:
            self.setEnabled(True)
            if keep is not None:
                self._select(keep)
        self.loaded.emit(len(starts))

    def starts(self) -> list[datetime]:
        """The free starts offered."""
        found = (self.itemData(index) for index in range(self.count()))
        return [value for value in found if isinstance(value, datetime)]

    def _select(self, start: datetime) -> None:
        """That start, or the free one nearest to it (the dialog says why it moved)."""
        chosen = nearest(self.starts(), start)
        if chosen is not None:
            self.setCurrentIndex(self.findData(chosen))
