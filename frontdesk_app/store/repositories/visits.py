"""Visits (`domain/visits.py`): one row per appointment once its patient has moved on the day."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk_app.domain.visits import Visit, VisitStep
from frontdesk_app.store.tables import VisitRow


def _model(row: VisitRow) -> Visit:
    return Visit(
        appointment_id=row.appointment_id,
        state=row.state,
        room=row.room,
        updated_at=row.updated_at,
        history=[VisitStep.model_validate(step) for step in row.history],
    )


def get(session: Session, appointment_id: str) -> Visit:
    """The appointment's visit (`scheduled`, with no history, until someone moves it)."""
    row = session.get(VisitRow, appointment_id)
    return Visit(appointment_id=appointment_id) if row is None else _model(row)


def of(session: Session, appointment_ids: Iterable[str]) -> list[Visit]:
    """The visits that have moved, of these appointments."""
    wanted = list(dict.fromkeys(appointment_ids))
    found: list[Visit] = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = session.scalars(select(VisitRow).where(VisitRow.appointment_id.in_(chunk)))
        found.extend(_model(row) for row in rows)
    return found


def save(session: Session, visit: Visit) -> None:
    assert visit.updated_at is not None
    history = [step.model_dump(mode="json") for step in visit.history]
    row = session.get(VisitRow, visit.appointment_id)
    if row is None:
        session.add(
            VisitRow(
                appointment_id=visit.appointment_id,
                state=visit.state,
                room=visit.room,
                updated_at=visit.updated_at,
                history=history,
            )
        )
    else:
        row.state, row.room, row.updated_at, row.history = (
            visit.state,
            visit.room,
            visit.updated_at,
            history,
        )
