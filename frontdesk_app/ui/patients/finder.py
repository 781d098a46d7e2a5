"""Ctrl+K from anywhere: find a patient by name, date of birth or phone, open their card.

Type a few letters, the date of birth (`1984-03-02`) or digits of the phone number, press Down
and Enter (or click): the patient card opens. **New patient…** registers someone not found.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from frontdesk_app.domain.models import Patient
from frontdesk_app.ui.eligibility.patient_picker import PatientPicker
from frontdesk_app.ui.panels import PanelContext
from frontdesk_app.ui.patients.card import PatientCard
from frontdesk_app.ui.patients.new_patient_dialog import NewPatientDialog, prefill_from_text

SHORTCUT = "Ctrl+K"


class PatientFinder(QDialog):
    """The search popup; the chosen patient's card opens (one card, re-bound each time)."""

    def __init__(self, ctx: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Find a patient")
        self.setAccessibleName("Find a patient")
        self.setMinimumWidth(520)
        self._ctx = ctx
        self.card: PatientCard | None = None
        self.new_patient_dialog: NewPatientDialog | None = None
        heading = QLabel("Find a patient: name, date of birth (YYYY-MM-DD) or phone")
        heading.setProperty("role", "heading")
        self.picker = PatientPicker(ctx.backend, ctx.bridge, self, where=self)
        self.picker.results.setMaximumHeight(260)
        self.new_button = QPushButton("New patient…", self)
        self.new_button.setAccessibleName("Register a new patient")
        # Enter in the search picks a patient; it must never register one by default.
        self.new_button.setAutoDefault(False)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.addWidget(heading)
        layout.addWidget(self.picker)
        layout.addLayout(row)
        self.picker.patient_chosen.connect(self.on_picker_patient_chosen)
        self.new_button.clicked.connect(self.on_new_clicked)

    def start(self) -> None:
        """A fresh search, the box focused: the keyboard alone finds the patient."""
        self.picker.show_patient(None)
        self.picker.results.clear()
        self.picker.results.hide()
        self.show()
        self.raise_()
        self.activateWindow()
        self.picker.search.setFocus()

    def on_picker_patient_chosen(self, patient: Patient) -> None:
        self.open_card(patient)

    def open_card(self, patient: Patient) -> PatientCard:
        if self.card is None:
            self.card = PatientCard(self._ctx, self.parentWidget())
        self.card.show_patient(patient)
        self.card.show()
        self.card.raise_()
        self.card.activateWindow()
        self.hide()
        return self.card

    def on_new_clicked(self) -> None:
        dialog = NewPatientDialog(
            self._ctx.backend,
            self._ctx.bridge,
            zone=self._ctx.zone,
            prefill=prefill_from_text(self.picker.search.text()),
            parent=self,
        )
        dialog.patient_chosen.connect(self.open_card)
        dialog.finished.connect(dialog.deleteLater)
        self.new_patient_dialog = dialog
        dialog.open()


class PatientFinderAction:
    """Ctrl+K on the main window, for as long as it is attached to a backend."""

    def __init__(self, ctx: PanelContext) -> None:
        self.finder = PatientFinder(ctx, ctx.window)
        self.action = QAction("Find a patient…", ctx.window)
        self.action.setShortcut(QKeySequence(SHORTCUT))
        self.action.triggered.connect(self.finder.start)
        ctx.window.addAction(self.action)
        self._window = ctx.window

    def remove(self) -> None:
        self._window.removeAction(self.action)
        self.action.deleteLater()
        if self.finder.card is not None:
            self.finder.card.close()
            self.finder.card.deleteLater()
        self.finder.close()
        self.finder.deleteLater()
