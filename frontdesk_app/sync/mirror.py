"""Server state into the local mirror: upserts without rules, id remapping, local rebuilds.

The server has already applied the rules to what it sends, so nothing here checks them again;
these functions only make the mirror say what the server says, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from frontdesk_app.domain.models import (
    Agent,
    Appointment,
    Patient,
    Payer,
    Provider,
)
from frontdesk_app.domain.visits import Visit
from frontdesk_app.store.repositories import appointments as appointments_repo
from frontdesk_app.store.repositories import visits as visits_repo
from frontdesk_app.store.repositories.directory import digits
from frontdesk_app.store.tables import (
    AgentRow,
    AppointmentRow,
    NotificationRow,
    PatientRow,
    PayerRow,
    ProviderBlockRow,
    ProviderHoursRow,
    ProviderRow,
)

# Rows per INSERT statement: SQLite allows 32,766 bound values; 15 columns × 500 stays clear.
_CHUNK = 500


class MissingReference(LookupError):
    """An appointment names a patient or provider the mirror does not hold yet."""

    def __init__(self, patient_ids: set[str], provider_ids: set[str]) -> None:
        super().__init__("the mirror lacks a patient or provider an appointment refers to")
        self.patient_ids = patient_ids
        self.provider_ids = provider_ids


# --- directory -------------------------------------------------------------------------------


def upsert_payers(session: Session, payers: Iterable[Payer]) -> None:
    for payer in payers:
        row = session.get(PayerRow, payer.id)
        if row is None:
            session.add(
                PayerRow(
                    id=payer.id, name=payer.name, available=payer.available, retry_after_seconds=0
                )
            )
        else:
            row.name, row.available = payer.name, payer.available
    session.flush()


def upsert_providers(session: Session, providers: Iterable[Provider]) -> None:
    """Providers with their weekly hours and blocked times (replaced whole)."""
    for provider in providers:
        row = session.get(ProviderRow, provider.id)
        if row is None:
            session.add(
                ProviderRow(
                    id=provider.id,
                    name=provider.name,
                    specialty=provider.specialty,
                    timezone=provider.timezone,
                )
            )
        else:
            row.name, row.specialty, row.timezone = (
                provider.name,
                provider.specialty,
                provider.timezone,
            )
        session.flush()
        session.execute(delete(ProviderHoursRow).where(ProviderHoursRow.provider_id == provider.id))
        session.execute(delete(ProviderBlockRow).where(ProviderBlockRow.provider_id == provider.id))
        session.add_all(
            ProviderHoursRow(provider_id=provider.id, weekday=day, start=r.start, end=r.end)
            for day, ranges in provider.weekly_hours.items()
            for r in ranges
        )
        session.add_all(
            ProviderBlockRow(
                provider_id=provider.id,
                start_time=b.start_time,
                end_time=b.end_time,
                reason=b.reason,
            )
            for b in provider.blocked
        )
    session.flush()


def upsert_patients(session: Session, patients: Iterable[Patient]) -> None:
    """Patients (their payer must be in the mirror: upsert payers first)."""
    known_payers = set(session.scalars(select(PayerRow.id)))
    rows = []
    for patient in patients:
        insurance = patient.insurance
        payer_id = insurance.payer_id if insurance and insurance.payer_id in known_payers else None
        rows.append(
            {
                "id": patient.id,
                "first_name": patient.first_name,
                "last_name": patient.last_name,
                "date_of_birth": patient.date_of_birth,
                "phone": patient.phone,
                "phone_digits": digits(patient.phone),
                "email": patient.email,
                "address": patient.address,
                "payer_id": payer_id,
                "member_id": insurance.member_id if insurance and payer_id else None,
            }
        )
    _bulk_upsert(session, PatientRow.__table__, rows)


def _bulk_upsert(
    session: Session,
    table: Any,
    rows: list[dict[str, Any]],
    *,
    newer_only: bool = False,
) -> None:
    """INSERT … ON CONFLICT(id) DO UPDATE, in one statement per chunk (the pull is large).

    With `newer_only` a row is replaced only by a version that is not older (`updated_at`) and
    a cancellation, which nothing undoes, is never replaced by a live version: an event
    delivered late (a move, after the cancel that followed it had already settled here) cannot
    take the desk's copy back in time.
    """
    if not rows:
        return
    columns = [name for name in rows[0] if name != "id"]
    for start in range(0, len(rows), _CHUNK):
        stmt = sqlite_insert(table).values(rows[start : start + _CHUNK])
        where = None
        if newer_only:
            where = and_(
                stmt.excluded.updated_at >= table.c.updated_at,
                or_(table.c.status != "cancelled", stmt.excluded.status == "cancelled"),
            )
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=[table.c.id],
                set_={name: stmt.excluded[name] for name in columns},
                where=where,
            )
        )


def upsert_agents(session: Session, agents: Iterable[Agent]) -> None:
    for position, agent in enumerate(agents):
        row = session.get(AgentRow, agent.id)
        if row is None:
            session.add(
                AgentRow(
                    id=agent.id,
                    name=agent.name,
                    status=agent.status,
                    position=position,
                )
            )
        else:
            row.name, row.status = agent.name, agent.status
    session.flush()


def set_agent_status(session: Session, agent_id: str, status: str) -> None:
    session.execute(update(AgentRow).where(AgentRow.id == agent_id).values(status=status))


# --- appointments ----------------------------------------------------------------------------


def check_references(session: Session, appointments: Iterable[Appointment]) -> None:
    """Raise `MissingReference` naming every patient and provider the mirror lacks."""
    patients = {a.patient_id for a in appointments}
    providers = {a.provider_id for a in appointments}
    have_patients = set(session.scalars(select(PatientRow.id).where(PatientRow.id.in_(patients))))
    have_providers = set(
        session.scalars(select(ProviderRow.id).where(ProviderRow.id.in_(providers)))
    )
    if patients - have_patients or providers - have_providers:
        raise MissingReference(patients - have_patients, providers - have_providers)


def upsert_appointment(session: Session, appointment: Appointment) -> None:
    """Make the mirror's row say what the server says."""
    row = session.get(AppointmentRow, appointment.id)
    if row is None:
        appointments_repo.insert(session, appointment)
    else:
        appointments_repo.apply(row, appointment)


