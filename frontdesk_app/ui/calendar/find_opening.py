"""The "find next opening" dialog: a provider (or any) and a length, searched day by day."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.domain.models import Provider
from frontdesk_app.domain.timeutil import utc_now
from frontdesk_app.ui.async_bridge import AsyncBridge
from frontdesk_app.ui.calendar.duration_box import DurationBox
from frontdesk_app.ui.calendar.openings import MAX_SEARCH_DAYS, Opening, find_next_opening
from frontdesk_app.ui.message_bar import MessageBar

ANY = ""


class FindOpeningDialog(QDialog):
    """Search, then book the opening found or show it in the calendar."""

    book_requested = Signal(str, object)  # provider id, start
    show_requested = Signal(str, object)

    def __init__(
        self,
        backend: Backend,
        bridge: AsyncBridge,
        *,
        providers: list[Provider],
        zone: ZoneInfo,
        provider_id: str | None = None,
        first_day: date | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Find next opening")
        self.setAccessibleName("Find next opening")
        self.setMinimumWidth(440)
        self._backend = backend
        self._bridge = bridge
        self._zone = zone
        self._providers = providers
        self._task: asyncio.Task[Opening | None] | None = None
        self.found: Opening | None = None
        self.message = MessageBar(self)
        self.provider = QComboBox()
        self.provider.setAccessibleName("Provider")
        self.provider.addItem("Any provider", ANY)
        for p in providers:
            self.provider.addItem(f"{p.name} — {p.specialty}", p.id)
        if provider_id:
            self.provider.setCurrentIndex(max(0, self.provider.findData(provider_id)))
        self.duration = DurationBox(30)
        start = first_day or utc_now().astimezone(zone).date()
        self.from_day = QDateEdit(QDate(start.year, start.month, start.day))
        self.from_day.setAccessibleName("Search from")
        self.from_day.setCalendarPopup(True)
        self.from_day.setDisplayFormat("ddd d MMM yyyy")
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Search progress")
        self.progress.setRange(0, MAX_SEARCH_DAYS)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.outcome = QLabel("")
        self.outcome.setAccessibleName("Opening found")
        self.outcome.setWordWrap(True)
        self.outcome.setProperty("role", "heading")
        form = QFormLayout()
        form.setSpacing(10)
        form.addRow("Provider", self.provider)
        form.addRow("Length", self.duration)
        form.addRow("From", self.from_day)
        self.search_button = QPushButton("Search")
        self.search_button.setDefault(True)
        self.search_button.setAccessibleName("Search")
        self.later_button = QPushButton("Next after this")
        self.show_button = QPushButton("Show in calendar")
        self.book_button = QPushButton("Book this")
        self.book_button.setProperty("primary", True)
        for button in (self.later_button, self.show_button, self.book_button):
            button.setEnabled(False)
        buttons = QDialogButtonBox()
        buttons.addButton(self.search_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.later_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.show_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.book_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.search_button.clicked.connect(self._on_search_clicked)
        self.later_button.clicked.connect(self._on_later_clicked)
        self.show_button.clicked.connect(self._on_show_clicked)
        self.book_button.clicked.connect(self._on_book_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(12)
        layout.addWidget(self.message)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.outcome)
        layout.addWidget(buttons)

    def _chosen(self) -> list[Provider]:
        wanted = self.provider.currentData()
        return [p for p in self._providers if wanted in (ANY, p.id)]

    def search(self, *, after: datetime | None = None) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        qd = self.from_day.date()
        first = date(qd.year(), qd.month(), qd.day())
        if after is not None:
            first = after.astimezone(self._zone).date()
        self.found = None
        self.outcome.setText("Searching…")
        self.progress.setValue(0)
        self.progress.show()
        for button in (self.later_button, self.show_button, self.book_button):
            button.setEnabled(False)
        self._task = self._bridge.run(
            find_next_opening(
                self._backend,
                self._chosen(),
                self.duration.value(),
                first_day=first,
                not_before=after,
                progress=self._on_progress,
            ),
            on_success=self._on_found,
            on_error=self._on_failed,
            busy="Searching for an opening…",
            context="searching for an opening",
        )

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(total)
        self.progress.setValue(done)

    def _on_found(self, opening: Opening | None) -> None:
        self.progress.hide()
        self.found = opening
        if opening is None:
            self.outcome.setText(f"No opening of that length in the next {MAX_SEARCH_DAYS} days.")
            return
        start = opening.start.astimezone(self._zone)
        end = opening.slot.end_time.astimezone(self._zone)
        self.outcome.setText(
            f"{opening.provider.name}: {start:%A %d %B}, {start:%H:%M}–{end:%H:%M}"
        )
        for button in (self.later_button, self.show_button, self.book_button):
            button.setEnabled(True)
        self.book_button.setFocus()

    def _on_failed(self, exc: BaseException) -> bool:
        self.progress.hide()
        self.outcome.setText("")
        if isinstance(exc, FrontDeskError):
            self.message.show_error(exc)
            return True
        return False

    def _on_search_clicked(self) -> None:
        self.search()

    def _on_later_clicked(self) -> None:
        if self.found is not None:
            self.search(after=self.found.start + timedelta(minutes=1))

    def _on_show_clicked(self) -> None:
        if self.found is not None:
            self.show_requested.emit(self.found.provider.id, self.found.start)

    def _on_book_clicked(self) -> None:
        if self.found is not None:
            self.book_requested.emit(self.found.provider.id, self.found.start)
            self.accept()

    def done(self, result: int) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        super().done(result)
