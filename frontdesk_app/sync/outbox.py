"""The outbox in the mirror database: queue, finish, park as conflict, remap, count.

Functions over a `Session` in the caller's transaction, so a local change and its outbox entry
(or a server answer and the entry it finishes) always commit together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from frontdesk_app.domain.changes import SyncStatus
from frontdesk_app.domain.ids import new_id
from frontdesk_app.sync.entries import EntryState, Kind, OutboxEntry
from frontdesk_app.sync.tables import meta, outbox

OUTBOX_ID_PREFIX = "obx"
OPEN_STATES: tuple[EntryState, ...] = ("pending", "conflict")


def new_entry_id() -> str:
    """A fresh entry id, also its Idempotency-Key (long enough never to collide)."""
    return new_id(OUTBOX_ID_PREFIX, 20)


def enqueue(
    session: Session,
    *,
    kind: Kind,
    appointment_id: str,
    provider_id: str,
    patient_id: str,
    payload: dict[str, Any],
    before: dict[str, Any] | None,
    now: datetime,
    entry_id: str | None = None,
) -> OutboxEntry:
    """Queue one write in the caller's transaction."""
    values = {
        "id": entry_id or new_entry_id(),
        "kind": kind,
        "appointment_id": appointment_id,
        "provider_id": provider_id,
        "patient_id": patient_id,
        "payload": payload,
        "before": before,
        "state": "pending",
        "attempts": 0,
        "created_at": now,
    }
    seq = session.execute(outbox.insert().values(**values).returning(outbox.c.seq)).scalar_one()
    return OutboxEntry(
        seq=int(seq),
        id=str(values["id"]),
        kind=kind,
        appointment_id=appointment_id,
        provider_id=provider_id,
        patient_id=patient_id,
        payload=payload,
        before=before,
        state="pending",
        attempts=0,
        next_attempt_at=None,
        created_at=now,
    )


def _entry(row: Row[Any]) -> OutboxEntry:
    return OutboxEntry(
        seq=row.seq,
        id=row.id,
        kind=row.kind,
        appointment_id=row.appointment_id,
        provider_id=row.provider_id,
        patient_id=row.patient_id,
        payload=row.payload,
        before=row.before,
        state=row.state,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        conflict_code=row.conflict_code,
        conflict_message=row.conflict_message,
        conflict_at=row.conflict_at,
    )


def open_entries(session: Session) -> list[OutboxEntry]:
    """Every pending or conflicted entry, in queue order."""
    rows = session.execute(
        select(outbox).where(outbox.c.state.in_(OPEN_STATES)).order_by(outbox.c.seq)
    )
    return [_entry(row) for row in rows]


def get(session: Session, entry_id: str) -> OutboxEntry | None:
    row = session.execute(select(outbox).where(outbox.c.id == entry_id)).first()
    return None if row is None else _entry(row)


def result_of(session: Session, entry_id: str) -> tuple[EntryState, dict[str, Any] | None]:
    """A finished entry's state and the server's answer (for a caller that stopped waiting)."""
    row = session.execute(
        select(outbox.c.state, outbox.c.result).where(outbox.c.id == entry_id)
    ).first()
    if row is None:
        raise KeyError(entry_id)
    return row.state, row.result


def entries_of(session: Session, appointment_id: str) -> list[OutboxEntry]:
    """The open entries of one appointment, in order."""
    rows = session.execute(
        select(outbox)
        .where(outbox.c.appointment_id == appointment_id, outbox.c.state.in_(OPEN_STATES))
        .order_by(outbox.c.seq)
    )
    return [_entry(row) for row in rows]


def finish(
    session: Session,
    seq: int,
    *,
    state: EntryState = "done",
    result: dict[str, Any] | None = None,
    now: datetime,
    code: str | None = None,
    message: str | None = None,
) -> None:
    """Close an entry: `done` with the server's answer, or `rejected` / `discarded`."""
    values: dict[str, Any] = {
        "state": state,
        "result": result,
        "done_at": now,
        "next_attempt_at": None,
    }
    if code is not None:
        values.update(conflict_code=code, conflict_message=message, conflict_at=now)
    session.execute(update(outbox).where(outbox.c.seq == seq).values(**values))


