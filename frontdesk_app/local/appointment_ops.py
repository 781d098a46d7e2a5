"""Create, reschedule and cancel inside one write transaction, by the domain's rules.

Each operation returns its result and the events to append; the caller appends them in the
same transaction, so the event log and the appointments never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from frontdesk_app.domain import transitions
from frontdesk_app.domain import waitlist as waitlist_rules
from frontdesk_app.domain.errors import NotFound
from frontdesk_app.domain.ids import APPOINTMENT, new_id
from frontdesk_app.domain.models import (
    Appointment,
    AppointmentCancel,
    AppointmentCreate,
    AppointmentReschedule,
    CancelResult,
    RescheduleResult,
)
from frontdesk_app.domain.scheduling import (
    Booking,
    check_booking,
    check_can_change,
    refund_eligible,
    validate_fields,
)
from frontdesk_app.store.repositories import appointments as appointments_repo
from frontdesk_app.store.repositories import directory
from frontdesk_app.store.repositories import waitlist as waitlist_repo

T = TypeVar("T")
EventItem = tuple[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """What a write answers, and the events that describe it."""

    result: T
    events: list[EventItem]


def _check(
    session: Session,
    booking: Booking,
    *,
    appointment_type: str | None,
    now: datetime,
    ignore_id: str | None = None,
) -> None:
    """Load what the rules need (bounded to the booking's window) and apply them."""
    validate_fields(duration_minutes=booking.duration_minutes, appointment_type=appointment_type)
    provider = directory.get_provider(
        session, booking.provider_id, blocks_from=booking.start, blocks_to=booking.end
    )
    if not directory.patient_exists(session, booking.patient_id):
        raise NotFound("No such patient.")
    check_booking(
        booking,
        appointment_type=appointment_type,
        provider=provider,
        provider_appointments=appointments_repo.active_overlapping(
            session, provider_id=booking.provider_id, start=booking.start, end=booking.end
        ),
        patient_appointments=appointments_repo.active_overlapping(
            session, patient_id=booking.patient_id, start=booking.start, end=booking.end
        ),
        now=now,
        ignore_id=ignore_id,
        provider_names=directory.provider_names(session),
    )


def _event(kind: str, appointment: Appointment) -> EventItem:
    return (f"appointment.{kind}", appointment.model_dump(mode="json"))


def create(
    session: Session,
    request: AppointmentCreate,
    *,
    now: datetime,
    appointment_id: str | None = None,
) -> Outcome[Appointment]:
    """Book by the rules; `appointment_id` lets the sync outbox give an offline booking its
    temporary id (`tmp_apt_…`) in the same transaction."""
    booking = Booking(
        request.provider_id, request.patient_id, request.start_time, request.duration_minutes
    )
    waiting = None
    if request.waitlist_entry_id is not None:
        waiting = waitlist_repo.get(session, request.waitlist_entry_id)
        waitlist_rules.check_bookable(waiting, request.patient_id)
    _check(session, booking, appointment_type=request.type, now=now)
    appointment = transitions.booked(appointment_id or new_id(APPOINTMENT), request, at=now)
    appointments_repo.insert(session, appointment)
    appointments_repo.record_notifications(session, appointment, "created", now=now)
    events = [_event("created", appointment)]
    if waiting is not None:
        # Booked from the waitlist: the entry is taken in the same transaction, so a booking
        # and its entry never disagree (a second desk's booking of it is refused above).
        done = waitlist_rules.booked(waiting, appointment.id, now=now)
        waitlist_repo.save(session, done)
        events.append(waitlist_event(done))
    return Outcome(appointment, events)


def waitlist_event(entry: waitlist_rules.WaitlistEntry) -> EventItem:
    return (waitlist_rules.WAITLIST_EVENT, entry.model_dump(mode="json"))


def reschedule(
    session: Session, appointment_id: str, request: AppointmentReschedule, *, now: datetime
) -> Outcome[RescheduleResult]:
    row = appointments_repo.get_row(session, appointment_id)
    current = appointments_repo.to_model(row)
    check_can_change(current, "rescheduled")
    minutes = (
        current.duration_minutes
        if request.new_duration_minutes is None
        else request.new_duration_minutes
    )
    booking = Booking(current.provider_id, current.patient_id, request.new_start_time, minutes)
    _check(session, booking, appointment_type=None, now=now, ignore_id=current.id)
    moved = transitions.moved(
        current, start=booking.start, duration_minutes=minutes, reason=request.reason, at=now
    )
    appointments_repo.apply(row, moved)
    appointments_repo.record_notifications(session, moved, "rescheduled", now=now)
    result = RescheduleResult(
        id=moved.id,
        status="rescheduled",
        previous_time=current.start_time,
        new_start_time=booking.start,
        new_end_time=booking.end,
        rescheduled_at=now,
        provider_id=moved.provider_id,
        patient_id=moved.patient_id,
        duration_minutes=minutes,
        reason=request.reason,
    )
    return Outcome(result, [_event("rescheduled", moved)])


def cancel(
    session: Session, appointment_id: str, request: AppointmentCancel, *, now: datetime
) -> Outcome[CancelResult]:
    row = appointments_repo.get_row(session, appointment_id)
    current = appointments_repo.to_model(row)
    check_can_change(current, "cancelled")
    cancelled = transitions.cancelled(current, reason_code=request.reason_code, at=now)
    appointments_repo.apply(row, cancelled)
    if request.notify:
        appointments_repo.record_notifications(session, cancelled, "cancelled", now=now)
    result = CancelResult(
        id=cancelled.id,
        status="cancelled",
        reason_code=request.reason_code,
        cancelled_at=now,
        refund_eligible=refund_eligible(current.start_time, now),
        notify=request.notify,
    )
    return Outcome(result, [_event("cancelled", cancelled)])
