"""Recurring series in a store, each write one transaction: every start booked, or none.

The starts are checked by `domain/series.py` (each as a single booking would be, against the
diary and the series' own earlier starts); the appointments are ordinary ones carrying the
series' id, with the same events and notifications as any booking.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from frontdesk_app.domain import series as rules
from frontdesk_app.domain.errors import FrontDeskError, InvalidState
from frontdesk_app.domain.ids import APPOINTMENT, new_id
from frontdesk_app.domain.models import (
    Appointment,
    AppointmentCancel,
    AppointmentReschedule,
)
from frontdesk_app.domain.series import (
    Series,
    SeriesCancel,
    SeriesCancelResult,
    SeriesCheck,
    SeriesCheckRequest,
    SeriesCreate,
    SeriesReschedule,
    SeriesRescheduleResult,
)
from frontdesk_app.domain.timeutil import local_instant
from frontdesk_app.local import appointment_ops
from frontdesk_app.local.appointment_ops import EventItem, Outcome
from frontdesk_app.store.repositories import directory
from frontdesk_app.store.repositories import series as series_repo


def check(session: Session, request: SeriesCheckRequest, *, now: datetime) -> SeriesCheck:
    """Every start of the rule, bookable or why not, with the nearest free starts instead."""
    provider = directory.get_provider(session, request.provider_id)
    starts = rules.occurrences(request.start_time, request.rule, ZoneInfo(provider.timezone))
    fits, _zone = series_repo.check_starts(
        session,
        patient_id=request.patient_id,
        provider_id=request.provider_id,
        starts=starts,
        duration_minutes=request.duration_minutes,
        appointment_type=request.type,
        now=now,
    )
    return rules.as_check(fits)


def create(
    session: Session,
    series_id: str,
    request: SeriesCreate,
    *,
    now: datetime,
    appointment_ids: list[str] | None = None,
) -> Outcome[Series]:
    """Book every start or refuse the whole series; the same request again answers the series
    already booked. `appointment_ids` lets the sync give offline bookings temporary ids."""
    rules.check_create(series_id, request)
    existing = series_repo.find(session, series_id)
    if existing is not None:
        if _same(existing, request):
            return Outcome(existing, [])
        raise InvalidState("A different series was already booked under this id.")
    starts = sorted(request.starts)
    fits, zone = series_repo.check_starts(
        session,
        patient_id=request.patient_id,
        provider_id=request.provider_id,
        starts=starts,
        duration_minutes=request.duration_minutes,
        appointment_type=request.type,
        now=now,
    )
    refusal = rules.refusal_of(fits, zone)
    if refusal is not None:
        raise refusal
    ids = appointment_ids or [new_id(APPOINTMENT) for _ in starts]
    booked = series_repo.book(session, series_id, request, ids=ids, now=now)
    events: list[EventItem] = [
        ("appointment.created", appointment.model_dump(mode="json")) for appointment in booked
    ]
    return Outcome(series_repo.get(session, series_id), events)


def _same(existing: Series, request: SeriesCreate) -> bool:
    booked = sorted(a.start_time for a in existing.appointments)
    return (
        existing.patient_id,
        existing.provider_id,
        existing.duration_minutes,
        existing.type,
        existing.rule,
        booked,
    ) == (
        request.patient_id,
        request.provider_id,
        request.duration_minutes,
        request.type,
        request.rule,
        sorted(request.starts),
    )


def to_cancel(
    session: Session, series_id: str, request: SeriesCancel | SeriesReschedule, *, now: datetime
) -> list[Appointment]:
    """The series' appointments a cancel or a move takes: still to come (or from `from_start`
    on)."""
    rules.check_scope(request)
    series = series_repo.get(session, series_id)
    since = request.from_start if request.scope == "following" else now
    assert since is not None
    return [a for a in series.appointments if a.active and a.start_time >= max(since, now)]


def cancel(
    session: Session, series_id: str, request: SeriesCancel, *, now: datetime
) -> Outcome[SeriesCancelResult]:
    """Cancel them all in one transaction (each as a single cancel would be)."""
    taken = to_cancel(session, series_id, request, now=now)
    if not taken:
        raise InvalidState("Nothing is left to cancel in this series.")
    single = AppointmentCancel(reason_code=request.reason_code, notify=request.notify)
    results, events = [], []
    for appointment in taken:
        outcome = appointment_ops.cancel(session, appointment.id, single, now=now)
        results.append(outcome.result)
        events.extend(outcome.events)
    return Outcome(SeriesCancelResult(series_id=series_id, cancelled=results), events)


def reschedule(
    session: Session, series_id: str, request: SeriesReschedule, *, now: datetime
) -> Outcome[SeriesRescheduleResult]:
    """Move them all to `new_time` on their own days in one transaction (each checked as a
    single move would be); the first that cannot move refuses the whole change."""
    taken = to_cancel(session, series_id, request, now=now)
    if not taken:
        raise InvalidState("Nothing is left to move in this series.")
    provider = directory.get_provider(session, taken[0].provider_id)
    zone = ZoneInfo(provider.timezone)
    results, events = [], []
    for appointment in taken:
        day = appointment.start_time.astimezone(zone).date()
        move = AppointmentReschedule(
            new_start_time=local_instant(day, request.new_time, zone),
            new_duration_minutes=request.new_duration_minutes,
            reason=request.reason,
        )
        try:
            outcome = appointment_ops.reschedule(session, appointment.id, move, now=now)
        except FrontDeskError as refusal:
            local = move.new_start_time.astimezone(zone)
            raise type(refusal)(
                f"{local:%a} {local.day} {local:%b} at {local:%H:%M}: {refusal.message}",
                errors=refusal.errors,
            ) from None
        results.append(outcome.result)
        events.extend(outcome.events)
    return Outcome(SeriesRescheduleResult(series_id=series_id, rescheduled=results), events)
