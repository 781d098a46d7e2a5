"""Registering patients in the store, and finding the ones a new registration may duplicate."""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from frontdesk_app.domain.models import Patient, PatientCreate
from frontdesk_app.domain.patients import digits
from frontdesk_app.store.repositories.directory import patient_to_model
from frontdesk_app.store.tables import PatientRow, PayerRow

MAX_CANDIDATES = 10


def payer_ids(session: Session) -> list[str]:
    return list(session.scalars(select(PayerRow.id)).all())


def candidates(session: Session, request: PatientCreate) -> list[Patient]:
    """Patients with the same date of birth and a name alike, or the same phone digits
    (a superset: `domain.patients.likely_duplicates` makes the final call)."""
    phone = digits(request.phone)
    same_born = and_(
        PatientRow.date_of_birth == request.date_of_birth,
        func.lower(PatientRow.last_name) == request.last_name.strip().lower(),
    )
    condition = or_(same_born, PatientRow.phone_digits == phone) if phone else same_born
    rows = session.scalars(
        select(PatientRow).where(condition).order_by(PatientRow.id).limit(MAX_CANDIDATES * 4)
    ).all()
    return [patient_to_model(row) for row in rows]


def insert(session: Session, patient_id: str, request: PatientCreate) -> Patient:
    """Store a validated registration under `patient_id`."""
    insurance = request.insurance
    row = PatientRow(
        id=patient_id,
        first_name=request.first_name,
        last_name=request.last_name,
        date_of_birth=request.date_of_birth,
        phone=request.phone,
        phone_digits=digits(request.phone),
        email=request.email,
        address=request.address,
        payer_id=insurance.payer_id if insurance else None,
        member_id=insurance.member_id if insurance else None,
    )
    session.add(row)
    session.flush()
    return patient_to_model(row)


def replace_id(session: Session, temporary_id: str, server: Patient) -> None:
    """A patient registered offline takes the server's id, with their appointments; a copy the
    mirror pulled under the server id first is replaced, never doubled."""
    conn = session.connection()
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    if temporary_id == server.id:
        return
    exists = conn.exec_driver_sql("SELECT 1 FROM patients WHERE id = ?", (server.id,)).first()
    if exists is not None:
        conn.exec_driver_sql("DELETE FROM patients WHERE id = ?", (temporary_id,))
    else:
        conn.exec_driver_sql("UPDATE patients SET id = ? WHERE id = ?", (server.id, temporary_id))
    for table in (
        "appointments",
        "calls",
        "eligibility_checks",
        "prescriptions",
        "payer_members",
        "waitlist",
    ):
        conn.exec_driver_sql(
            f"UPDATE {table} SET patient_id = ? WHERE patient_id = ?",
            (server.id, temporary_id),
        )
