"""The prescriptions panel: look up by prescription id or by patient; the pharmacy one click away.

Left: an id box and a patient search, and the patient's prescriptions. Right: the chosen
prescription's status, refills, fill dates and pharmacy, whose phone number a click copies.
The panel is bound to one patient at a time, named in its header: choosing another patient
clears every result, a look-up by id switches to the prescription's patient, and an answer
that arrives for an earlier patient or request is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
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

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import FrontDeskError, NotFound
from frontdesk_app.domain.models import Patient, Prescription
from frontdesk_app.domain.timeutil import utc_now
from frontdesk_app.ui.async_bridge import AsyncBridge
from frontdesk_app.ui.audit_menu import record_view
from frontdesk_app.ui.eligibility.patient_picker import PatientPicker
from frontdesk_app.ui.eligibility.widgets import Banner, FieldGrid
from frontdesk_app.ui.message_bar import MessageBar
from frontdesk_app.ui.panels import SLOT_PRESCRIPTIONS, PanelSpec
from frontdesk_app.ui.patients.header import PatientHeader, patient_caption
from frontdesk_app.ui.prescriptions.service import (
    Lookup,
    PrescriptionService,
    status_tone,
    status_words,
)

T = TypeVar("T")

DETAIL_FIELDS = [
    ("patient", "Patient"),
    ("medication", "Medication"),
    ("status", "Status"),
    ("refills", "Refills remaining"),
    ("last_filled", "Last filled"),
    ("next_refill", "Next refill"),
    ("pharmacy", "Pharmacy"),
    ("id", "Prescription ID"),
]


@dataclass(frozen=True, slots=True)
class IdLookup:
    """A look-up by id: the prescription (in `found`), whose it is, and their whole list."""

    found: Lookup
    patient: Patient | None
    listing: Lookup


class PrescriptionsPanel(QWidget):
    """Prescription status for the front desk and call agents."""

    lookup_shown = Signal(object)  # Lookup, after each lookup finishes

    def __init__(
        self,
        backend: Backend,
        bridge: AsyncBridge,
        *,
        zone: ZoneInfo,
        clock: Callable[[], datetime] = utc_now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("prescriptionsPanel")
        self.setAccessibleName("Prescriptions")
        self._bridge = bridge
        self._zone = zone
        self.service = PrescriptionService(backend, clock=clock)
        self.patient: Patient | None = None
        self.prescriptions: list[Prescription] = []
        self.current: Prescription | None = None
        self._highlight: str | None = None
        self._generation = 0

        self.header = PatientHeader(self)
        self.rx_id = QLineEdit(self)
        self.rx_id.setPlaceholderText("Prescription ID, e.g. rx_4m5n6o7p")
        self.rx_id.setAccessibleName("Prescription ID")
        self.find_button = QPushButton("Look up", self)
        self.find_button.setAccessibleName("Look up prescription")
        self.picker = PatientPicker(backend, bridge, self, where=self)
        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(["Medication", "Status", "Refills", "Next refill"])
        self.table.setAccessibleName("The patient's prescriptions")
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.list_hint = QLabel(self)
        self.list_hint.setProperty("role", "hint")
        self.message = MessageBar(self)
        self.notice = Banner(self)
        self.banner = Banner(self)
        self.grid = FieldGrid(DETAIL_FIELDS, self)
        self.phone = QLabel(self)
        self.phone.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.phone.setAccessibleName("Pharmacy phone")
        self.copy_button = QPushButton("Copy phone", self)
        self.copy_button.setAccessibleName("Copy pharmacy phone number")
        self.copy_button.setToolTip("Copy the pharmacy's phone number to the clipboard")
        self.copied = QLabel(self)
        self.copied.setProperty("role", "hint")
        self.empty = QLabel("Look up a prescription by its ID, or find a patient.", self)
        self.empty.setProperty("role", "hint")
        self._copied_timer = QTimer(self)
        self._copied_timer.setSingleShot(True)
        self._copied_timer.setInterval(2500)
        self._copied_timer.timeout.connect(self.copied.clear)

        self._build_layout()
        self.find_button.clicked.connect(self.on_find_clicked)
        self.rx_id.returnPressed.connect(self.on_find_clicked)
        self.picker.patient_chosen.connect(self.on_picker_patient_chosen)
        self.picker.patient_cleared.connect(self.on_picker_patient_cleared)
        self.table.itemSelectionChanged.connect(self.on_table_selection_changed)
        # A click on the row already selected still shows it (the selection did not change).
        self.table.cellClicked.connect(self.on_table_cell_clicked)
        self.copy_button.clicked.connect(self.on_copy_clicked)
        self._show(None)

    def _build_layout(self) -> None:
        by_id = QHBoxLayout()
        by_id.addWidget(self.rx_id, 1)
        by_id.addWidget(self.find_button)
        left = QVBoxLayout()
        left.setSpacing(10)
        heading = QLabel("Find a prescription", self)
        heading.setProperty("role", "heading")
        left.addWidget(heading)
        left.addLayout(by_id)
        or_label = QLabel("or by patient", self)
        or_label.setProperty("role", "hint")
        left.addWidget(or_label)
        left.addWidget(self.picker)
        left.addWidget(self.list_hint)
        left.addWidget(self.table, 1)
        left_box = QWidget(self)
        left_box.setLayout(left)
        left_box.setMinimumWidth(470)
        left_box.setMaximumWidth(560)

        phone_row = QHBoxLayout()
        phone_row.setSpacing(10)
        caption = QLabel("Pharmacy phone", self)
        caption.setProperty("role", "hint")
        phone_row.addWidget(caption)
        phone_row.addWidget(self.phone)
        phone_row.addWidget(self.copy_button)
        phone_row.addWidget(self.copied)
        phone_row.addStretch(1)
        right = QVBoxLayout()
        right.setSpacing(12)
        right.addWidget(self.header)
        right.addWidget(self.message)
        right.addWidget(self.notice)
        right.addWidget(self.banner)
        right.addWidget(self.grid)
        right.addLayout(phone_row)
        right.addWidget(self.empty)
        right.addStretch(1)

        outer = QHBoxLayout(self)
        outer.setContentsMargins(16, 16, 16, 16)
        outer.setSpacing(24)
        outer.addWidget(left_box)
        outer.addLayout(right, 1)

    # --- public ---

    def look_up_id(self, prescription_id: str) -> None:
        self.rx_id.setText(prescription_id)
        self.on_find_clicked()

    def show_patient(self, patient: Patient, *, medication: str | None = None) -> None:
        """List `patient`'s prescriptions (a caller's); select `medication` when named."""
        self._highlight = medication
        self.picker.set_patient(patient)

    def show_error(self, error: FrontDeskError) -> None:
        self.message.show_error(error)

    # --- slots ---

    def on_find_clicked(self) -> None:
        wanted = self.rx_id.text().strip()
        if not wanted:
            return
        self.message.hide()
        # Until the answer names its patient, nothing on screen may pass for it.
        self._show(None)
        self.table.clearSelection()
        self._bridge.run(
            self._look_up_id(wanted),
            on_success=self._latest(self._on_found_by_id),
            on_error=self._latest_error(),
            where=self,
            busy="Looking up the prescription",
            context="looking up a prescription",
        )

    def on_picker_patient_chosen(self, patient: Patient) -> None:
        self._bind(patient)
        self.list_hint.setText("Loading prescriptions…")
        self._bridge.run(
            self.service.by_patient(patient.id),
            on_success=self._latest(self._on_found_for_patient),
            on_error=self._latest_error(),
            where=self,
            busy="Loading prescriptions",
            context="loading a patient's prescriptions",
        )

    def on_picker_patient_cleared(self) -> None:
        self._bind(None)
        self._generation += 1  # whatever is on its way belongs to the patient just cleared

    def on_table_selection_changed(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows and 0 <= rows[0].row() < len(self.prescriptions):
            self._show(self.prescriptions[rows[0].row()])

    def on_table_cell_clicked(self, row: int, _column: int) -> None:
        if 0 <= row < len(self.prescriptions):
            self._show(self.prescriptions[row])

    def on_copy_clicked(self) -> None:
        if self.current is None:
            return
        QGuiApplication.clipboard().setText(self.current.pharmacy.phone)
        self.copied.setText("Copied")
        self._copied_timer.start()

    # --- internals ---

    def _bind(self, patient: Patient | None) -> None:
        """Make `patient` the panel's patient: every result of the one before goes. Another
        patient shown is noted in the audit log as the signed-in person looking at them."""
        if patient is not None and (self.patient is None or self.patient.id != patient.id):
            record_view("patient.view", patient_id=patient.id)
        self.patient = patient
        self.header.set_patient(patient)
        self.message.hide()
        self.notice.clear()
        self._fill_table([])
        self.list_hint.setText("")
        self._show(None)

    async def _look_up_id(self, prescription_id: str) -> IdLookup:
        """The prescription, its patient and their other prescriptions, in one answer."""
        found = await self.service.by_id(prescription_id)
        if not found.prescriptions:
            return IdLookup(found, None, found)
        rx = found.prescriptions[0]
        owner: Patient | None = self.patient
        if owner is None or owner.id != rx.patient_id:
            try:
                owner = await self.service.backend.get_patient(rx.patient_id)
            except FrontDeskError:
                owner = None  # offline and never seen: the detail still says whose by id
        try:
            listing = await self.service.by_patient(rx.patient_id)
        except FrontDeskError:
            listing = found
        if all(other.id != rx.id for other in listing.prescriptions):
            listing = Lookup([rx, *listing.prescriptions], listing.freshness, listing.message)
        return IdLookup(found, owner, listing)

    def _latest(self, show: Callable[[T], None]) -> Callable[[T], None]:
        """`show` only if no newer lookup started since: a slow answer never overwrites."""
        self._generation += 1
        generation = self._generation

        def maybe_show(answer: T) -> None:
            if generation == self._generation:
                show(answer)

        return maybe_show

    def _latest_error(self) -> Callable[[BaseException], bool]:
        """For the request `_latest` just numbered: an error of an older one is dropped too."""
        generation = self._generation

        def on_error(exc: BaseException) -> bool:
            if generation != self._generation:
                return isinstance(exc, FrontDeskError)
            if isinstance(exc, NotFound):
                self._show(None)
                self.table.clearSelection()
            return False  # the error sink shows it, in this panel's message bar

        return on_error

    def _on_found_by_id(self, answer: IdLookup) -> None:
        rx = answer.found.prescriptions[0] if answer.found.prescriptions else None
        if rx is None:
            self._show_notice(answer.found)
            self._show(None)
            self.lookup_shown.emit(answer.found)
            return
        if self.patient is None or self.patient.id != rx.patient_id:
            self._bind(answer.patient)
            self.picker.show_patient(answer.patient)
        self._show_notice(answer.found)
        self._fill_table(answer.listing.prescriptions)
        count = len(self.prescriptions)
        self.list_hint.setText(f"{count} prescription" + ("s" if count != 1 else ""))
        self._select(next(i for i, p in enumerate(self.prescriptions) if p.id == rx.id))
        self.lookup_shown.emit(answer.found)

    def _on_found_for_patient(self, lookup: Lookup) -> None:
        self._show_notice(lookup)
        self._fill_table(lookup.prescriptions)
        count = len(lookup.prescriptions)
        self.list_hint.setText(
            "No prescriptions on file."
            if count == 0
            else f"{count} prescription" + ("s" if count != 1 else "")
        )
        chosen = 0
        if self._highlight:
            wanted = self._highlight.lower()
            for row, rx in enumerate(lookup.prescriptions):
                if rx.medication.lower() == wanted:
                    chosen = row
                    break
            self._highlight = None
        if lookup.prescriptions:
            self._select(chosen)
        else:
            self._show(None)
        self.lookup_shown.emit(lookup)

    def _select(self, row: int) -> None:
        """Select `row` and show it, even when that row was selected before the refill."""
        self.table.selectRow(row)
        self._show(self.prescriptions[row])

    def _show_notice(self, lookup: Lookup) -> None:
        if lookup.freshness.offline:
            age = lookup.freshness.describe("fetched").capitalize()
            self.notice.show_message("info", f"Offline · {age}", lookup.message)
        else:
            self.notice.clear()

    def _fill_table(self, prescriptions: list[Prescription]) -> None:
        self.table.blockSignals(True)
        self.table.clearSelection()
        self.table.blockSignals(False)
        self.prescriptions = list(prescriptions)
        self.table.setRowCount(len(prescriptions))
        for row, rx in enumerate(prescriptions):
            cells = [
                rx.medication,
                status_words(rx.status),
                str(rx.refills_remaining),
                self._day(rx.next_refill_date),
            ]
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))

    def _show(self, rx: Prescription | None) -> None:
        self.current = rx
        shown = rx is not None
        for widget in (self.grid, self.phone, self.copy_button):
            widget.setVisible(shown)
        self.empty.setVisible(not shown)
        if rx is None:
            self.banner.clear()
            self.grid.clear()
            self.phone.clear()
            return
        whose = (
            patient_caption(self.patient)
            if self.patient is not None and self.patient.id == rx.patient_id
            else f"Patient {rx.patient_id}"
        )
        self.banner.show_message(
            status_tone(rx.status), status_words(rx.status), f"{rx.medication} · {whose}"
        )
        self.grid.set("patient", whose)
        self.grid.set("medication", rx.medication)
        self.grid.set("status", status_words(rx.status))
        self.grid.set("refills", str(rx.refills_remaining))
        self.grid.set("last_filled", self._day(rx.last_filled))
        self.grid.set("next_refill", self._day(rx.next_refill_date))
        self.grid.set("pharmacy", rx.pharmacy.name)
        self.grid.set("id", rx.id)
        self.phone.setText(rx.pharmacy.phone)

    def _day(self, value: datetime | None) -> str:
        return f"{value.astimezone(self._zone):%a %d %b %Y}" if value else "—"


def prescriptions_panel_spec() -> PanelSpec:
    return PanelSpec(
        "prescriptions",
        "Prescriptions",
        SLOT_PRESCRIPTIONS,
        lambda ctx: PrescriptionsPanel(ctx.backend, ctx.bridge, zone=ctx.zone),
        icon="prescriptions",
    )
