"""The prescriptions panel: look up by prescription id or by patient; the pharmacy one click away.

Left: an id box and a patient search, and the patient's prescriptions. Right: the chosen
prescription's status, refills, fill dates and pharmacy, whose phone number a click copies.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
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
from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.domain.models import Patient, Prescription
from frontdesk_app.domain.timeutil import utc_now
from frontdesk_app.ui.async_bridge import AsyncBridge
from frontdesk_app.ui.eligibility.patient_picker import PatientPicker
from frontdesk_app.ui.eligibility.widgets import Banner, FieldGrid
from frontdesk_app.ui.message_bar import MessageBar
from frontdesk_app.ui.panels import SLOT_PRESCRIPTIONS, PanelSpec
from frontdesk_app.ui.prescriptions.service import (
    Lookup,
    PrescriptionService,
    status_tone,
    status_words,
)

DETAIL_FIELDS = [
    ("medication", "Medication"),
    ("status", "Status"),
    ("refills", "Refills remaining"),
    ("last_filled", "Last filled"),
    ("next_refill", "Next refill"),
    ("pharmacy", "Pharmacy"),
    ("id", "Prescription ID"),
]


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
        self.table.itemSelectionChanged.connect(self.on_table_selection_changed)
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
        self._bridge.run(
            self.service.by_id(wanted),
            on_success=self._latest(self._on_found_by_id),
            where=self,
            busy="Looking up the prescription",
            context="looking up a prescription",
        )

    def on_picker_patient_chosen(self, patient: Patient) -> None:
        self.patient = patient
        self.message.hide()
        self.list_hint.setText("Loading prescriptions…")
        self._bridge.run(
            self.service.by_patient(patient.id),
            on_success=self._latest(self._on_found_for_patient),
            where=self,
            busy="Loading prescriptions",
            context="loading a patient's prescriptions",
        )

    def on_table_selection_changed(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows and 0 <= rows[0].row() < len(self.prescriptions):
            self._show(self.prescriptions[rows[0].row()])

    def on_copy_clicked(self) -> None:
        if self.current is None:
            return
        QGuiApplication.clipboard().setText(self.current.pharmacy.phone)
        self.copied.setText("Copied")
        self._copied_timer.start()

    # --- internals ---

    def _latest(self, show: Callable[[Lookup], None]) -> Callable[[Lookup], None]:
        """`show` only if no newer lookup started since: a slow answer never overwrites."""
        self._generation += 1
        generation = self._generation

        def maybe_show(lookup: Lookup) -> None:
            if generation == self._generation:
                show(lookup)

        return maybe_show

    def _on_found_by_id(self, lookup: Lookup) -> None:
        self._show_notice(lookup)
        self._fill_table(lookup.prescriptions)
        self.list_hint.setText("")
        self._show(lookup.prescriptions[0] if lookup.prescriptions else None)
        self.lookup_shown.emit(lookup)

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
            self.table.selectRow(chosen)
        else:
            self._show(None)
        self.lookup_shown.emit(lookup)

    def _show_notice(self, lookup: Lookup) -> None:
        if lookup.freshness.offline:
            age = lookup.freshness.describe("fetched").capitalize()
            self.notice.show_message("info", f"Offline · {age}", lookup.message)
        else:
            self.notice.clear()

    def _fill_table(self, prescriptions: list[Prescription]) -> None:
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
        self.banner.show_message(status_tone(rx.status), status_words(rx.status), rx.medication)
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
