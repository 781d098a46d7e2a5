"""The scheduling rules of the API contract as pure functions, shared by store, server and sync.

Each check returns `None` when the booking may go ahead, or raises the `FrontDeskError` whose
stable code the API answers with and whose message a receptionist can read aloud.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from frontdesk_app.domain.errors import (
    FieldError,
    InvalidState,
    ProviderUnavailable,
    SlotUnavailable,
    ValidationFailed,
)
from frontdesk_app.domain.models import APPOINTMENT_TYPES, Appointment, Provider, Slot
from frontdesk_app.domain.timeutil import format_local_range, local_instant, to_utc

MIN_DURATION_MINUTES = 5
MAX_DURATION_MINUTES = 480
SLOT_STEP = timedelta(minutes=15)
# Overlap queries may bound their scan to `start > window_start - MAX_DURATION`.
MAX_DURATION = timedelta(minutes=MAX_DURATION_MINUTES)


@dataclass(frozen=True, slots=True)
class Booking:
    """What a new or moved appointment would occupy."""

    provider_id: str
    patient_id: str
    start: datetime
    duration_minutes: int

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.duration_minutes)


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open intervals: back-to-back appointments do not overlap."""
    return a_start < b_end and b_start < a_end


def validate_fields(*, duration_minutes: int, appointment_type: str | None) -> None:
    """Duration within 5–480 minutes and a known appointment type."""
    errors: list[FieldError] = []
    if not MIN_DURATION_MINUTES <= duration_minutes <= MAX_DURATION_MINUTES:
        errors.append(
            FieldError(
                "duration_minutes",
                f"Length must be between {MIN_DURATION_MINUTES} and "
                f"{MAX_DURATION_MINUTES} minutes.",
            )
        )
    if appointment_type is not None and appointment_type not in APPOINTMENT_TYPES:
        errors.append(FieldError("type", "Choose one of: " + ", ".join(APPOINTMENT_TYPES) + "."))
    if errors:
        raise ValidationFailed(" ".join(e.message for e in errors), errors=errors)


def check_not_past(start: datetime, now: datetime) -> None:
    """A new or moved appointment may not start before now."""
    if to_utc(start) < to_utc(now):
        raise ValidationFailed(
            "That time has already passed; choose a time from now on.",
            errors=[FieldError("start_time", "The start time is in the past.")],
        )


def working_windows(provider: Provider, day: date) -> list[tuple[datetime, datetime]]:
    """The provider's working intervals on a clinic-local day, as UTC instants."""
    zone = ZoneInfo(provider.timezone)
    return [
        (local_instant(day, r.start, zone), local_instant(day, r.end, zone))
        for r in provider.weekly_hours.get(day.weekday(), [])
    ]


def check_provider_works(provider: Provider, start: datetime, end: datetime) -> None:
    """Inside one working window of the provider's day and clear of every blocked period."""
    zone = ZoneInfo(provider.timezone)
    day = start.astimezone(zone).date()
    when = format_local_range(start, end, zone)
    if not any(
        w_start <= start and end <= w_end for w_start, w_end in working_windows(provider, day)
    ):
        raise ProviderUnavailable(f"{provider.name} is not working {when} on {day:%a %d %b}.")
    for block in provider.blocked:
        if overlaps(start, end, block.start_time, block.end_time):
            blocked = format_local_range(block.start_time, block.end_time, zone)
            raise ProviderUnavailable(f"{provider.name} is unavailable {blocked} ({block.reason}).")


def check_no_overlap(
    booking: Booking,
    *,
    provider: Provider,
    provider_appointments: Iterable[Appointment],
    patient_appointments: Iterable[Appointment],
    ignore_id: str | None = None,
    provider_names: dict[str, str] | None = None,
) -> None:
    """Neither the provider nor the patient may have another active appointment at that time."""
    zone = ZoneInfo(provider.timezone)
    for other in provider_appointments:
        if (
            other.id != ignore_id
            and other.active
            and overlaps(booking.start, booking.end, other.start_time, other.end_time)
        ):
            raise SlotUnavailable(
                f"{provider.name} already has a {other.type} "
                f"{format_local_range(other.start_time, other.end_time, zone)}."
            )
    names = provider_names or {}
    for other in patient_appointments:
        if (
            other.id != ignore_id
            and other.active
            and overlaps(booking.start, booking.end, other.start_time, other.end_time)
        ):
            with_whom = names.get(other.provider_id, "another provider")
            raise SlotUnavailable(
                f"The patient already has a {other.type} with {with_whom} "
                f"{format_local_range(other.start_time, other.end_time, zone)}."
            )


def check_booking(
    booking: Booking,
    *,
    appointment_type: str | None,
    provider: Provider,
    provider_appointments: Iterable[Appointment],
    patient_appointments: Iterable[Appointment],
    now: datetime,
    ignore_id: str | None = None,
    provider_names: dict[str, str] | None = None,
) -> None:
    """Every rule for a new or moved appointment, in the order a person would fix them."""
    validate_fields(duration_minutes=booking.duration_minutes, appointment_type=appointment_type)
    check_not_past(booking.start, now)
    check_provider_works(provider, booking.start, booking.end)
    check_no_overlap(
        booking,
        provider=provider,
        provider_appointments=provider_appointments,
        patient_appointments=patient_appointments,
        ignore_id=ignore_id,
        provider_names=provider_names,
    )


def check_can_change(appointment: Appointment, action: str) -> None:
    """A cancelled appointment can be neither moved nor cancelled again."""
    if appointment.status == "cancelled":
        raise InvalidState(f"This appointment was cancelled, so it cannot be {action}.")


def refund_eligible(start: datetime, cancelled_at: datetime) -> bool:
    """Cancelling at least 24 hours before the start keeps the refund."""
    return to_utc(start) - to_utc(cancelled_at) >= timedelta(hours=24)


def free_slots(
    provider: Provider,
    day: date,
    duration_minutes: int,
    *,
    appointments: Sequence[Appointment],
    now: datetime,
) -> list[Slot]:
    """The provider's free starts that day, every 15 minutes, that pass every rule."""
    validate_fields(duration_minutes=duration_minutes, appointment_type=None)
    length = timedelta(minutes=duration_minutes)
    busy = sorted(
        [(a.start_time, a.end_time) for a in appointments if a.active]
        + [(b.start_time, b.end_time) for b in provider.blocked]
    )
    slots: list[Slot] = []
    for w_start, w_end in working_windows(provider, day):
        start = w_start
        while start + length <= w_end:
            end = start + length
            if start >= now and not any(overlaps(start, end, b0, b1) for b0, b1 in busy):
                slots.append(Slot(start_time=start, end_time=end))
            start += SLOT_STEP
    return slots
