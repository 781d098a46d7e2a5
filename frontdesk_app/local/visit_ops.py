"""Visits in a store: move a patient's visit on by the rule in `domain/visits.py`, read them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from frontdesk_app.domain import visits as rules
from frontdesk_app.domain.visits import Visit, VisitChange
from frontdesk_app.local.appointment_ops import Outcome
from frontdesk_app.store.repositories import appointments as appointments_repo
from frontdesk_app.store.repositories import visits as visits_repo


def change(
    session: Session,
    appointment_id: str,
    request: VisitChange,
    *,
    now: datetime,
    by: str | None,
) -> Outcome[Visit]:
    appointment = appointments_repo.get(session, appointment_id)  # NotFound when unknown
    current = visits_repo.get(session, appointment_id)
    rules.check_move(appointment, current, request.state, now=now)
    visit = rules.moved(current, request, now=now, by=by)
    visits_repo.save(session, visit)
    data = visit.model_dump(mode="json")
    data["patient_id"] = appointment.patient_id
    data["provider_id"] = appointment.provider_id
    return Outcome(visit, [(rules.VISIT_EVENT, data)])


def get(session: Session, appointment_id: str) -> Visit:
    appointments_repo.get(session, appointment_id)  # NotFound when unknown
    return visits_repo.get(session, appointment_id)


def between(session: Session, start: datetime, end: datetime) -> list[Visit]:
    """The visits that moved, of the appointments starting in [start, end)."""
    rows = appointments_repo.calendar_rows(session, start, end)
    return visits_repo.of(session, (row[0] for row in rows if start <= row[3] < end))
