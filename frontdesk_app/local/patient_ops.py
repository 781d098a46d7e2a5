"""Register a patient inside one write transaction: validate, look for duplicates, insert."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from frontdesk_app.domain.errors import PossibleDuplicate
from frontdesk_app.domain.ids import PATIENT, new_id
from frontdesk_app.domain.models import Patient, PatientCreate
from frontdesk_app.domain.patients import (
    duplicate_message,
    likely_duplicates,
    validate_patient,
)
from frontdesk_app.local.appointment_ops import Outcome
from frontdesk_app.store.repositories import directory
from frontdesk_app.store.repositories import patients as patients_repo

CREATED = "patient.created"


def check(session: Session, request: PatientCreate, *, now: datetime) -> PatientCreate:
    """The normalised request, or the refusal: invalid fields, or likely duplicates (unless
    the person already chose to register anyway)."""
    today = now.astimezone(ZoneInfo(directory.clinic_timezone(session))).date()
    valid = validate_patient(request, today=today, payer_ids=patients_repo.payer_ids(session))
    if not valid.allow_duplicate:
        found = likely_duplicates(valid, patients_repo.candidates(session, valid))
        if found:
            ids = [p.id for p in found[: patients_repo.MAX_CANDIDATES]]
            raise PossibleDuplicate(duplicate_message(len(ids)), candidate_ids=ids)
    return valid


def create(
    session: Session, request: PatientCreate, *, now: datetime, patient_id: str | None = None
) -> Outcome[Patient]:
    valid = check(session, request, now=now)
    patient = patients_repo.insert(session, patient_id or new_id(PATIENT), valid)
    return Outcome(patient, [(CREATED, patient.model_dump(mode="json"))])
