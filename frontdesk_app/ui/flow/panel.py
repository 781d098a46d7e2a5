"""The flow board (Ctrl+5): today's patients by where they are, one key to move one on.

Rows are ordered by who needs someone now: waiting in reception, in a room, with the provider,
then those still to come, then those done. The last column counts the minutes in the current
state (amber, then red, past `board.WAIT_LIMITS`), or offers a no-show once a patient is late
by the desk's grace (Settings → "Offer a no-show when", 15 minutes unless changed). Keys on
the selected row: Enter the usual next step, A arrived, R in a room (the room box's number),
P with the provider, O checked out, N no-show. Marking a patient arrived asks for an
eligibility check when today's has not been done.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from frontdesk_app.domain import clock
from frontdesk_app.domain.changes import change_of
from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.domain.models import Appointment, AppointmentQuery, Event, Patient
from frontdesk_app.domain.pages import DAY_PAGES, PAGE, every_appointment
from frontdesk_app.domain.timeutil import local_day_bounds
from frontdesk_app.domain.visits import VISIT_EVENT, Visit, VisitChange, VisitState, next_state
from frontdesk_app.ui.calendar.eligibility_badges import KnownChecks
from frontdesk_app.ui.eligibility.state import eligibility_state_for
from frontdesk_app.ui.flow.board import FlowRow, Tone, counts, no_show_grace, ordered
from frontdesk_app.ui.message_bar import MessageBar
from frontdesk_app.ui.panels import SLOT_FLOW, PanelContext, PanelSpec
from frontdesk_app.ui.patients.fetch import fetch_patients
from frontdesk_app.ui.sync_status import when_the_server_answers

COLUMNS = ("Time", "Patient", "Provider", "Where", "Room", "Waiting")
TICK_MS = 30_000  # the waiting minutes move on
RELOAD_MS = 500  # appointments changed: read the day again, once
KEYS: dict[Qt.Key, VisitState] = {
    Qt.Key.Key_A: "arrived",
    Qt.Key.Key_R: "in_room",
    Qt.Key.Key_P: "with_provider",
    Qt.Key.Key_O: "checked_out",
    Qt.Key.Key_N: "no_show",
}
TONES: dict[Tone, QColor | None] = {
    "calm": None,
    "amber": QColor("#fde7b0"),
    "red": QColor("#f7c1bd"),
}
ALL = ""


class FlowBoardPanel(QWidget):
    def __init__(self, ctx: PanelContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setAccessibleName("Flow board")
        self.rows: list[FlowRow] = []
        self._patients: dict[str, Patient] = {}
        self._generation = 0
        self.summary = QLabel()
        self.summary.setObjectName("FlowSummary")
        self.provider = QComboBox()
        self.provider.setAccessibleName("Provider")
        self.provider.addItem("All providers", ALL)
        self.room = QLineEdit()
        self.room.setPlaceholderText("Room")
        self.room.setAccessibleName("Room")
        self.room.setMaxLength(40)
        self.room.setFixedWidth(80)
        self.buttons: dict[VisitState, QPushButton] = {}
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(QLabel("Provider"))
        top.addWidget(self.provider)
        actions = QHBoxLayout()
        self.next_button = QPushButton("Next step (Enter)")
        self.next_button.clicked.connect(self.move_next)
        actions.addWidget(self.next_button)
        for state, text in (
            ("arrived", "Arrived (A)"),
            ("in_room", "In room (R)"),
            ("with_provider", "With provider (P)"),
            ("checked_out", "Checked out (O)"),
            ("no_show", "No-show (N)"),
        ):
            button = QPushButton(text)
            button.clicked.connect(lambda _c=False, s=state: self.move_to(s))
            self.buttons[state] = button  # type: ignore[index]
            actions.addWidget(button)
        actions.addWidget(self.room)
        actions.addStretch(1)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("Today's patients")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_enabled)
        self.table.installEventFilter(self)
        self.message = MessageBar(self)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(actions)
        layout.addWidget(self.message)  # floats over the table's top when it shows
        layout.addWidget(self.table, 1)
        self.provider.currentIndexChanged.connect(lambda _i: self._fill())
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._fill)
        self._tick.start()
        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(RELOAD_MS)
        self._reload.timeout.connect(self.reload)
        self._unsubscribe = ctx.events.subscribe(self._on_events)
        # An offline-first desk: the day read before the server answered (at start-up, in an
        # outage) is this computer's copy; it is read again once the server answers.
        self._unsubscribe_state = when_the_server_answers(ctx.backend, self._on_server_answers)
        self._update_enabled()
        # The day is read when the board is first shown (`on_shown`), not at start-up.
        self._opened = False

    # --- reading the day ---------------------------------------------------------------------
    def reload(self) -> None:
        self._generation += 1
        self.ctx.bridge.run(
            self._load(self._generation),
            where=self,
            busy="Loading today's patients…",
            context="loading the flow board",
        )

    async def _load(self, generation: int) -> None:
        backend, zone = self.ctx.backend, self.ctx.zone
        start, end = local_day_bounds(clock.today(zone), zone)
        providers = {p.id: p.name for p in await backend.list_providers()}
        query = AppointmentQuery(start=start, end=end, limit=PAGE)
        day = await every_appointment(backend, query, max_pages=DAY_PAGES)
        appointments = [a for a in day if a.status != "cancelled"]
        visits = {v.appointment_id: v for v in await backend.list_visits(start, end)}
        missing = {a.patient_id for a in appointments} - self._patients.keys()
        self._patients.update(await fetch_patients(backend, missing))
        if generation != self._generation:
            return  # a newer read is under way
        self.rows = [
            FlowRow(
                appointment=a,
                visit=visits.get(a.id) or Visit(appointment_id=a.id),
                patient=self._name(a.patient_id),
                provider=providers.get(a.provider_id, ""),
            )
            for a in appointments
        ]
        self._fill_providers(providers)
        self._fill()

    def _name(self, patient_id: str) -> str:
        patient = self._patients.get(patient_id)
        return patient.full_name if patient is not None else "Unknown patient"

    def _fill_providers(self, providers: dict[str, str]) -> None:
        shown = {self.provider.itemData(i) for i in range(self.provider.count())}
        for provider_id in sorted({r.appointment.provider_id for r in self.rows} - shown):
            self.provider.addItem(providers.get(provider_id, provider_id), provider_id)

    # --- showing it ----------------------------------------------------------------------------
    def visible_rows(self) -> list[FlowRow]:
        wanted = self.provider.currentData()
        rows = [r for r in self.rows if not wanted or r.appointment.provider_id == wanted]
        return ordered(rows)

    def _fill(self) -> None:
        now = clock.now()
        grace = no_show_grace(self.ctx.settings.no_show_grace_minutes)
        selected = self.selected()
        keep = selected.appointment.id if selected is not None else None
        rows = self.visible_rows()
        day = now.astimezone(self.ctx.zone)
        self.summary.setText(f"{day:%A} {day.day} {day:%B} · {counts(rows)}")
        self.table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            starts = row.appointment.start_time.astimezone(self.ctx.zone).strftime("%H:%M")
            cells = (
                starts,
                row.patient,
                row.provider,
                row.label,
                row.visit.room or "",
                row.waiting_text(now, grace),
            )
            colour = TONES[row.tone(now, grace)]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, row.appointment.id)
                if colour is not None:
                    item.setBackground(QBrush(colour))
                self.table.setItem(index, column, item)
            if row.appointment.id == keep:
                self.table.selectRow(index)
        if keep is None and rows:
            self.table.selectRow(0)  # the patient who needs someone first, ready for a key
        self._update_enabled()

    def selected(self) -> FlowRow | None:
        items = self.table.selectedItems()
        if not items:
            return None
        appointment_id = items[0].data(Qt.ItemDataRole.UserRole)
        return next((r for r in self.rows if r.appointment.id == appointment_id), None)

    def _update_enabled(self) -> None:
        row = self.selected()
        following = next_state(row.state) if row is not None else None
        self.next_button.setEnabled(following is not None)
        for button in self.buttons.values():
            button.setEnabled(row is not None)

    # --- moving a patient on -------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The table's keys: Enter and the letters move the selected patient on."""
        if watched is self.table and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            plain = not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            if plain and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.move_next()
                return True
            if plain and (state := KEYS.get(Qt.Key(event.key()))) is not None:
                self.move_to(state)
                return True
        return super().eventFilter(watched, event)

    def move_next(self) -> None:
        row = self.selected()
        following = next_state(row.state) if row is not None else None
        if following is not None:
            self.move_to(following)

    def move_to(self, state: VisitState) -> None:
        row = self.selected()
        if row is None:
            return
        room = self.room.text().strip() or None if state == "in_room" else None
        change = VisitChange(state=state, room=room)
        self.ctx.bridge.run(
            self._move(row, change),
            where=self,
            on_error=self._refused,
            context="updating the patient's visit",
        )

    async def _move(self, row: FlowRow, change: VisitChange) -> None:
        visit = await self.ctx.backend.change_visit(row.appointment.id, change)
        self._apply(visit)
        if visit.state == "in_room":
            self.room.clear()
        if visit.state == "arrived":
            await self._ask_for_eligibility(row)

    def _refused(self, exc: BaseException) -> bool:
        if isinstance(exc, FrontDeskError):
            self.message.show_error(exc)
            return True
        return False

    def _apply(self, visit: Visit) -> None:
        self.rows = [
            FlowRow(r.appointment, visit, r.patient, r.provider)
            if r.appointment.id == visit.appointment_id
            else r
            for r in self.rows
        ]
        self._fill()

    async def _ask_for_eligibility(self, row: FlowRow) -> None:
        """Arrived without a current eligibility answer for today: one click to check it."""
        backend = self.ctx.backend
        if not isinstance(backend, KnownChecks):
            return
        kept: Any = await backend.cached_eligibility_checks(row.appointment.patient_id)
        checks = kept.value if kept is not None else []
        state = eligibility_state_for(row.appointment, checks, zone=self.ctx.zone, now=clock.now())
        patient = self._patients.get(row.appointment.patient_id)
        if state not in ("unknown", "stale") or patient is None:
            return
        self.message.show_message(
            f"{patient.full_name} has arrived",
            "Insurance eligibility has not been checked for today.",
            level="warning",
            action=("Check eligibility", lambda: self._check_eligibility(patient)),
        )

    def _check_eligibility(self, patient: Patient) -> None:
        panel = self.ctx.show_panel("eligibility")
        prefill = getattr(panel, "prefill", None)
        if callable(prefill):
            prefill(patient, date_of_service=clock.today(self.ctx.zone))

    # --- live changes --------------------------------------------------------------------------
    def _on_events(self, events: list[Event]) -> None:
        for event in events:
            if event.type == VISIT_EVENT:
                try:
                    self._apply(Visit.model_validate(event.data))
                except ValueError:
                    self._reload.start()
            elif self._opened and self._about_today(event):
                self._reload.start()  # booked, moved or cancelled today: read the day again

    def _about_today(self, event: Event) -> bool:
        """An appointment event that may change today's rows (a queue draining for other days
        does not make the board read its day again)."""
        change = change_of(event)
        if change is not None:
            if change.previous_id is not None:
                return True  # an offline booking got its server id
            appointment, identifier = change.appointment, change.appointment_id
        elif event.type.startswith("appointment."):
            try:
                appointment = Appointment.model_validate(event.data)
            except ValueError:
                return True
            identifier = appointment.id
        else:
            return False
        if any(r.appointment.id == identifier for r in self.rows):
            return True  # one of today's moved away, or was cancelled
        today = clock.today(self.ctx.zone)
        return appointment is not None and (
            appointment.start_time.astimezone(self.ctx.zone).date() == today
        )

    def on_shown(self) -> None:
        self._opened = True
        self.reload()
        # After the window has moved the focus to the tab: the keys go to the board.
        QTimer.singleShot(0, self.table.setFocus)

    def _on_server_answers(self) -> None:
        if self._opened:
            self._reload.start()

    def shutdown(self) -> None:
        self._tick.stop()
        self._reload.stop()
        self._unsubscribe()
        if self._unsubscribe_state is not None:
            self._unsubscribe_state()


def build_flow_board(ctx: PanelContext) -> FlowBoardPanel:
    return FlowBoardPanel(ctx)


def flow_panel_spec() -> PanelSpec:
    return PanelSpec("flow", "Flow board", SLOT_FLOW, build_flow_board, icon="calendar")
