"""When an answer leaves a queued write's fate unsure, ask the server what it shows.

`idempotency_key_reused`, a clash (`invalid_state`, `slot_unavailable`, …) or a server that
kept failing can all follow a write that did reach the server: a first attempt whose answer was
lost, or a request cut short on the way that a server or proxy acted on anyway. Before such an
answer becomes a conflict for a person, the desk reads the appointment from the server; if the
server already shows what the write meant to do, the write is done, and the answer it would
have had is rebuilt from the server's appointment.
"""

from __future__ import annotations

from pydantic import BaseModel

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import Conflict, FrontDeskError, IdempotencyKeyReused, NotFound
from frontdesk_app.domain.ids import is_temporary
from frontdesk_app.domain.models import (
    Appointment,
    AppointmentCancel,
    AppointmentQuery,
    AppointmentReschedule,
    CancelResult,
    RescheduleResult,
)
from frontdesk_app.domain.scheduling import refund_eligible
from frontdesk_app.sync.entries import OutboxEntry

# Answers after which the write may still have happened on the server.
_UNSURE: tuple[type[FrontDeskError], ...] = (IdempotencyKeyReused, Conflict)


def leaves_unsure(exc: BaseException) -> bool:
    """True for a refusal that a write of ours which did reach the server would also get."""
    return isinstance(exc, _UNSURE)


async def outcome_on_server(api: Backend, entry: OutboxEntry) -> BaseModel | None:
    """The answer `entry` would have had, if the server already shows its outcome; else None.

    Network failures propagate (the caller waits for the connection and asks again).
    """
    if entry.kind == "create":
        return await created_on_server(api, entry)
    if entry.kind not in ("reschedule", "cancel") or is_temporary(entry.appointment_id):
        return None
    try:
        shown = await api.get_appointment(entry.appointment_id)
    except NotFound:
        return None
    request = entry.request()
    if isinstance(request, AppointmentCancel):
        return cancelled(shown, request)
    if isinstance(request, AppointmentReschedule):
        return rescheduled(shown, request, entry)
    return None


async def created_on_server(api: Backend, entry: OutboxEntry) -> Appointment | None:
    """The server's appointment carrying this create's `client_reference`, if there is one.

    Whatever became of it since (moved, cancelled by another desk), it is this desk's booking:
    booking again would make a second one. A server that does not know the query parameter
    answers with other appointments, which are not taken for ours.
    """
    reference = entry.payload.get("client_reference")
    if not isinstance(reference, str) or not reference:
        return None
    page = await api.list_appointments(AppointmentQuery(client_reference=reference, limit=10))
    ours = [a for a in page.data if a.client_reference == reference]
    return min(ours, key=lambda a: (a.created_at, a.id)) if ours else None


def cancelled(shown: Appointment, request: AppointmentCancel) -> CancelResult | None:
    """The cancel's answer, if the server shows the appointment cancelled."""
    if shown.status != "cancelled":
        return None
    at = shown.cancelled_at or shown.updated_at
    return CancelResult(
        id=shown.id,
        status="cancelled",
        reason_code=shown.reason_code,
        cancelled_at=at,
        refund_eligible=refund_eligible(shown.start_time, at),
        notify=request.notify,
    )


def rescheduled(
    shown: Appointment, request: AppointmentReschedule, entry: OutboxEntry
) -> RescheduleResult | None:
    """The move's answer, if the server shows the appointment at the time (and length) asked."""
    if shown.status != "rescheduled" or shown.start_time != request.new_start_time:
        return None
    wanted = request.new_duration_minutes
    if wanted is not None and shown.duration_minutes != wanted:
        return None
    before = entry.before or {}
    previous = shown.previous_time
    if previous is None and before.get("start_time"):
        previous = Appointment.model_validate(before).start_time
    return RescheduleResult(
        id=shown.id,
        status="rescheduled",
        previous_time=previous or shown.start_time,
        new_start_time=shown.start_time,
        new_end_time=shown.end_time,
        rescheduled_at=shown.updated_at,
        provider_id=shown.provider_id,
        patient_id=shown.patient_id,
        duration_minutes=shown.duration_minutes,
        reason=shown.reschedule_reason,
    )
