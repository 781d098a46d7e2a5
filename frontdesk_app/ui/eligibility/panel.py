"""The eligibility panel: choose a patient, check their coverage, see their earlier checks.

The form is on the left (patient, payer and member id from their insurance on file, date of
service, service codes), the answer on the right, and below it the patient's earlier checks —
from the backend (`list_eligibility_checks`: earlier sessions too) and those run since.
"Check tomorrow's appointments" runs the whole day with a progress bar. The panel is bound to
one patient at a time, named above the answer: choosing another patient (or clearing the
search) clears every result, and an answer for an earlier patient or check is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.domain.models import (
    EligibilityRequest,
    EligibilityResult,
    Event,
    Patient,
    Payer,
)
from frontdesk_app.domain.timeutil import utc_now
from frontdesk_app.ui.async_bridge import AsyncBridge
from frontdesk_app.ui.audit_menu import record_view
from frontdesk_app.ui.eligibility.batch import BatchBox
from frontdesk_app.ui.eligibility.patient_picker import PatientPicker
from frontdesk_app.ui.eligibility.result_view import ResultView
from frontdesk_app.ui.eligibility.service import RECHECKED, CheckOutcome, EligibilityService
from frontdesk_app.ui.eligibility.state import BatchItem, CheckHistory, verdict
from frontdesk_app.ui.events import EventFeed
from frontdesk_app.ui.message_bar import MessageBar
from frontdesk_app.ui.panels import SLOT_ELIGIBILITY, PanelContext, PanelSpec
from frontdesk_app.ui.patients.header import PatientHeader

_CODE_SPLIT = re.compile(r"[\s,;]+")


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def parse_codes(text: str) -> list[str]:
    """`99213, 20610` → `["99213", "20610"]`, upper-cased, duplicates dropped."""
    seen: dict[str, None] = {}
    for code in _CODE_SPLIT.split(text.strip()):
        if code:
            seen.setdefault(code.upper(), None)
    return list(seen)


class EligibilityPanel(QWidget):
    """Insurance eligibility for one patient at a time, plus a whole day's appointments."""

    outcome_shown = Signal(object)  # CheckOutcome, after each check finishes

    def __init__(
        self,
        backend: Backend,
        bridge: AsyncBridge,
        *,
        zone: ZoneInfo,
        history: CheckHistory | None = None,
        clock: Callable[[], datetime] = utc_now,
        feed: EventFeed | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("eligibilityPanel")
        self.setAccessibleName("Eligibility")
        self._bridge = bridge
        self._backend = backend
        self._zone = zone
        self._clock = clock
        self.history = history or CheckHistory()
        self.service = EligibilityService(backend, self.history, zone=zone, clock=clock)
        self.patient: Patient | None = None
        self._payers: dict[str, Payer] = {}
        self._generation = 0  # bumped per patient and per check: older answers are dropped
        self.header = PatientHeader(self)

        self.picker = PatientPicker(backend, bridge, self, where=self)
        self.payer = QComboBox(self)
        self.payer.setAccessibleName("Payer")
        self.member_id = QLineEdit(self)
        self.member_id.setAccessibleName("Member ID")
        self.member_id.setPlaceholderText("From the patient's insurance card")
        self.date_of_service = QDateEdit(self)
        self.date_of_service.setCalendarPopup(True)
        self.date_of_service.setDisplayFormat("ddd d MMM yyyy")
        self.date_of_service.setAccessibleName("Date of service")
        self.codes = QLineEdit(self)
        self.codes.setAccessibleName("Service codes")
        self.codes.setPlaceholderText("CPT codes, e.g. 99213, 20610 (optional)")
        self.check_button = QPushButton("Check eligibility", self)
        self.check_button.setProperty("primary", True)
        self.check_button.setAccessibleName("Check eligibility")
        self.check_button.setDefault(True)
        self.status = QLabel(self)
        self.status.setProperty("role", "hint")
        self.status.setWordWrap(True)
        self.error = MessageBar(self)
        self.batch = BatchBox(self.service, bridge, zone=zone, clock=clock, parent=self)

        self.result_view = ResultView(zone, self)
        self.history_table = QTableWidget(0, 4, self)
        self.history_table.setHorizontalHeaderLabels(
            ["Verified", "Date of service", "Payer", "Result"]
        )
        self.history_table.setAccessibleName("Earlier checks of this patient")
        self.history_table.verticalHeader().hide()
        self.history_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.history_table.setShowGrid(False)
        self.history_table.setAlternatingRowColors(True)
        self.history_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)

        self._build_layout()
        self.picker.patient_chosen.connect(self.on_picker_patient_chosen)
        self.picker.patient_cleared.connect(self.on_picker_patient_cleared)
        self.check_button.clicked.connect(self.on_check_clicked)
        self.member_id.textChanged.connect(self._update_enabled)
        # Enter in the form checks, as the default button would in a dialog.
        self.member_id.returnPressed.connect(self.on_check_clicked)
        self.codes.returnPressed.connect(self.on_check_clicked)
        self.history_table.itemSelectionChanged.connect(self.on_history_selection_changed)
        self.batch.patient_requested.connect(self.on_batch_patient_requested)
        self._unsubscribe = self.history.add_listener(self.on_history_added)
        self.destroyed.connect(lambda *_: self._unsubscribe())
        self._shown: CheckOutcome | None = None
        if feed is not None:
            unsubscribe_feed = feed.subscribe(self.on_feed_events)
            self.destroyed.connect(lambda *_: unsubscribe_feed())
        self.reset_date()
        self._update_enabled()
        bridge.run(
            self.service.payers(),
            on_success=self._on_payers_loaded,
            where=self,
            context="loading payers",
        )

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.setVerticalSpacing(10)
        form.addRow("Patient", self.picker)
        form.addRow("Payer", self.payer)
        form.addRow("Member ID", self.member_id)
        form.addRow("Date of service", self.date_of_service)
        form.addRow("Service codes", self.codes)
        buttons = QHBoxLayout()
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.status, 1)
        left = QVBoxLayout()
        left.setSpacing(12)
        title = QLabel("Check a patient's coverage", self)
        title.setProperty("role", "heading")
        left.addWidget(title)
        left.addLayout(form)
        left.addLayout(buttons)
        left.addWidget(self.error)
        left.addStretch(1)
        left.addWidget(self.batch)
        left_box = QWidget(self)
        left_box.setLayout(left)
        left_box.setMinimumWidth(360)
        left_box.setMaximumWidth(460)

        right = QVBoxLayout()
        right.setSpacing(12)
        right.addWidget(self.header)
        right.addWidget(self.result_view)
        self.history_caption = QLabel("Earlier checks", self)
        self.history_caption.setProperty("role", "heading")
        right.addWidget(self.history_caption)
        right.addWidget(self.history_table, 1)
        right_box = QWidget(self)
        right_box.setLayout(right)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        # Let the tab's white page show through instead of the scroll area's grey.
        scroll.setObjectName("panelScroll")
        scroll.setStyleSheet(
            "QScrollArea#panelScroll, QScrollArea#panelScroll > QWidget > QWidget"
            " { background: transparent; }"
        )
        scroll.setWidget(right_box)

        outer = QHBoxLayout(self)
        outer.setContentsMargins(16, 16, 16, 16)
        outer.setSpacing(24)
        outer.addWidget(left_box)
        outer.addWidget(scroll, 1)

    # --- public API (the main window and the live-calls panel use these) ---

    def prefill(
        self,
        patient: Patient,
        *,
        date_of_service: date | None = None,
        service_codes: list[str] | None = None,
        payer_id: str | None = None,
        member_id: str | None = None,
    ) -> None:
        """Fill the form for `patient` (a caller, an appointment); the person presses Check."""
        self.picker.set_patient(patient)
        if payer_id:
            self._select_payer(payer_id)
        if member_id:
            self.member_id.setText(member_id)
        if date_of_service is not None:
            self.date_of_service.setDate(_qdate(date_of_service))
        if service_codes is not None:
            self.codes.setText(", ".join(service_codes))

    def prefill_changed_insurance(
        self, patient: Patient, *, date_of_service: date | None = None
    ) -> None:
        """A caller with a new card: the patient is chosen, the old member id is not used."""
        self.prefill(patient, date_of_service=date_of_service)
        self.member_id.clear()
        self.status.setText(
            "Insurance changed: enter the payer and member ID from the caller's new card."
        )
        self.member_id.setFocus()

    def reset_date(self) -> None:
        today = self._clock().astimezone(self._zone).date()
        self.date_of_service.setDate(_qdate(today))

    def current_request(self) -> EligibilityRequest | None:
        if self.patient is None:
            return None
        payer_id = self.payer.currentData()
        member_id = self.member_id.text().strip()
        if not isinstance(payer_id, str) or not member_id:
            return None
        return EligibilityRequest(
            patient_id=self.patient.id,
            payer_id=payer_id,
            member_id=member_id,
            date_of_service=self.date_of_service.date().toPython(),
            service_codes=parse_codes(self.codes.text()),
        )

    def run_check(self) -> None:
        if self.patient is None:
            self.status.setText("Choose a patient first.")
            return
        request = self.current_request()
        if request is None:
            self.status.setText("Enter the payer and member ID from the insurance card.")
            return
        if not self.check_button.isEnabled():
            return
        self.error.hide()
        self.check_button.setEnabled(False)
        self.status.setText("Asking the payer…")
        self._generation += 1
        generation = self._generation
        self._bridge.run(
            self.service.check(request),
            on_success=lambda outcome: self._on_outcome(outcome, generation),
            on_error=lambda exc: self._on_check_error(exc, generation),
            owner=self,
            where=self,
            busy="Checking eligibility",
            context="checking eligibility",
        )

    def show_error(self, error: FrontDeskError) -> None:
        """`ErrorDisplay`: a refusal shown where the person is looking."""
        self.error.show_error(error)

    # --- slots ---

    def on_picker_patient_chosen(self, patient: Patient) -> None:
        self._bind(patient)
        record_view("patient.view", patient_id=patient.id)
        if patient.insurance is not None:
            self._select_payer(patient.insurance.payer_id)
            self.member_id.setText(patient.insurance.member_id)
            self.status.setText("")
        else:
            self.member_id.clear()
            self.status.setText("No insurance on file for this patient.")
        self._fill_history()
        self._update_enabled()
        self._bridge.run(
            self.service.load_known(patient),
            where=self,
            # The history is a help: a refusal is not worth a message (a bug still is).
            on_error=lambda exc: isinstance(exc, FrontDeskError),
            context="loading earlier checks",
        )

    def on_picker_patient_cleared(self) -> None:
        self._bind(None)
        self.member_id.clear()
        self.status.setText("")
        self._fill_history()
        self._update_enabled()

    def on_check_clicked(self) -> None:
        self.run_check()

    def on_feed_events(self, events: list[Event]) -> None:
        """A check re-asked in the background once back online: its answer replaces the
        offline one on screen at once (and joins the history either way)."""
        for event in events:
            if event.type != RECHECKED:
                continue
            try:
                fresh = EligibilityResult.model_validate(event.data)
            except ValidationError:
                continue
            self.history.add(fresh)
            shown = self._shown
            if (
                shown is not None
                and shown.freshness.offline
                and self.patient is not None
                and fresh.patient_id == self.patient.id
                and fresh.payer_id == shown.request.payer_id
                and fresh.date_of_service == shown.request.date_of_service
            ):
                replaced = CheckOutcome(shown.request, result=fresh)
                self._shown = replaced
                self.result_view.show_outcome(replaced)
                self.outcome_shown.emit(replaced)

    def on_batch_patient_requested(self, item: BatchItem) -> None:
        """One click from the batch summary: that patient, for that appointment's day."""
        self._bridge.run(
            self._backend.get_patient(item.patient_id),
            on_success=lambda patient: self.prefill(patient, date_of_service=item.date_of_service),
            where=self,
            owner=self,
            context="opening a patient from the summary",
        )

    def on_history_added(self, result: EligibilityResult) -> None:
        if self.patient is not None and result.patient_id == self.patient.id:
            self._fill_history()

    def on_history_selection_changed(self) -> None:
        rows = self.history_table.selectionModel().selectedRows()
        if not rows:
            return
        item = self.history_table.item(rows[0].row(), 0)
        result = item.data(Qt.ItemDataRole.UserRole) if item else None
        if isinstance(result, EligibilityResult):
            self.result_view.show_result(result)

    # --- internals ---

    def _on_payers_loaded(self, payers: dict[str, Payer]) -> None:
        self._payers = payers
        chosen = self.payer.currentData()
        self.payer.clear()
        for payer in sorted(payers.values(), key=lambda p: p.name):
            self.payer.addItem(payer.name, payer.id)
        if isinstance(chosen, str):
            self._select_payer(chosen)
        elif self.patient is not None and self.patient.insurance is not None:
            self._select_payer(self.patient.insurance.payer_id)
        self._update_enabled()

    def _select_payer(self, payer_id: str) -> None:
        index = self.payer.findData(payer_id)
        if index < 0:
            # Payers not loaded yet (or unknown here): keep the id so the check still runs.
            self.payer.addItem(payer_id, payer_id)
            index = self.payer.count() - 1
        self.payer.setCurrentIndex(index)

    def _bind(self, patient: Patient | None) -> None:
        """Make `patient` the panel's patient: the answer and errors of the one before go."""
        self._generation += 1
        self.patient = patient
        self.header.set_patient(patient)
        self.history_caption.setText(
            f"Earlier checks of {patient.full_name}" if patient else "Earlier checks"
        )
        self.error.hide()
        self._shown = None
        self.result_view.show_outcome(None)

    def _current(self, generation: int, outcome: CheckOutcome | None = None) -> bool:
        """Whether an answer still belongs on screen: same check, same patient."""
        if generation != self._generation or self.patient is None:
            return False
        return outcome is None or outcome.request.patient_id == self.patient.id

    def _on_outcome(self, outcome: CheckOutcome, generation: int) -> None:
        if not self._current(generation, outcome):
            return  # for a patient or a check that is no longer on screen
        self._update_enabled()
        self.status.setText("")
        self._shown = outcome
        self.result_view.show_outcome(outcome)
        self.outcome_shown.emit(outcome)

    def _on_check_error(self, exc: BaseException, generation: int) -> bool:
        if not self._current(generation):
            return isinstance(exc, FrontDeskError)
        self._update_enabled()
        self.status.setText("")
        return False  # the error sink shows it (inline, through show_error)

    def _update_enabled(self) -> None:
        ready = self.patient is not None and bool(self.member_id.text().strip())
        self.check_button.setEnabled(ready and self.payer.count() > 0)

    def _fill_history(self) -> None:
        checks = self.history.for_patient(self.patient.id) if self.patient else []
        self.history_table.setRowCount(len(checks))
        for row, check in enumerate(checks):
            cells = [
                f"{check.verified_at.astimezone(self._zone):%d %b %Y %H:%M}",
                f"{check.date_of_service:%d %b %Y}",
                check.payer,
                verdict(check).short,
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 0:
                    item.setData(Qt.ItemDataRole.UserRole, check)
                self.history_table.setItem(row, column, item)


HISTORY_KEY = "eligibility_history"


def eligibility_panel_spec() -> PanelSpec:
    return PanelSpec(
        "eligibility", "Eligibility", SLOT_ELIGIBILITY, build_eligibility_panel, icon="eligibility"
    )


def shared_history(ctx: PanelContext) -> CheckHistory:
    """The window's one `CheckHistory` (created on first use), kept in `ctx.extras`.

    The calendar paints each appointment's state from it (`ui.calendar.eligibility_badges`)
    and repaints on `add_listener`, so a check run here shows there at once.
    """
    history = ctx.extras.get(HISTORY_KEY)
    if not isinstance(history, CheckHistory):
        history = CheckHistory()
        ctx.extras[HISTORY_KEY] = history
    return history


def build_eligibility_panel(ctx: PanelContext) -> EligibilityPanel:
    """The panel for the main window, over the window's shared `CheckHistory`."""
    return EligibilityPanel(
        ctx.backend, ctx.bridge, zone=ctx.zone, history=shared_history(ctx), feed=ctx.events
    )
