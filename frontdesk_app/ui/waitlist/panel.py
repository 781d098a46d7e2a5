"""The waitlist (Ctrl+6): patients who asked for an earlier time, and who fits a freed slot.

On the left, "Everyone waiting" and the slots freed today: a cancel or a move at any desk
(those before this desk opened too, `earlier.py`), or a time offered from the calendar.
Choosing a slot ranks the patients who fit it (`domain/waitlist.candidates`: longest waiting
first, then the better fit); Enter or "Book into this slot" books the selected one — an
ordinary booking naming the entry, so if another desk took the slot or the patient first, this
desk is told and the next candidate is selected.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from frontdesk_app.domain import clock
from frontdesk_app.domain.changes import change_of
from frontdesk_app.domain.errors import (
    FrontDeskError,
    SlotUnavailable,
)
from frontdesk_app.domain.models import SYNC_EVENT, Appointment, Event, Patient, Provider
from frontdesk_app.domain.scheduling import SLOT_STEP
from frontdesk_app.domain.timeutil import format_local_range
from frontdesk_app.domain.waitlist import (
    FREEING,
    WAITLIST_EVENT,
    Candidate,
    FreeSlot,
    WaitlistEntry,
    candidates,
    describe_wish,
    freed_by,
)
from frontdesk_app.ui.message_bar import MessageBar
from frontdesk_app.ui.panels import SLOT_WAITLIST, PanelContext, PanelSpec
from frontdesk_app.ui.patients.fetch import fetch_patients
from frontdesk_app.ui.waitlist.actions import WaitlistActions
from frontdesk_app.ui.waitlist.earlier import freed_today, still_free
from frontdesk_app.ui.waitlist.entry_dialog import WaitlistEntryDialog

COLUMNS = ("Patient", "Asked for", "Waiting", "Fit", "Notes")
RELOAD_MS = 300
MAX_SLOTS = 30  # freed slots kept on the left, newest first
OPENING_LIMIT = timedelta(hours=4)  # the longest opening offered from one calendar click


class WaitlistPanel(QWidget):
    def __init__(self, ctx: PanelContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setAccessibleName("Waitlist")
        self.entries: list[WaitlistEntry] = []
        self.freed: list[FreeSlot] = []
        self.rows: list[Candidate] = []
        self.providers: dict[str, Provider] = {}
        self._patients: dict[str, Patient] = {}
        self._generation = 0
        self._opened = False
        self._caught_up = False  # the slots freed before the panel opened are listed
        self._slots_stale = False  # freed times arrived while the panel was hidden
        self.active_dialog: WaitlistEntryDialog | None = None
        self.acting = WaitlistActions(self)

        self.summary = QLabel()
        self.summary.setObjectName("WaitlistSummary")
        self.add_button = QPushButton("Add patient…")
        self.add_button.clicked.connect(self.open_add)
        self.change_button = QPushButton("Change…")
        self.change_button.setToolTip("Change what the selected patient asked for (double-click)")
        self.change_button.clicked.connect(self.open_change)
        self.remove_button = QPushButton("Take off the list (Del)")
        self.remove_button.clicked.connect(self.remove_selected)
        self.book_button = QPushButton("Book into this slot (Enter)")
        self.book_button.setProperty("primary", True)
        self.book_button.clicked.connect(self.book_selected)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.book_button)
        top.addWidget(self.change_button)
        top.addWidget(self.remove_button)
        top.addWidget(self.add_button)

        self.slot_list = QListWidget()
        self.slot_list.setAccessibleName("Freed slots")
        self.slot_list.currentRowChanged.connect(lambda _r: self._on_slot_chosen())
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        slots_heading = QLabel("Freed slots")
        slots_heading.setProperty("role", "heading")
        left_layout.addWidget(slots_heading)
        left_layout.addWidget(self.slot_list, 1)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("Patients waiting")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # What the patient asked for reads whole; long notes give way (the tooltip has them).
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_enabled)
        self.table.itemDoubleClicked.connect(lambda _item: self.open_change())
        self.table.installEventFilter(self)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.table)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([250, 1000])
        self.message = MessageBar(self)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(RELOAD_MS)
        self._reload.timeout.connect(self.reload)
        self._unsubscribe = ctx.events.subscribe(self._on_events)
        self.fill_slots()
        self._update_enabled()

    # --- reading -------------------------------------------------------------------------------
    def reload(self) -> None:
        self._generation += 1
        self.ctx.bridge.run(
            self._load(self._generation),
            where=self,
            busy="Loading the waitlist…",
            context="loading the waitlist",
        )

    async def _load(self, generation: int) -> None:
        backend = self.ctx.backend
        if not self.providers:
            self.providers = {p.id: p for p in await backend.list_providers()}
        entries = await backend.list_waitlist()
        missing = {e.patient_id for e in entries} - self._patients.keys()
        self._patients.update(await fetch_patients(backend, missing))
        earlier = (
            [] if self._caught_up else await freed_today(backend, self.ctx.zone, limit=MAX_SLOTS)
        )
        if generation != self._generation:
            return
        self.entries = entries
        if not self._caught_up:
            self._caught_up = True
            self.add_earlier(earlier)
        self.fill_slots()
        self.fill()

    def patient_name(self, patient_id: str) -> str:
        patient = self._patients.get(patient_id)
        return patient.full_name if patient is not None else "Unknown patient"

    def provider_name(self, provider_id: str | None) -> str | None:
        provider = self.providers.get(provider_id or "")
        return provider.name if provider is not None else None

    # --- the freed slots -----------------------------------------------------------------------
    def offer(self, slot: FreeSlot) -> None:
        """Offer this time: it goes to the top of the left list and is chosen."""
        self.add_slot(slot)
        self.slot_list.setCurrentRow(1)
        if not self._opened:
            self.on_shown()

    def offer_opening(self, provider_id: str, start: datetime) -> None:
        """A time a person chose on the calendar: offered for as long as it stays free."""
        self.ctx.bridge.run(
            self._opening(provider_id, start),
            on_success=self.offer,
            where=self,
            on_error=self.refused,
            context="finding how long the time is free",
        )

    async def _opening(self, provider_id: str, start: datetime) -> FreeSlot:
        day = start.astimezone(self.ctx.zone).date()
        step = int(SLOT_STEP.total_seconds() // 60)
        free = await self.ctx.backend.provider_availability(provider_id, day, step)
        starts = {s.start_time for s in free.slots}
        end = start
        while end in starts and end - start < OPENING_LIMIT:
            end += SLOT_STEP
        if end == start:
            raise SlotUnavailable("That time is not free.")
        return FreeSlot(provider_id, start, int((end - start).total_seconds() // 60))

    def add_slot(self, slot: FreeSlot, *, show: bool = True) -> None:
        self.freed = [
            s for s in self.freed if (s.provider_id, s.start) != (slot.provider_id, slot.start)
        ]
        self.freed.insert(0, slot)
        del self.freed[MAX_SLOTS:]
        if show:
            self.fill_slots()

    def add_earlier(self, slots: list[FreeSlot]) -> None:
        """Slots freed before the panel opened: after those freed since (they are newer)."""
        listed = {(s.provider_id, s.start) for s in self.freed}
        self.freed.extend(s for s in slots if (s.provider_id, s.start) not in listed)
        del self.freed[MAX_SLOTS:]

    def drop_slot(self, slot: FreeSlot) -> None:
        self.freed = [s for s in self.freed if s != slot]
        self.fill_slots()

    def selected_slot(self) -> FreeSlot | None:
        row = self.slot_list.currentRow()
        return self.freed[row - 1] if 1 <= row <= len(self.freed) else None

    def _slot_text(self, slot: FreeSlot) -> str:
        local = slot.start.astimezone(self.ctx.zone)
        fitting = len(candidates(self.entries, slot, zone=self.ctx.zone, now=clock.now()))
        who = self.provider_name(slot.provider_id) or "A provider"
        span = format_local_range(slot.start, slot.end, self.ctx.zone)
        fit = f"{fitting} fit" if fitting else "nobody fits"
        return f"{local:%a} {local.day} {local:%b} · {span}\n{who} · {fit}"

    def fill_slots(self) -> None:
        self._slots_stale = False
        keep = self.selected_slot()
        now = clock.now()
        self.freed = [s for s in self.freed if s.start > now]
        self.slot_list.blockSignals(True)
        self.slot_list.clear()
        self.slot_list.addItem(QListWidgetItem(f"Everyone waiting ({len(self.entries)})"))
        for slot in self.freed:
            self.slot_list.addItem(QListWidgetItem(self._slot_text(slot)))
        row = self.freed.index(keep) + 1 if keep in self.freed else 0
        self.slot_list.setCurrentRow(row)
        self.slot_list.blockSignals(False)

    def _on_slot_chosen(self) -> None:
        self.fill()
        slot = self.selected_slot()
        if slot is not None:
            self.ctx.bridge.run(self._check_still_free(slot), where=self, context="the slot")

    async def _check_still_free(self, slot: FreeSlot) -> None:
        """A freed slot another desk has filled since is said so, and leaves the list."""
        if not await still_free(self.ctx.backend, [slot], self.ctx.zone) and slot in self.freed:
            self.drop_slot(slot)
            self.fill()
            self.message.show_message(
                "That time has been filled",
                f"{self.when(slot)} is no longer free; it has left the list.",
                level="warning",
            )

    # --- the patients --------------------------------------------------------------------------
    def fill(self) -> None:
        now = clock.now()
        slot = self.selected_slot()
        if slot is None:
            self.rows = [
                Candidate(e, max(0, (now - e.created_at).days), e.provider_id is not None, 0)
                for e in self.entries
            ]
        else:
            self.rows = candidates(self.entries, slot, zone=self.ctx.zone, now=now)
        selected = self.selected()
        keep = selected.entry.id if selected is not None else None
        self.table.setColumnHidden(COLUMNS.index("Fit"), slot is None)  # fit: to a slot
        self.table.setRowCount(len(self.rows))
        for index, row in enumerate(self.rows):
            entry = row.entry
            waited = "today" if row.waited_days == 0 else f"{row.waited_days} d"
            cells = (
                self.patient_name(entry.patient_id),
                describe_wish(entry, self.provider_name(entry.provider_id)),
                waited,
                _fit_text(row) if slot is not None else "",
                entry.notes or "",
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, entry.id)
                item.setToolTip(text)
                self.table.setItem(index, column, item)
            if entry.id == keep:
                self.table.selectRow(index)
        if self.rows and self.selected() is None:
            self.table.selectRow(0)  # the first candidate, ready for Enter
        total = len(self.entries)
        if slot is None:
            self.summary.setText(f"{total} patient{'s' if total != 1 else ''} waiting")
        else:
            self.summary.setText(
                f"{self.when(slot)} · {len(self.rows)} of {total} waiting fit, best first"
            )
        self._update_enabled()

    def selected(self) -> Candidate | None:
        items = self.table.selectedItems()
        if not items:
            return None
        entry_id = items[0].data(Qt.ItemDataRole.UserRole)
        return next((r for r in self.rows if r.entry.id == entry_id), None)

    def _update_enabled(self) -> None:
        chosen = self.selected()
        self.book_button.setEnabled(chosen is not None and self.selected_slot() is not None)
        self.remove_button.setEnabled(chosen is not None)
        self.change_button.setEnabled(chosen is not None)

    def when(self, slot: FreeSlot) -> str:
        local = slot.start.astimezone(self.ctx.zone)
        span = format_local_range(slot.start, slot.end, self.ctx.zone)
        who = self.provider_name(slot.provider_id) or "a provider"
        return f"{local:%a} {local.day} {local:%b} {span} with {who}"

    # --- acting ----------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.book_selected()
                return True
            if event.key() == Qt.Key.Key_Delete:
                self.remove_selected()
                return True
        return super().eventFilter(watched, event)

    def open_add(self, patient: Patient | None = None) -> WaitlistEntryDialog:
        return self._open_dialog(patient if isinstance(patient, Patient) else None, None)

    def open_change(self) -> WaitlistEntryDialog | None:
        """Change what the selected patient asked for (the same entry, saved again)."""
        chosen = self.selected()
        if chosen is None:
            return None
        return self._open_dialog(self._patients.get(chosen.entry.patient_id), chosen.entry)

    def _open_dialog(
        self, patient: Patient | None, entry: WaitlistEntry | None
    ) -> WaitlistEntryDialog:
        dialog = WaitlistEntryDialog(
            self.ctx.backend,
            self.ctx.bridge,
            providers=list(self.providers.values()),
            zone=self.ctx.zone,
            patient=patient,
            entry=entry,
            parent=self,
        )
        dialog.saved.connect(self._on_saved if entry is not None else self._on_added)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.active_dialog = dialog
        dialog.open()
        return dialog

    def _on_added(self, entry: WaitlistEntry) -> None:
        self.message.show_message(
            "Added to the waitlist", f"{self.patient_name(entry.patient_id)} is on the list."
        )
        self.reload()

    def _on_saved(self, entry: WaitlistEntry) -> None:
        self.message.show_message(
            "Waitlist entry saved",
            f"What {self.patient_name(entry.patient_id)} asked for is saved.",
        )
        self.reload()

    def book_selected(self) -> None:
        """Enter: book the selected patient into the chosen slot."""
        self.acting.book_selected()

    def remove_selected(self) -> None:
        """Delete: take the selected patient off the list (Put back undoes it)."""
        self.acting.remove_selected()

    def refused(self, exc: BaseException) -> bool:
        if isinstance(exc, FrontDeskError):
            self.message.show_error(exc)
            return True
        return False

    # --- live changes ----------------------------------------------------------------------------
    def _on_events(self, events: list[Event]) -> None:
        """Freed times join the list as they come; the list is redrawn once per delivery, and
        only while the panel shows (a hidden panel catches up when it is shown): each line ranks
        everyone waiting, and a draining queue brings cancellations many times a second."""
        now = clock.now()
        freed = False
        for event in events:
            appointment = _appointment_of(event)
            if appointment is not None:
                slot = freed_by(appointment, now=now)
                if slot is not None:
                    self.add_slot(slot, show=False)
                    freed = True
            elif event.type == WAITLIST_EVENT and self._opened:
                self._reload.start()
        if freed:
            self._slots_stale = True
            if self.isVisible():
                self.fill_slots()

    def on_shown(self) -> None:
        if not self._opened:
            self._opened = True
            self.reload()
        elif self._slots_stale:
            self.fill_slots()
        QTimer.singleShot(0, self.table.setFocus)

    def shutdown(self) -> None:
        self._reload.stop()
        self._unsubscribe()


def _appointment_of(event: Event) -> Appointment | None:
    """The cancelled or moved appointment a change carries: the desk's change notification, or
    a server's appointment event (a desk without the sync: standalone, or the API directly).
    Bookings — nearly every event while a queue drains — are passed by before any parsing."""
    if event.type == SYNC_EVENT:
        row = event.data.get("appointment")
        if not isinstance(row, dict) or row.get("status") not in FREEING:
            return None
        change = change_of(event)
        return change.appointment if change is not None else None
    if event.type in ("appointment.cancelled", "appointment.rescheduled"):
        try:
            return Appointment.model_validate(event.data)
        except ValueError:
            return None
    return None


def _fit_text(row: Candidate) -> str:
    asked = "this provider" if row.named_provider else "any provider"
    spare = f"{row.spare_minutes} min spare" if row.spare_minutes else "fills the slot"
    return f"{asked} · {spare}"


def build_waitlist(ctx: PanelContext) -> WaitlistPanel:
    return WaitlistPanel(ctx)


def waitlist_panel_spec() -> PanelSpec:
    return PanelSpec("waitlist", "Waitlist", SLOT_WAITLIST, build_waitlist, icon="calendar")