def mark_conflict(session: Session, seq: int, *, code: str, message: str, now: datetime) -> None:
    """The server refused the write: park it for a person, with the server's reason."""
    session.execute(
        update(outbox)
        .where(outbox.c.seq == seq)
        .values(
            state="conflict",
            conflict_code=code,
            conflict_message=message,
            conflict_at=now,
            next_attempt_at=None,
        )
    )


def schedule_retry(
    session: Session, seq: int, *, attempts: int, next_attempt_at: datetime | None, error: str
) -> None:
    """A transient failure: try again no earlier than `next_attempt_at`, in the same place."""
    session.execute(
        update(outbox)
        .where(outbox.c.seq == seq)
        .values(attempts=attempts, next_attempt_at=next_attempt_at, last_error=error)
    )


def requeue(session: Session, seq: int, *, payload: dict[str, Any]) -> str:
    """Send a conflicted entry again with a new body, keeping its place in the queue.

    A changed body needs a new Idempotency-Key (the old key with another body is refused as
    `idempotency_key_reused`), so the entry gets a new id; the new id is returned.
    """
    new = new_entry_id()
    session.execute(
        update(outbox)
        .where(outbox.c.seq == seq)
        .values(
            id=new,
            payload=payload,
            state="pending",
            attempts=0,
            next_attempt_at=None,
            conflict_code=None,
            conflict_message=None,
            conflict_at=None,
            last_error=None,
        )
    )
    return new


def counts(session: Session) -> tuple[int, int]:
    """(pending, conflicts)."""
    rows = session.execute(
        select(outbox.c.state, func.count())
        .where(outbox.c.state.in_(OPEN_STATES))
        .group_by(outbox.c.state)
    ).all()
    by_state = {state: int(n) for state, n in rows}
    return by_state.get("pending", 0), by_state.get("conflict", 0)


def statuses(session: Session, appointment_ids: Iterable[str]) -> dict[str, SyncStatus]:
    """The sync status of each appointment asked about (`synced` when nothing is queued)."""
    ids = list(dict.fromkeys(appointment_ids))
    found: dict[str, SyncStatus] = dict.fromkeys(ids, "synced")
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        rows = session.execute(
            select(outbox.c.appointment_id, outbox.c.state).where(
                outbox.c.appointment_id.in_(chunk), outbox.c.state.in_(OPEN_STATES)
            )
        )
        for appointment_id, state in rows:
            if state == "conflict":
                found[appointment_id] = "conflict"
            elif found[appointment_id] != "conflict":
                found[appointment_id] = "pending"
    return found


def open_ids(session: Session, entry_ids: Iterable[str]) -> set[str]:
    """Which of these entries are still open (a server booking whose `client_reference` is
    one of them is this desk's own, not settled here yet)."""
    ids = list(dict.fromkeys(entry_ids))
    found: set[str] = set()
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        found.update(
            session.scalars(
                select(outbox.c.id).where(outbox.c.id.in_(chunk), outbox.c.state.in_(OPEN_STATES))
            )
        )
    return found


def prune_done(session: Session, *, before: datetime) -> int:
    """Forget closed entries older than `before` (the server forgets keys after 24 h too)."""
    doomed = select(outbox.c.seq).where(
        outbox.c.state.not_in(OPEN_STATES), outbox.c.done_at < before
    )
    seqs = list(session.execute(doomed).scalars())
    if seqs:
        session.execute(outbox.delete().where(outbox.c.seq.in_(seqs)))
    return len(seqs)


# --- sync facts ------------------------------------------------------------------------------


def get_meta(session: Session, key: str) -> str | None:
    value = session.execute(select(meta.c.value).where(meta.c.key == key)).scalar_one_or_none()
    return None if value is None else str(value)


def set_meta(session: Session, key: str, value: str) -> None:
    stmt = insert(meta).values(key=key, value=value)
    session.execute(stmt.on_conflict_do_update(index_elements=[meta.c.key], set_={"value": value}))


def set_many_meta(session: Session, items: Sequence[tuple[str, str]]) -> None:
    for key, value in items:
        set_meta(session, key, value)


def open_appointment_ids(session: Session, appointment_ids: Iterable[str]) -> set[str]:
    """Which of these ids (an appointment's, or a waitlist entry's) have writes still open."""
    ids = list(dict.fromkeys(appointment_ids))
    found: set[str] = set()
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        found.update(
            session.scalars(
                select(outbox.c.appointment_id).where(
                    outbox.c.appointment_id.in_(chunk), outbox.c.state.in_(OPEN_STATES)
                )
            )
        )
    return found
