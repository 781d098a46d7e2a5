"""The sync's transactions: queue a write with its local row, and settle the server's answer.

Each function runs in one write transaction the caller opens (`SyncDb.write`), so the mirror
and the outbox never disagree, whatever moment the process is killed at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from frontdesk_app.domain.errors import NotFound
from frontdesk_app.domain.ids import TEMPORARY_APPOINTMENT, is_temporary, new_id
from frontdesk_app.domain.models import (
    Appointment,
    AppointmentCancel,
    AppointmentCreate,
    AppointmentReschedule,
    CancelResult,
    Patient,
    RescheduleResult,
)
from frontdesk_app.domain.visits import Visit, VisitChange
from frontdesk_app.domain.waitlist import WaitlistEntry
from frontdesk_app.local import appointment_ops
from frontdesk_app.store.repositories import appointments as appointments_repo
from frontdesk_app.store.repositories import visits as visits_repo
from frontdesk_app.sync import mirror, outbox, patients, series, settle, visits, waitlist
from frontdesk_app.sync.entries import OutboxEntry, apply_locally, payload_of

LAST_SYNC = settle.LAST_SYNC
REMAP_PREFIX = settle.REMAP_PREFIX


@dataclass(frozen=True, slots=True)
class Queued:
    """A write taken locally: the local answer and the entry that will carry it."""

    result: Appointment | RescheduleResult | CancelResult | Visit
    appointment: Appointment
    entry: OutboxEntry


@dataclass(frozen=True, slots=True)
class Settled:
    """How the mirror looks after an entry closed."""

    appointment: Appointment | None
    remapped_from: str | None = None
    closed: tuple[int, ...] = ()
    # A registration the server accepted: the patient as registered (`remapped_from` then
    # names the patient's temporary id when the server gave another).
    patient: Patient | None = None
    # A visit's move: the visit as the copy now has it.
    visit: Visit | None = None
    # A waitlist save, or a booking from the waitlist taken back: the entry as the copy now
    # has it (None with `waitlist_removed`: a new entry taken back).
    waitlist: WaitlistEntry | None = None
    waitlist_removed: str | None = None
    # A series write: each appointment as the copy now has it, the (temporary, server) ids
    # that changed, and the appointments that left the copy.
    appointments: tuple[Appointment, ...] = ()
    remaps: tuple[tuple[str, str], ...] = ()
    removed: tuple[str, ...] = ()


def queue_create(
    session: Session, request: AppointmentCreate, *, now: datetime, entry_id: str | None
) -> Queued:
    """Book into the mirror by the rules under a temporary id, and queue the create.

    The create carries the entry's id as its `client_reference`, so the server's appointment
    can be found by it if the desk is ever unsure whether the create went through.
    """
    entry_id = entry_id or outbox.new_entry_id()
    if request.client_reference is None:
        request = request.model_copy(update={"client_reference": entry_id})
    temporary_id = new_id(TEMPORARY_APPOINTMENT)
    outcome = appointment_ops.create(session, request, now=now, appointment_id=temporary_id)
    entry = outbox.enqueue(
        session,
        kind="create",
        appointment_id=temporary_id,
        provider_id=request.provider_id,
        patient_id=request.patient_id,
        payload=payload_of(request),
        before=None,
        now=now,
        entry_id=entry_id,
    )
    return Queued(outcome.result, outcome.result, entry)


def queue_reschedule(
    session: Session,
    appointment_id: str,
    request: AppointmentReschedule,
    *,
    now: datetime,
    entry_id: str | None,
) -> Queued:
    before = appointments_repo.get(session, appointment_id)
    outcome = appointment_ops.reschedule(session, appointment_id, request, now=now)
    entry = outbox.enqueue(
        session,
        kind="reschedule",
        appointment_id=appointment_id,
        provider_id=before.provider_id,
        patient_id=before.patient_id,
        payload=payload_of(request),
        before=before.model_dump(mode="json"),
        now=now,
        entry_id=entry_id,
    )
    return Queued(outcome.result, appointments_repo.get(session, appointment_id), entry)


def queue_cancel(
    session: Session,
    appointment_id: str,
    request: AppointmentCancel,
    *,
    now: datetime,
    entry_id: str | None,
) -> Queued:
    before = appointments_repo.get(session, appointment_id)
    outcome = appointment_ops.cancel(session, appointment_id, request, now=now)
    entry = outbox.enqueue(
        session,
        kind="cancel",
        appointment_id=appointment_id,
        provider_id=before.provider_id,
        patient_id=before.patient_id,
        payload=payload_of(request),
        before=before.model_dump(mode="json"),
        now=now,
        entry_id=entry_id,
    )
    return Queued(outcome.result, appointments_repo.get(session, appointment_id), entry)


def resolve_id(session: Session, appointment_id: str) -> str:
    """The server's id for an offline booking that has synced since; other ids unchanged."""
    if not is_temporary(appointment_id):
        return appointment_id
    return outbox.get_meta(session, REMAP_PREFIX + appointment_id) or appointment_id


def _later(session: Session, entry: OutboxEntry) -> list[OutboxEntry]:
    return [e for e in outbox.entries_of(session, entry.appointment_id) if e.seq > entry.seq]


