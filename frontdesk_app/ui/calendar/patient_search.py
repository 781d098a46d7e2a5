"""Patient search as you type: a field and a short list of matches, never blocking.

A caller the clinic does not know yet is registered from here ("New patient…"), prefilled with
what was typed or what the phone assistant collected, and chosen at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from frontdesk_app.config import DEFAULT_TIMEZONE
from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.models import Page, Patient
from frontdesk_app.ui.async_bridge import AsyncBridge
from frontdesk_app.ui.patients.new_patient_dialog import NewPatientDialog, prefill_from_text

DEBOUNCE_MS = 180
RESULTS = 20


def patient_line(patient: Patient) -> str:
    return f"{patient.last_name}, {patient.first_name}  ·  born {patient.date_of_birth:%d %b %Y}"


class PatientSearch(QWidget):
    """Type part of a name, a date of birth or a phone number; pick from the list."""

    patient_selected = Signal(object)  # Patient

    def __init__(
        self,
        backend: Backend,
        bridge: AsyncBridge,
        parent: QWidget | None = None,
        *,
        zone: ZoneInfo | None = None,
    ) -> None:
        super().__init__(parent)
        self._backend = backend
        self._bridge = bridge
        self._zone = zone or ZoneInfo(DEFAULT_TIMEZONE)
        self._generation = 0
        self.patient: Patient | None = None
        # What the phone assistant collected about a caller, for "New patient…".
        self.new_patient_prefill: dict[str, Any] = {}
        self.new_patient_dialog: NewPatientDialog | None = None
        self.field = QLineEdit()
        self.field.setPlaceholderText("Name, date of birth or phone")
        self.field.setAccessibleName("Patient search")
        self.field.setClearButtonEnabled(True)
        self.results = QListWidget()
        self.results.setAccessibleName("Matching patients")
        self.results.setMaximumHeight(150)
        self.results.hide()
        self.chosen = QLabel()
        self.chosen.setProperty("role", "hint")
        self.chosen.setAccessibleName("Chosen patient")
        self.chosen.hide()
        self.new_button = QPushButton("New patient…")
        self.new_button.setAccessibleName("Register a new patient")
        self.new_button.setToolTip("Register a patient the clinic does not know yet")
        self.new_button.setAutoDefault(False)  # Enter in the dialog still books
        self.new_button.clicked.connect(self.open_new_patient)
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.field, 1)
        row.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(self.results)
        layout.addWidget(self.chosen)
        # Never taller than what it shows: when its list of matches closes, a dialog's spare
        # height goes below the form, not into a gap between the patient and the next field.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self.field.textEdited.connect(self._on_field_edited)
        self.field.installEventFilter(self)
        self.results.itemActivated.connect(self._on_results_activated)
        self.results.itemClicked.connect(self._on_results_activated)

    def set_patient(self, patient: Patient) -> None:
        self.patient = patient
        self.field.setText(patient.full_name)
        self.chosen.setText(patient_line(patient))
        self.chosen.show()
        self.results.hide()
        self.patient_selected.emit(patient)

    def suggest_new_patient(self, prefill: Mapping[str, Any]) -> None:
        """A caller from the phone: search by the name they gave, and keep what the assistant
        collected for "New patient…"."""
        self.new_patient_prefill = dict(prefill)
        name = prefill.get("patient_name")
        if isinstance(name, str) and name.strip() and self.patient is None:
            self.field.setText(name.strip())
            self.search_now()

    def open_new_patient(self) -> NewPatientDialog:
        """Register a new patient, prefilled; they become this search's patient."""
        prefill = {**prefill_from_text(self.field.text()), **self.new_patient_prefill}
        dialog = NewPatientDialog(
            self._backend, self._bridge, zone=self._zone, prefill=prefill, parent=self.window()
        )
        dialog.patient_chosen.connect(self._on_new_patient_chosen)
        dialog.finished.connect(dialog.deleteLater)
        self.new_patient_dialog = dialog
        dialog.open()
        return dialog

    def _on_new_patient_chosen(self, patient: Patient) -> None:
        self.set_patient(patient)
        self.field.setFocus()

    def search_now(self) -> None:
        self._timer.stop()
        self._on_timer_timeout()

    def _on_field_edited(self, _text: str) -> None:
        if self.patient is not None:
            self.patient = None
            self.chosen.setText("")
            self.chosen.hide()
        self._timer.start()

    def _on_timer_timeout(self) -> None:
        query = self.field.text().strip()
        self._generation += 1
        generation = self._generation
        if len(query) < 2:
            self.results.clear()
            self.results.hide()
            return
        self._bridge.run(
            self._backend.search_patients(query, limit=RESULTS),
            on_success=lambda page: self._show(generation, page),
            where=self.parentWidget(),
            owner=self,
            context="searching for a patient",
        )

    def _show(self, generation: int, page: Page[Patient]) -> None:
        if generation != self._generation:
            return  # an older answer arriving after a newer one
        self.results.clear()
        for patient in page.data:
            item = QListWidgetItem(patient_line(patient))
            item.setData(Qt.ItemDataRole.UserRole, patient)
            self.results.addItem(item)
        if not page.data:
            item = QListWidgetItem("No patient matches — press New patient… to register them")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.results.addItem(item)
        self.results.setVisible(True)
        if page.data and len(page.data) == 1:
            self.results.setCurrentRow(0)

    def _on_results_activated(self, item: QListWidgetItem) -> None:
        patient = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(patient, Patient):
            self.set_patient(patient)
            self.field.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.field
            and isinstance(event, QKeyEvent)
            and (event.type() == QEvent.Type.KeyPress)
        ):
            if event.key() == Qt.Key.Key_Down and self.results.isVisible():
                self.results.setFocus()
                if self.results.currentRow() < 0:
                    self.results.setCurrentRow(0)
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.results.isVisible():
                item = self.results.currentItem() or self.results.item(0)
                if item is not None and item.flags() & Qt.ItemFlag.ItemIsEnabled:
                    self._on_results_activated(item)
                    return True
        return super().eventFilter(watched, event)
