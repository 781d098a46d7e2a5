"""Visits moved through the sync: checked by the rule on the desk's copy, queued, sent later.

A visit's move is an outbox entry of kind `visit` for its appointment (so it waits behind a
booking of that appointment still queued, and follows its id once the server gives one). Its
`before` is the visit as it was, which a refusal or a discard puts back. The server's answer
replaces the copy's visit unless another move of it is still queued here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from frontdesk_app.domain.visits import Visit, VisitChange
from frontdesk_app.local import visit_ops
from frontdesk_app.store.repositories import appointments as appointments_repo
from frontdesk_app.store.repositories import visits as visits_repo
from frontdesk_app.store.tables import VisitRow
from frontdesk_app.sync import mirror, outbox
from frontdesk_app.sync.entries import OutboxEntry
from frontdesk_app.sync.settle import LAST_SYNC

KIND = "visit"


def queue_visit(
    session: Session,
    appointment_id: str,
    request: VisitChange,
    *,
    now: datetime,
    entry_id: str | None,
) -> tuple[Visit, OutboxEntry]:
    """Move the visit in the copy by the rule, and queue the move."""
    appointment = appointments_repo.get(session, appointment_id)
    before = visits_repo.get(session, appointment_id)
    visit = visit_ops.change(session, appointment_id, request, now=now, by=request.by).result
    entry = outbox.enqueue(
        session,
        kind=KIND,  # type: ignore[arg-type]
        appointment_id=appointment_id,
        provider_id=appointment.provider_id,
        patient_id=appointment.patient_id,
        payload=request.model_dump(mode="json"),
        before=before.model_dump(mode="json"),
        now=now,
        entry_id=entry_id,
    )
    return visit, entry


def settle_visit(
    session: Session, entry: OutboxEntry, response: dict[str, Any], *, now: datetime
) -> Visit:
    """The server moved it: its visit becomes the copy's (unless a later move waits)."""
    server = Visit.model_validate(response)
    later = [e for e in outbox.entries_of(session, entry.appointment_id) if e.seq > entry.seq]
    if not any(e.kind == KIND for e in later):
        mirror.keep_visits(
            session, [server.model_copy(update={"appointment_id": entry.appointment_id})]
        )
    outbox.finish(session, entry.seq, result=response, now=now)
    outbox.set_meta(session, LAST_SYNC, now.isoformat())
    return visits_repo.get(session, entry.appointment_id)


def restore(session: Session, entry: OutboxEntry) -> None:
    """Put the visit back as it was before this move (a refusal, or a person's discard)."""
    before = Visit.model_validate(entry.before or {"appointment_id": entry.appointment_id})
    if before.history:
        visits_repo.save(session, before)
    else:
        session.execute(delete(VisitRow).where(VisitRow.appointment_id == entry.appointment_id))
