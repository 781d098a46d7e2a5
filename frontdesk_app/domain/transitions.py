"""What each change does to an appointment, written once: booked, moved, cancelled.

Pure functions over the domain's models, with no rule checking (the rules are in
`scheduling.py` and run before a write is accepted). The local store applies them when it books,
the outbox when it replays a queued write onto the desk's copy, and the settle step when it
takes the server's answer, so the three can never disagree on what a reschedule means.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from frontdesk_app.domain.models import (
    Appointment,
    AppointmentCreate,
    CancelResult,
    RescheduleResult,
)


def booked(appointment_id: str, request: AppointmentCreate, *, at: datetime) -> Appointment:
    """A new booking, confirmed, created and last changed `at`."""
    return Appointment(
        id=appointment_id,
        status="confirmed",
        patient_id=request.patient_id,
        provider_id=request.provider_id,
        start_time=request.start_time,
        end_time=request.start_time + timedelta(minutes=request.duration_minutes),
        duration_minutes=request.duration_minutes,
        type=request.type,
        notes=request.notes,
        created_at=at,
        updated_at=at,
        client_reference=request.client_reference,
    )


def moved(
    current: Appointment,
    *,
    start: datetime,
    duration_minutes: int | None,
    reason: str | None,
    at: datetime,
    previous_time: datetime | None = None,
) -> Appointment:
    """Moved to `start`; a missing length keeps the appointment's own. `previous_time` is where
    it was (default: its current start; the server's answer names it when the desk's copy has
    already moved)."""
    minutes = current.duration_minutes if duration_minutes is None else duration_minutes
    return current.model_copy(
        update={
            "status": "rescheduled",
            "start_time": start,
            "end_time": start + timedelta(minutes=minutes),
            "duration_minutes": minutes,
            "previous_time": current.start_time if previous_time is None else previous_time,
            "reschedule_reason": reason,
            "updated_at": at,
        }
    )


def moved_as_answered(current: Appointment, answer: RescheduleResult) -> Appointment:
    """The desk's copy after the server's answer to a reschedule."""
    return moved(
        current,
        start=answer.new_start_time,
        duration_minutes=answer.duration_minutes,
        reason=answer.reason,
        at=answer.rescheduled_at,
        previous_time=answer.previous_time,
    )


def cancelled(
    current: Appointment,
    *,
    reason_code: str | None,
    at: datetime,
    updated_at: datetime | None = None,
) -> Appointment:
    """Cancelled `at` (a queued cancel replayed later keeps the time it was made)."""
    return current.model_copy(
        update={
            "status": "cancelled",
            "reason_code": reason_code,
            "cancelled_at": at,
            "updated_at": at if updated_at is None else updated_at,
        }
    )


def cancelled_as_answered(current: Appointment, answer: CancelResult) -> Appointment:
    """The desk's copy after the server's answer to a cancel."""
    return cancelled(current, reason_code=answer.reason_code, at=answer.cancelled_at)
