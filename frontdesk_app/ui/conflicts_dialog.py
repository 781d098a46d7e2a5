"""The conflict list: writes the server refused after an outage, each resolved by a person.

For each one the person picks another time (offered from the provider's free slots) and the
write is sent again, or discards it. Nothing is resolved behind their back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from frontdesk_app.domain import clock
from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.ui.async_bridge import AsyncBridge
from frontdesk_app.ui.calendar.slot_picker import SlotPicker
from frontdesk_app.ui.message_bar import MessageBar
from frontdesk_app.ui.sync_status import ConflictItem, ConflictSource

OPERATION_TEXT = {
    "create": "New booking",
    "reschedule": "Move",
    "cancel": "Cancellation",
    "patient": "New patient",
    "visit": "Check-in (flow board)",
    "waitlist": "Waitlist entry",
    "series": "Recurring series",
    "series_cancel": "Series cancellation",
    "series_reschedule": "Series move",
}


class ConflictListDialog(QDialog):
    """Shown from the status bar; `resolved` fires after each resolution."""

    resolved = Signal(str)  # conflict id

    def __init__(
        self,
        backend: Backend,
        bridge: AsyncBridge,
        *,
        zone: ZoneInfo,
        provider_names: dict[str, str],
        patient_names: dict[str, str] | None = None,
        appointment_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Changes that need your decision")
        self.setAccessibleName("Conflicts")
        self.resize(820, 440)
        self._backend = backend
        self._bridge = bridge
        self._zone = zone
        self._providers = provider_names
        self._patients = patient_names or {}
        self.items: list[ConflictItem] = []
        self._wanted = appointment_id  # the conflict to start on (a calendar tile was clicked)
        self.message = MessageBar(self)
        heading = QLabel("Changes that need your decision")
        heading.setProperty("role", "heading")
        intro = QLabel(
            "These changes were made while FrontDesk was offline, and the server refused them "
            "when the connection came back. Choose another time for each, or discard it."
        )
        intro.setWordWrap(True)
        intro.setProperty("role", "hint")
        self.table = QTreeWidget()
        self.table.setAccessibleName("Conflicts")
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        self.table.setHeaderLabels(["Change", "Wanted time", "Provider", "Patient", "Reason"])
        header = self.table.header()
        header.setStretchLastSection(True)
        for column in range(4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.currentItemChanged.connect(self._on_current_changed)
        self.reason = QLabel()
        self.reason.setAccessibleName("Why the server refused it")
        self.reason.setWordWrap(True)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.day = QDateEdit()
        self.day.setAccessibleName("Date for the new time")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("ddd d MMM yyyy")
        self.time = SlotPicker(backend, bridge, zone, self)
        self.resend = QPushButton("Send with this time")
        self.resend.setProperty("primary", True)
        self.discard = QPushButton("Discard change")
        self.discard.setAccessibleName("Discard change")
        picker = QHBoxLayout()
        picker.setSpacing(8)
        picker.addWidget(QLabel("Another time:"))
        picker.addWidget(self.day)
        picker.addWidget(self.time, 1)
        picker.addWidget(self.resend)
        picker.addSpacing(16)
        picker.addWidget(self.discard)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.resend.clicked.connect(self._on_resend_clicked)
        self.discard.clicked.connect(self._on_discard_clicked)
        self.day.dateChanged.connect(self._on_day_changed)
        self.empty = QLabel("No conflicts: every change has been accepted by the server.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(self.message)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.reason)
        layout.addWidget(self.empty)
        layout.addLayout(picker)
        layout.addWidget(buttons)
        self._set_actions_enabled(False)
        self.refresh()

    # --- loading -----------------------------------------------------------------------------
    def refresh(self) -> None:
        if not isinstance(self._backend, ConflictSource):
            self.show_items([])
            return
        self._bridge.run(
            self._backend.list_conflicts(),
            on_success=self._on_loaded,
            where=self,
            context="loading the conflicts",
        )

    def _on_loaded(self, conflicts: Sequence[Any]) -> None:
        self.show_items([ConflictItem.from_conflict(c) for c in conflicts])

    def show_items(self, items: list[ConflictItem]) -> None:
        self.items = items
        self.table.clear()
        for item in items:
            when = item.start.astimezone(self._zone) if item.start else None
            row = QTreeWidgetItem(
                [
                    OPERATION_TEXT.get(item.operation, item.operation.capitalize()),
                    f"{when:%a %d %b %H:%M}" if when else "—",
                    self._providers.get(item.provider_id or "", ""),
                    self._patients.get(item.patient_id or "", ""),
                    item.reason,
                ]
            )
            row.setToolTip(4, item.reason)
            row.setData(0, Qt.ItemDataRole.UserRole, item.id)
            self.table.addTopLevelItem(row)
        self.empty.setVisible(not items)
        self.table.setVisible(bool(items))
        self.reason.setVisible(bool(items))
        wanted = next((n for n, i in enumerate(items) if i.appointment_id == self._wanted), 0)
        first = self.table.topLevelItem(wanted)
        if first is not None:
            self.table.setCurrentItem(first)
        else:
            self._set_actions_enabled(False)

    # --- choosing ----------------------------------------------------------------------------
    def current(self) -> ConflictItem | None:
        row = self.table.currentItem()
        if row is None:
            return None
        wanted = row.data(0, Qt.ItemDataRole.UserRole)
        return next((i for i in self.items if i.id == wanted), None)

    def _set_actions_enabled(self, enabled: bool, *, slots: bool = True) -> None:
        self.discard.setEnabled(enabled)
        for widget in (self.day, self.time, self.resend):
            widget.setEnabled(enabled and slots)

    def _on_current_changed(self, *_args: object) -> None:
        item = self.current()
        self.reason.setText(f"<b>Why:</b> {item.reason}" if item else "")
        if item is None:
            self._set_actions_enabled(False)
            return
        choose = item.can_choose_slot and bool(item.provider_id)
        self._set_actions_enabled(True, slots=choose)
        if choose:
            day = (
                item.start.astimezone(self._zone).date() if item.start else clock.today(self._zone)
            )
            self.time.prefer(item.start)
            if self.day.date() == QDate(day.year, day.month, day.day):
                self._load_times()
            else:
                self.day.setDate(QDate(day.year, day.month, day.day))

    def _on_day_changed(self, _qdate: QDate) -> None:
        self._load_times()

    def _load_times(self) -> None:
        item = self.current()
        if item is None or not item.provider_id:
            return
        qd = self.day.date()
        self.time.load(
            item.provider_id, date(qd.year(), qd.month(), qd.day()), item.duration_minutes or 30
        )

    # --- resolving ---------------------------------------------------------------------------
    def _on_resend_clicked(self) -> None:
        item, start = self.current(), self.time.selected()
        if item is None or start is None:
            self.message.show_message("Choose a free time first", level="warning")
            return
        self._resolve(item, start)

    def _on_discard_clicked(self) -> None:
        item = self.current()
        if item is not None:
            self._resolve(item, None)

    def _resolve(self, item: ConflictItem, start: datetime | None) -> None:
        if not isinstance(self._backend, ConflictSource):
            return
        self._set_actions_enabled(False)
        self._bridge.run(
            self._backend.resolve_conflict(item.id, new_start_time=start),
            on_success=lambda _r: self._on_resolved(item.id),
            on_error=self._on_failed,
            owner=self,
            busy="Resolving…",
            context="resolving a conflict",
        )

    def _on_resolved(self, conflict_id: str) -> None:
        self.message.show_message("Done", "The change was resolved.", level="info")
        self.resolved.emit(conflict_id)
        self.refresh()

    def _on_failed(self, exc: BaseException) -> bool:
        self._on_current_changed()
        if isinstance(exc, FrontDeskError):
            self.message.show_error(exc)
            return True
        return False

    def show_error(self, error: FrontDeskError) -> None:
        self.message.show_error(error)
