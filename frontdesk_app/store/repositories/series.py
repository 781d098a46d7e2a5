"""Recurring series (`domain/series.py`): the rule of each; its appointments carry its id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk_app.domain.errors import NotFound
from frontdesk_app.domain.models import Appointment
from frontdesk_app.domain.series import Series, SeriesCreate, SeriesRule
from frontdesk_app.store.repositories import appointments as appointments_repo
from frontdesk_app.store.tables import AppointmentRow, SeriesRow


def find(session: Session, series_id: str) -> Series | None:
    row = session.get(SeriesRow, series_id)
    if row is None:
        return None
    return Series(
        id=row.id,
        patient_id=row.patient_id,
        provider_id=row.provider_id,
        duration_minutes=row.duration_minutes,
        type=row.type,
        notes=row.notes,
        rule=SeriesRule.model_validate(row.rule),
        created_at=row.created_at,
        appointments=appointments_of(session, series_id),
    )


def get(session: Session, series_id: str) -> Series:
    found = find(session, series_id)
    if found is None:
        raise NotFound("No such series.")
    return found


def appointments_of(session: Session, series_id: str) -> list[Appointment]:
    """The series' appointments in time order, cancelled ones included."""
    rows = session.scalars(
        select(AppointmentRow)
        .where(AppointmentRow.series_id == series_id)
        .order_by(AppointmentRow.start_time, AppointmentRow.id)
    )
    return [appointments_repo.to_model(row) for row in rows]


def insert(session: Session, series_id: str, request: SeriesCreate, *, now: object) -> None:
    session.add(
        SeriesRow(
            id=series_id,
            patient_id=request.patient_id,
            provider_id=request.provider_id,
            type=request.type,
            duration_minutes=request.duration_minutes,
            notes=request.notes,
            rule=request.rule.model_dump(mode="json"),
            created_at=now,
        )
    )


def delete(session: Session, series_id: str) -> None:
    row = session.get(SeriesRow, series_id)
    if row is not None:
        session.delete(row)


def keep(session: Session, series: Series) -> None:
    """A series as the server has it (another desk booked it), its rule kept here."""
    if session.get(SeriesRow, series.id) is None:
        session.add(
            SeriesRow(
                id=series.id,
                patient_id=series.patient_id,
                provider_id=series.provider_id,
                type=series.type,
                duration_minutes=series.duration_minutes,
                notes=series.notes,
                rule=series.rule.model_dump(mode="json"),
                created_at=series.created_at,
            )
        )
