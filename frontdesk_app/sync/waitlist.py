"""The waitlist through the sync: saved in the desk's copy by the rules, queued, sent later.

A save is an outbox entry of kind `waitlist` whose `appointment_id` column holds the entry's
id (`wl_…`, chosen by the desk, so nothing is renamed when it syncs) and whose `before` is the
entry as it was (None when new): what a refusal or a discard puts back. It holds every time of
its patient, so a booking naming the entry is sent after it. Booking from the waitlist is an
ordinary queued create naming the entry (`AppointmentCreate.waitlist_entry_id`); taking that
booking back (refused, discarded) puts the entry back on the list (`reopen_for`).

The server's entries replace the copy's, except those this desk is still sending: a save
queued here, or a booking from the list not yet synced (its appointment id still temporary).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from frontdesk_app.domain import waitlist as rules
from frontdesk_app.domain.ids import is_temporary
from frontdesk_app.domain.waitlist import WaitlistEntry, WaitlistRequest
from frontdesk_app.local import waitlist_ops
from frontdesk_app.store.repositories import waitlist as waitlist_repo
from frontdesk_app.store.tables import WaitlistRow
from frontdesk_app.sync import outbox
from frontdesk_app.sync.entries import OutboxEntry
from frontdesk_app.sync.settle import LAST_SYNC

KIND = "waitlist"


def queue_save(
    session: Session,
    entry_id: str,
    request: WaitlistRequest,
    *,
    now: datetime,
    outbox_id: str | None,
) -> tuple[WaitlistEntry, OutboxEntry]:
    """Save in the copy by the rules (the patient must be known here), and queue the save."""
    before = waitlist_repo.find(session, entry_id)
    saved = waitlist_ops.save(session, entry_id, request, now=now).result
    queued = outbox.enqueue(
        session,
        kind=KIND,  # type: ignore[arg-type]
        appointment_id=entry_id,
        provider_id=request.provider_id or "",
        patient_id=request.patient_id,
        payload=request.model_dump(mode="json"),
        before=None if before is None else before.model_dump(mode="json"),
        now=now,
        entry_id=outbox_id,
    )
    return saved, queued


def settle_save(
    session: Session, entry: OutboxEntry, response: dict[str, Any], *, now: datetime
) -> WaitlistEntry:
    """The server saved it: its entry becomes the copy's (unless a later save waits)."""
    server = WaitlistEntry.model_validate(response)
    later = [e for e in outbox.entries_of(session, entry.appointment_id) if e.seq > entry.seq]
    if not later:
        waitlist_repo.save(session, server)
    outbox.finish(session, entry.seq, result=response, now=now)
    outbox.set_meta(session, LAST_SYNC, now.isoformat())
    return waitlist_repo.get(session, entry.appointment_id)


def restore(session: Session, entry: OutboxEntry) -> WaitlistEntry | None:
    """Put the entry back as it was before this save (refused, or a person's discard)."""
    if entry.before is None:
        session.execute(delete(WaitlistRow).where(WaitlistRow.id == entry.appointment_id))
        return None
    before = WaitlistEntry.model_validate(entry.before)
    waitlist_repo.save(session, before)
    return before


def reopen_for(session: Session, appointment_id: str, *, now: datetime) -> WaitlistEntry | None:
    """A booking taken back: the entry it was made from goes back on the list."""
    found = waitlist_repo.booked_into(session, appointment_id)
    if found is None:
        return None
    reopened = rules.reopened(found, now=now)
    waitlist_repo.save(session, reopened)
    return reopened


def keep_server_entries(session: Session, entries: Iterable[WaitlistEntry]) -> list[WaitlistEntry]:
    """The server's entries into the copy, except those this desk is still sending; returns
    the ones kept."""
    batch = list(entries)
    held = outbox.open_appointment_ids(session, [e.id for e in batch])
    kept: list[WaitlistEntry] = []
    for server in batch:
        if server.id in held:
            continue
        local = waitlist_repo.find(session, server.id)
        if local is not None and local.appointment_id and is_temporary(local.appointment_id):
            continue  # booked here offline; the server hears of it when the booking syncs
        waitlist_repo.save(session, server)
        kept.append(server)
    return kept
