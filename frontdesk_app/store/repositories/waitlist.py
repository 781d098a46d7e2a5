"""Waitlist entries (`domain/waitlist.py`): one row each, kept after booking or removal."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk_app.domain.errors import NotFound
from frontdesk_app.domain.waitlist import WaitlistEntry, WaitlistStatus
from frontdesk_app.store.tables import WaitlistRow

_FIELDS = (
    "patient_id",
    "provider_id",
    "type",
    "duration_minutes",
    "weekdays",
    "day_parts",
    "earliest",
    "latest",
    "notes",
    "status",
    "appointment_id",
    "created_at",
    "updated_at",
)


def _model(row: WaitlistRow) -> WaitlistEntry:
    return WaitlistEntry(id=row.id, **{name: getattr(row, name) for name in _FIELDS})


def find(session: Session, entry_id: str) -> WaitlistEntry | None:
    row = session.get(WaitlistRow, entry_id)
    return None if row is None else _model(row)


def get(session: Session, entry_id: str) -> WaitlistEntry:
    found = find(session, entry_id)
    if found is None:
        raise NotFound("No such waitlist entry.")
    return found


def listed(
    session: Session, status: WaitlistStatus | None = "waiting", *, limit: int = 500
) -> list[WaitlistEntry]:
    """Entries in that status (None: all), longest waiting first."""
    stmt = select(WaitlistRow).order_by(WaitlistRow.created_at, WaitlistRow.id).limit(limit)
    if status is not None:
        stmt = stmt.where(WaitlistRow.status == status)
    return [_model(row) for row in session.scalars(stmt)]


def save(session: Session, entry: WaitlistEntry) -> None:
    values = entry.model_dump(include=set(_FIELDS))
    row = session.get(WaitlistRow, entry.id)
    if row is None:
        session.add(WaitlistRow(id=entry.id, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)


def save_all(session: Session, entries: Iterable[WaitlistEntry]) -> None:
    for entry in entries:
        save(session, entry)


def booked_into(session: Session, appointment_id: str) -> WaitlistEntry | None:
    """The entry booked into this appointment, if it came from the waitlist."""
    row = session.scalars(
        select(WaitlistRow).where(WaitlistRow.appointment_id == appointment_id).limit(1)
    ).first()
    return None if row is None else _model(row)
