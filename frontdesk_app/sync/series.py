"""Recurring series through the sync: one queued entry per series write, never half-applied.

Booking a series offline books every start in the desk's copy in one transaction (checked by
the same rules, each under a temporary id) and queues ONE entry of kind `series` whose
`appointment_id` column holds the series' id (`ser_…`, chosen by the desk). The server books
all or none under the entry's `Idempotency-Key`; settling gives each appointment the server's
id (matched by its start). A refusal takes the whole series back out of the copy, with the
writes queued for its appointments since. Cancelling all or the following, or moving them to
another time of day, is likewise one entry (kind `series_cancel` or `series_reschedule`,
queued behind the series' booking) whose `before` keeps the appointments as they were, for a
refusal or a discard to put back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from frontdesk_app.domain.ids import TEMPORARY_APPOINTMENT, new_id
from frontdesk_app.domain.models import Appointment
from frontdesk_app.domain.series import (
    Series,
    SeriesCancel,
    SeriesCancelResult,
    SeriesCreate,
    SeriesReschedule,
    SeriesRescheduleResult,
)
from frontdesk_app.local import series_ops
from frontdesk_app.store.repositories import series as series_repo
from frontdesk_app.sync import mirror, outbox, settle
from frontdesk_app.sync.entries import OutboxEntry

KIND = "series"
CANCEL_KIND = "series_cancel"
MOVE_KIND = "series_reschedule"
KINDS = (KIND, CANCEL_KIND, MOVE_KIND)


def queue_series(
    session: Session,
    series_id: str,
    request: SeriesCreate,
    *,
    now: datetime,
    outbox_id: str | None,
) -> tuple[Series, OutboxEntry | None]:
    """Book every start in the copy under temporary ids and queue the series (None: this very
    series is already here, booked or queued, and nothing more is sent)."""
    if series_repo.find(session, series_id) is not None:
        return series_ops.create(session, series_id, request, now=now).result, None
    temporary = [new_id(TEMPORARY_APPOINTMENT) for _ in request.starts]
    series = series_ops.create(
        session, series_id, request, now=now, appointment_ids=temporary
    ).result
    entry = outbox.enqueue(
        session,
        kind=KIND,  # type: ignore[arg-type]
        appointment_id=series_id,
        provider_id=request.provider_id,
        patient_id=request.patient_id,
        payload=request.model_dump(mode="json"),
        # Which appointments it books, for their sync state (`entries.touched`).
        before={"appointment_ids": temporary},
        now=now,
        entry_id=outbox_id,
    )
    return series, entry


def queue_change(
    session: Session,
    series_id: str,
    request: SeriesCancel | SeriesReschedule,
    *,
    now: datetime,
    outbox_id: str | None,
) -> tuple[SeriesCancelResult | SeriesRescheduleResult, OutboxEntry, list[Appointment]]:
    """Cancel or move in the copy (all of them in one transaction) and queue the change."""
    before = series_ops.to_cancel(session, series_id, request, now=now)
    result: SeriesCancelResult | SeriesRescheduleResult
    if isinstance(request, SeriesReschedule):
        kind = MOVE_KIND
        result = series_ops.reschedule(session, series_id, request, now=now).result
    else:
        kind = CANCEL_KIND
        result = series_ops.cancel(session, series_id, request, now=now).result
    series = series_repo.get(session, series_id)
    entry = outbox.enqueue(
        session,
        kind=kind,  # type: ignore[arg-type]
        appointment_id=series_id,
        provider_id=series.provider_id,
        patient_id=series.patient_id,
        payload=request.model_dump(mode="json"),
        before={
            "appointments": [a.model_dump(mode="json") for a in before],
            "appointment_ids": [a.id for a in before],
        },
        now=now,
        entry_id=outbox_id,
    )
    after = series_repo.appointments_of(session, series_id)
    return result, entry, [a for a in after if a.id in {b.id for b in before}]


def settle_success(
    session: Session, entry: OutboxEntry, response: dict[str, Any], *, now: datetime
) -> tuple[list[Appointment], list[tuple[str, str]]]:
    """The server booked (or cancelled) them all: the copy takes its answer; returns the
    appointments as the copy now has them and the (temporary, server) ids that changed."""
    changed: list[Appointment] = []
    remaps: list[tuple[str, str]] = []
    if entry.kind == KIND:
        server = Series.model_validate(response)
        local = {a.start_time: a.id for a in series_repo.appointments_of(session, server.id)}
        for appointment in server.appointments:
            temporary = local.get(appointment.start_time)
            changed.append(settle.adopt(session, temporary, appointment))
            if temporary is not None and temporary != appointment.id:
                remaps.append((temporary, appointment.id))
    elif entry.kind == MOVE_KIND:
        for moved in SeriesRescheduleResult.model_validate(response).rescheduled:
            found = settle.adopt_move(session, moved)
            if found is not None:
                changed.append(found)
    else:
        for answer in SeriesCancelResult.model_validate(response).cancelled:
            found = settle.adopt_cancel(session, answer)
            if found is not None:
                changed.append(found)
    outbox.finish(session, entry.seq, result=response, now=now)
    outbox.set_meta(session, settle.LAST_SYNC, now.isoformat())
    return changed, remaps


def undo(session: Session, entry: OutboxEntry) -> tuple[list[Appointment], list[str], list[int]]:
    """Take the write back out of the copy (refused, or a person's discard): a series booked
    here disappears with every write queued for it since; a cancel puts the appointments back.
    Returns (appointments put back, appointment ids gone, the later entries to close)."""
    if entry.kind in (CANCEL_KIND, MOVE_KIND):
        restored = []
        for data in (entry.before or {}).get("appointments", []):
            # An appointment booked offline may have its server id by now.
            current = outbox.get_meta(session, settle.REMAP_PREFIX + data["id"]) or data["id"]
            appointment = Appointment.model_validate({**data, "id": current})
            mirror.replace_appointment(session, appointment)
            restored.append(appointment)
        return restored, [], []
    gone = [a.id for a in series_repo.appointments_of(session, entry.appointment_id)]
    later = [
        e.seq
        for e in outbox.open_entries(session)
        if e.seq > entry.seq
        and (e.appointment_id in gone or e.appointment_id == entry.appointment_id)
    ]
    for appointment_id in gone:
        mirror.delete_appointment(session, appointment_id)
    series_repo.delete(session, entry.appointment_id)
    return [], gone, later
