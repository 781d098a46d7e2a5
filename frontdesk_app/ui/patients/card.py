"""The patient card: one patient's appointments, insurance, prescriptions and recent calls.

Opened from Ctrl+K (find a patient) anywhere in the window. Upcoming appointments can be
rescheduled or cancelled from here: the calendar jumps to the appointment and opens its dialog,
so a caller who rings the desk directly is served in a few keystrokes.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from frontdesk_app.domain import clock
from frontdesk_app.domain.models import Appointment, Patient
from frontdesk_app.ui.audit_menu import record_view
from frontdesk_app.ui.calendar.palette import type_style
from frontdesk_app.ui.calls.labels import intent_label
from frontdesk_app.ui.eligibility.state import format_age, verdict
from frontdesk_app.ui.panels import PanelContext
from frontdesk_app.ui.patients.calendar_jump import Change, open_change
from frontdesk_app.ui.patients.card_data import CardData, gather
from frontdesk_app.ui.patients.header import PatientHeader
from frontdesk_app.ui.prescriptions.service import status_words

STATUS_WORDS = {"confirmed": "Confirmed", "rescheduled": "Moved", "cancelled": "Cancelled"}


def _table(columns: list[str], parent: QWidget) -> QTableWidget:
    table = QTableWidget(0, len(columns), parent)
    table.setHorizontalHeaderLabels(columns)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setShowGrid(False)
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class PatientCard(QDialog):
    """Non-modal; `show_patient(patient)` loads and lays out their record."""

    loaded = Signal(object)  # CardData, after each load
    change_opened = Signal(object)  # the reschedule or cancel dialog opened from here

    def __init__(self, ctx: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Patient")
        self.setAccessibleName("Patient card")
        self.resize(760, 620)
        self._ctx = ctx
        self._generation = 0
        self.data: CardData | None = None

        self.header = PatientHeader(self)
        self.contact = QLabel(self)
        self.contact.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice = QLabel(self)
        self.notice.setProperty("role", "hint")
        self.upcoming = _table(["When", "Provider", "Type", "Status"], self)
        self.upcoming.setAccessibleName("Upcoming appointments")
        self.upcoming.setMaximumHeight(150)
        self.reschedule_button = QPushButton("&Reschedule…", self)
        self.cancel_button = QPushButton("Cance&l appointment…", self)
        self.past = _table(["When", "Provider", "Type", "Status"], self)
        self.past.setAccessibleName("Past and cancelled appointments")
        self.past.setMaximumHeight(130)
        self.insurance = QLabel(self)
        self.insurance.setWordWrap(True)
        self.insurance.setAccessibleName("Insurance")
        self.prescriptions = QListWidget(self)
        self.prescriptions.setAccessibleName("Prescriptions")
        self.calls = QListWidget(self)
        self.calls.setAccessibleName("Recent calls")

        actions = QHBoxLayout()
        actions.addWidget(self.reschedule_button)
        actions.addWidget(self.cancel_button)
        actions.addStretch(1)
        appointments = QGroupBox("Upcoming appointments", self)
        box = QVBoxLayout(appointments)
        box.addWidget(self.upcoming)
        box.addLayout(actions)
        past_box = QGroupBox("Past and cancelled appointments", self)
        QVBoxLayout(past_box).addWidget(self.past)
        insurance_box = QGroupBox("Insurance", self)
        QVBoxLayout(insurance_box).addWidget(self.insurance)
        rx_box = QGroupBox("Prescriptions", self)
        QVBoxLayout(rx_box).addWidget(self.prescriptions)
        calls_box = QGroupBox("Recent calls", self)
        QVBoxLayout(calls_box).addWidget(self.calls)
        grid = QGridLayout()
        grid.addWidget(insurance_box, 0, 0)
        grid.addWidget(rx_box, 0, 1)
        grid.addWidget(calls_box, 1, 0, 1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(10)
        layout.addWidget(self.header)
        layout.addWidget(self.contact)
        layout.addWidget(self.notice)
        layout.addWidget(appointments)
        layout.addWidget(past_box)
        layout.addLayout(grid, 1)

        for button in (self.reschedule_button, self.cancel_button):
            button.setAutoDefault(False)  # Enter on a row reschedules it, nothing else
        self.reschedule_button.clicked.connect(lambda: self.change_selected("reschedule"))
        self.cancel_button.clicked.connect(lambda: self.change_selected("cancel"))
        self.upcoming.itemSelectionChanged.connect(self._update_buttons)
        self.upcoming.itemActivated.connect(lambda _item: self.change_selected("reschedule"))
        QShortcut(QKeySequence("Escape"), self, self.close)
        self._update_buttons()

    # --- loading -------------------------------------------------------------------------------
    def show_patient(self, patient: Patient) -> None:
        """Bind the card to `patient`: what was shown of another patient goes at once. Noted
        in the audit log as the signed-in person looking at this patient."""
        record_view("patient.view", patient_id=patient.id)
        self._load(patient)

    def _load(self, patient: Patient) -> None:
        self._generation += 1
        generation = self._generation
        self.data = None
        self.header.set_patient(patient)
        self.setWindowTitle(f"Patient: {patient.full_name}")
        self.contact.setText(self._contact(patient))
        for table in (self.upcoming, self.past):
            table.setRowCount(0)
        self.prescriptions.clear()
        self.calls.clear()
        self.insurance.setText("Loading…")
        self.notice.setText("")
        self._update_buttons()

        def show(data: CardData) -> None:
            if generation == self._generation:  # an answer for a patient shown before: dropped
                self._fill(data)

        self._ctx.bridge.run(
            gather(self._ctx.backend, patient, now=clock.now()),
            on_success=show,
            where=self,
            owner=self,
            context="opening the patient's card",
        )

    def reload(self) -> None:
        if self.header.patient is not None:
            self._load(self.header.patient)

    @staticmethod
    def _contact(patient: Patient) -> str:
        parts = [patient.phone, patient.email or "", patient.address or ""]
        return "  ·  ".join(p for p in parts if p)

    def _fill(self, data: CardData) -> None:
        self.data = data
        zone = self._ctx.zone
        for table, rows in ((self.upcoming, data.upcoming), (self.past, data.past)):
            table.setRowCount(len(rows))
            for row, apt in enumerate(rows):
                provider = data.providers.get(apt.provider_id)
                cells = [
                    f"{apt.start_time.astimezone(zone):%a %d %b %Y %H:%M}",
                    provider.name if provider else apt.provider_id,
                    type_style(apt.type).label,
                    STATUS_WORDS.get(apt.status, apt.status),
                ]
                for column, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    item.setData(Qt.ItemDataRole.UserRole, apt)
                    table.setItem(row, column, item)
        if data.upcoming:
            self.upcoming.selectRow(0)
        self.insurance.setText(self._insurance_text(data))
        for rx in data.prescriptions:
            self.prescriptions.addItem(f"{rx.medication} · {status_words(rx.status)}")
        if not data.prescriptions:
            self.prescriptions.addItem("No prescriptions on file.")
        for call in data.calls:
            when = call.started_at.astimezone(zone)
            self.calls.addItem(f"{when:%a %d %b %H:%M} · {intent_label(call.intent.name)}")
        if not data.calls:
            self.calls.addItem("No recent calls.")
        if data.unavailable:
            self.notice.setText(
                "Not available right now: " + ", ".join(data.unavailable) + " (no connection?)."
            )
        self._update_buttons()
        self.loaded.emit(data)

    def _insurance_text(self, data: CardData) -> str:
        insurance = data.patient.insurance
        if insurance is None:
            return "No insurance on file."
        text = f"{data.payer_name or insurance.payer_id} · member ID {insurance.member_id}"
        check = data.last_check
        if check is None:
            return text + "\nEligibility: not checked yet."
        age = format_age(clock.now() - check.verified_at)
        when = f"{check.date_of_service:%d %b %Y}"
        return text + f"\nLast eligibility answer: {verdict(check).short} (for {when}, {age})"

    # --- acting ----------------------------------------------------------------------------------
    def selected(self) -> Appointment | None:
        rows = self.upcoming.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.upcoming.item(rows[0].row(), 0)
        found: Any = item.data(Qt.ItemDataRole.UserRole) if item else None
        return found if isinstance(found, Appointment) else None

    def change_selected(self, change: Change) -> None:
        """The calendar jumps to the chosen appointment and opens its reschedule or cancel."""
        appointment = self.selected()
        if appointment is None:
            return
        self._ctx.bridge.run(
            open_change(self._ctx, appointment, change),
            on_success=self._on_change_opened,
            where=self,
            context="opening the appointment on the calendar",
        )

    def _on_change_opened(self, dialog: QWidget | None) -> None:
        if dialog is None:
            return
        for name in ("rescheduled", "cancelled"):
            signal = getattr(dialog, name, None)
            if signal is not None:
                signal.connect(lambda _result: self.reload())
        self.change_opened.emit(dialog)

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None
        self.reschedule_button.setEnabled(chosen)
        self.cancel_button.setEnabled(chosen)