def settle_success(
    session: Session, entry: OutboxEntry, response: dict[str, Any], *, now: datetime
) -> Settled:
    """The server accepted: record its answer, give an offline booking its id, close."""
    if entry.kind == patients.KIND:
        server = patients.settle_patient(session, entry, response, now=now)
        moved = entry.patient_id if server.id != entry.patient_id else None
        return Settled(None, moved, (entry.seq,), patient=server)
    if entry.kind == visits.KIND:
        visit = visits.settle_visit(session, entry, response, now=now)
        current = mirror.get_appointment(session, entry.appointment_id)
        return Settled(current, None, (entry.seq,), visit=visit)
    if entry.kind == waitlist.KIND:
        saved = waitlist.settle_save(session, entry, response, now=now)
        return Settled(None, None, (entry.seq,), waitlist=saved)
    if entry.kind in series.KINDS:
        changed, remaps = series.settle_success(session, entry, response, now=now)
        return Settled(None, None, (entry.seq,), appointments=tuple(changed), remaps=tuple(remaps))
    appointment, remapped_from = settle.settle_success(session, entry, response, now=now)
    return Settled(appointment, remapped_from, (entry.seq,))


def park_conflict(
    session: Session, entry: OutboxEntry, *, code: str, message: str, now: datetime
) -> None:
    outbox.mark_conflict(session, entry.seq, code=code, message=message, now=now)


def _rebuild(
    session: Session, base: Appointment | None, entries: list[OutboxEntry], *, now: datetime
) -> Appointment | None:
    current = base
    for entry in entries:
        current = apply_locally(current, entry, now=now)
    return current


def undo(
    session: Session,
    entry: OutboxEntry,
    *,
    state: Literal["rejected", "discarded"],
    now: datetime,
    code: str | None = None,
    message: str | None = None,
) -> Settled:
    """Take a write back out of the mirror (refused while its caller waited, or discarded).

    A booking that never reached the server disappears with every later write of it; for a
    reschedule or cancel the row is rebuilt from the version before it plus the later writes.
    """
    if entry.kind == patients.KIND:
        closed_patient = patients.undo_patient(
            session, entry, state=state, now=now, code=code, message=message
        )
        return Settled(None, None, closed_patient)
    if entry.kind == visits.KIND:
        visits.restore(session, entry)
        outbox.finish(session, entry.seq, state=state, now=now, code=code, message=message)
        current = mirror.get_appointment(session, entry.appointment_id)
        return Settled(
            current, None, (entry.seq,), visit=visits_repo.get(session, entry.appointment_id)
        )
    if entry.kind == waitlist.KIND:
        restored = waitlist.restore(session, entry)
        outbox.finish(session, entry.seq, state=state, now=now, code=code, message=message)
        gone = entry.appointment_id if restored is None else None
        return Settled(None, None, (entry.seq,), waitlist=restored, waitlist_removed=gone)
    if entry.kind in series.KINDS:
        put_back, taken_out, later_seqs = series.undo(session, entry)
        for seq in (entry.seq, *later_seqs):
            outbox.finish(
                session,
                seq,
                state=state,
                now=now,
                code=code if seq == entry.seq else None,
                message=message if seq == entry.seq else None,
            )
        return Settled(
            None,
            None,
            (entry.seq, *later_seqs),
            appointments=tuple(put_back),
            removed=tuple(taken_out),
        )
    later = _later(session, entry)
    closed = [entry.seq]
    reopened = None
    if entry.kind == "create":
        reopened = waitlist.reopen_for(session, entry.appointment_id, now=now)
        mirror.delete_appointment(session, entry.appointment_id)
        closed += [e.seq for e in later]
        appointment = None
    else:
        base = Appointment.model_validate(entry.before) if entry.before is not None else None
        appointment = _rebuild(session, base, later, now=now)
        if appointment is not None:
            mirror.replace_appointment(session, appointment)
    for seq in closed:
        outbox.finish(
            session,
            seq,
            state=state,
            now=now,
            code=code if seq == entry.seq else None,
            message=message if seq == entry.seq else None,
        )
    return Settled(appointment, None, tuple(closed), waitlist=reopened)


def requeue_at(
    session: Session,
    entry: OutboxEntry,
    new_start_time: datetime,
    *,
    now: datetime,
) -> tuple[OutboxEntry, Appointment | None]:
    """A person chose another time for a refused booking or move: check it, send it again."""
    if entry.kind in ("cancel", visits.KIND, waitlist.KIND, *series.KINDS):
        raise ValueError("a refused cancel, visit move, waitlist or series change is discarded")
    current = mirror.get_appointment(session, entry.appointment_id)
    if current is None:
        raise NotFound("This appointment is no longer on this computer.")
    # The same rules as any move, run on the mirror and rolled back: only the answer matters.
    with session.begin_nested() as savepoint:
        appointment_ops.reschedule(
            session,
            entry.appointment_id,
            AppointmentReschedule(new_start_time=new_start_time),
            now=now,
        )
        savepoint.rollback()
    payload = dict(entry.payload)
    payload["start_time" if entry.kind == "create" else "new_start_time"] = payload_of(
        AppointmentReschedule(new_start_time=new_start_time)
    )["new_start_time"]
    new_id_ = outbox.requeue(session, entry.seq, payload=payload)
    renewed = outbox.get(session, new_id_)
    assert renewed is not None
    base = Appointment.model_validate(entry.before) if entry.before is not None else None
    appointment = _rebuild(session, base, [renewed, *_later(session, renewed)], now=now)
    if appointment is not None:
        mirror.replace_appointment(session, appointment)
    return renewed, appointment


def queue_visit(
    session: Session,
    appointment_id: str,
    request: VisitChange,
    *,
    now: datetime,
    entry_id: str | None,
) -> Queued:
    """Move a visit in the mirror by the rule, and queue the move (`sync.visits`)."""
    visit, entry = visits.queue_visit(session, appointment_id, request, now=now, entry_id=entry_id)
    return Queued(visit, appointments_repo.get(session, appointment_id), entry)