def upsert_appointments(session: Session, appointments: Iterable[Appointment]) -> None:
    """Many server versions at once (the pull and event batches), checked for references."""
    batch = list(appointments)
    check_references(session, batch)
    # ORM rows already loaded in this session would go stale under a Core upsert.
    session.flush()
    _bulk_upsert(
        session, AppointmentRow.__table__, [a.model_dump() for a in batch], newer_only=True
    )
    session.expire_all()


def get_appointment(session: Session, appointment_id: str) -> Appointment | None:
    row = session.get(AppointmentRow, appointment_id)
    return None if row is None else appointments_repo.to_model(row)


def get_appointments(session: Session, ids: Iterable[str]) -> dict[str, Appointment]:
    """Several appointments by id, those the mirror holds."""
    wanted = list(ids)
    if not wanted:
        return {}
    rows = session.scalars(select(AppointmentRow).where(AppointmentRow.id.in_(wanted)))
    return {row.id: appointments_repo.to_model(row) for row in rows}


def replace_appointment(session: Session, appointment: Appointment) -> None:
    """Overwrite the row with a locally rebuilt version (a person discarded a queued write)."""
    upsert_appointment(session, appointment)
    session.flush()


def delete_appointment(session: Session, appointment_id: str) -> None:
    """Remove an offline booking that never reached the server (and its notifications)."""
    session.execute(delete(NotificationRow).where(NotificationRow.appointment_id == appointment_id))
    session.execute(delete(AppointmentRow).where(AppointmentRow.id == appointment_id))


def keep_visits(session: Session, visits: Iterable[Visit]) -> None:
    """The server's visits, of the appointments this copy holds."""
    batch = list(visits)
    held = set(get_appointments(session, (v.appointment_id for v in batch)))
    for visit in batch:
        if visit.appointment_id in held:
            visits_repo.save(session, visit)


def visits_of(session: Session, appointment_ids: list[str]) -> list[Visit]:
    """Each appointment's visit as kept here (`scheduled` when nothing is known)."""
    return [visits_repo.get(session, i) for i in appointment_ids]
