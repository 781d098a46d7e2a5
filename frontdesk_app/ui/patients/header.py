"""Whose results a panel shows: the patient's name and date of birth above everything else.

Every panel that shows one patient's data is bound to one patient at a time; this header is
how the person sees which one, so a result is never read under another patient's name.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from frontdesk_app.domain.models import Patient

NO_PATIENT = "No patient chosen"


def patient_caption(patient: Patient) -> str:
    """`Dana Whitfield · born 2 Mar 1984`: enough to tell two patients apart at a glance."""
    born = f"{patient.date_of_birth.day} {patient.date_of_birth:%b %Y}"
    return f"{patient.full_name} · born {born}"


class PatientHeader(QLabel):
    """A heading naming the panel's patient (or saying there is none)."""

    def __init__(self, parent: QWidget | None = None, *, empty: str = NO_PATIENT) -> None:
        super().__init__(parent)
        self.setObjectName("patientHeader")
        self.setProperty("role", "heading")
        self.setAccessibleName("Patient")
        self._empty = empty
        self.patient: Patient | None = None
        self.set_patient(None)

    def set_patient(self, patient: Patient | None) -> None:
        self.patient = patient
        self.setText(patient_caption(patient) if patient is not None else self._empty)
        self.setProperty("empty", patient is None)
