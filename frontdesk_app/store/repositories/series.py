"""Recurring series (`domain/series.py`): the rule of each; its appointments carry its id."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk_app.domain import transitions
from frontdesk_app.domain.errors import NotFound
from frontdesk_app.domain.models import Appointment, AppointmentCreate
from frontdesk_app.domain.scheduling import validate_fields
from frontdesk_app.domain.series import (
    ALTERNATIVE_DAYS,
    OccurrenceFit,
    Series,
    SeriesCreate,
    SeriesRule,
    check_occurrences,
)
from frontdesk_app.store.repositories import appointments as appointments_repo
from frontdesk_app.store.repositories import directory
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


def book(
    session: Session, series_id: str, request: SeriesCreate, *, ids: list[str], now: datetime
) -> list[Appointment]:
    """Store the series and one appointment per start (already checked by the rules), with
    their notifications; returns the appointments in time order."""
    insert(session, series_id, request, now=now)
    booked: list[Appointment] = []
    for appointment_id, start in zip(ids, sorted(request.starts), strict=True):
        booking = AppointmentCreate(
            patient_id=request.patient_id,
            provider_id=request.provider_id,
            start_time=start,
            duration_minutes=request.duration_minutes,
            type=request.type,
            notes=request.notes,
        )
        appointment = transitions.booked(appointment_id, booking, at=now).model_copy(
            update={"series_id": series_id}
        )
        appointments_repo.insert(session, appointment)
        appointments_repo.record_notifications(session, appointment, "created", now=now)
        booked.append(appointment)
    return booked


def insert(session: Session, series_id: str, request: SeriesCreate, *, now: datetime) -> None:
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


# Alternatives are looked for up to this many days either side of the series' span.
_MARGIN = timedelta(days=ALTERNATIVE_DAYS + 1)


def check_starts(
    session: Session,
    *,
    patient_id: str,
    provider_id: str,
    starts: list[datetime],
    duration_minutes: int,
    appointment_type: str,
    now: datetime,
) -> tuple[list[OccurrenceFit], ZoneInfo]:
    """Each start checked by the rules against the diary (`domain.series.check_occurrences`),
    with the provider's zone."""
    validate_fields(duration_minutes=duration_minutes, appointment_type=appointment_type)
    if not directory.patient_exists(session, patient_id):
        raise NotFound("No such patient.")
    begin = min(starts) - _MARGIN
    end = max(starts) + timedelta(minutes=duration_minutes) + _MARGIN
    provider = directory.get_provider(session, provider_id, blocks_from=begin, blocks_to=end)
    fits = check_occurrences(
        starts,
        duration_minutes=duration_minutes,
        appointment_type=appointment_type,
        provider=provider,
        patient_id=patient_id,
        provider_appointments=appointments_repo.active_overlapping(
            session, provider_id=provider_id, start=begin, end=end
        ),
        patient_appointments=appointments_repo.active_overlapping(
            session, patient_id=patient_id, start=begin, end=end
        ),
        now=now,
        provider_names=directory.provider_names(session),
    )
    return fits, ZoneInfo(provider.timezone)
