"""The waitlist (ASAP list): patients who want an earlier time, and who fits a freed slot.

An entry says what the patient wants — a provider or any, the type and length, the weekdays
and parts of the day, the earliest and latest date — and waits until it is booked or removed:

    waiting → booked    (only by booking it into a slot: `AppointmentCreate.waitlist_entry_id`)
    waiting → removed   (the patient no longer wants it; `removed → waiting` puts it back)

Booking one is an ordinary appointment create naming the entry, so it passes every booking
rule and claims the slot through the one write path: two desks offering the same freed slot
cannot both book it. The desk chooses an entry's id (`wl_…`) so that saving one is a `PUT`
that can be sent any number of times. Who fits a slot, and in which order, is written here
once: the sandbox, the local store and the desk's offer all use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from pydantic import Field, StrictInt

from frontdesk_app.domain.errors import FieldError, InvalidState, ValidationFailed
from frontdesk_app.domain.ids import WAITLIST, has_prefix
from frontdesk_app.domain.models import (
    APPOINTMENT_TYPES,
    Appointment,
    AppointmentStatus,
    Model,
    Response,
)
from frontdesk_app.domain.scheduling import validate_fields
from frontdesk_app.domain.timeutil import CalendarDate, UtcDateTime, to_utc

DayPart = Literal["morning", "afternoon", "evening"]
DAY_PARTS: tuple[DayPart, ...] = get_args(DayPart)
# Where each part of a clinic-local day starts; it ends where the next one starts.
DAY_PART_STARTS: dict[DayPart, time] = {
    "morning": time(0, 0),
    "afternoon": time(12, 0),
    "evening": time(17, 0),
}
WaitlistStatus = Literal["waiting", "booked", "removed"]
WAITLIST_EVENT = "waitlist.changed"
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
NOTES_MAX = 500


class WaitlistRequest(Model):
    """`PUT /v1/waitlist/{id}`: the entry as the desk wants it (created or replaced)."""

    patient_id: str
    # None: any provider of the clinic.
    provider_id: str | None = None
    type: str = Field(json_schema_extra={"enum": list(APPOINTMENT_TYPES)})
    duration_minutes: StrictInt
    # Clinic-local weekdays, 0 = Monday; empty: any day.
    weekdays: list[StrictInt] = Field(default_factory=list)
    # Empty: any time of day.
    day_parts: list[DayPart] = Field(default_factory=list)
    earliest: CalendarDate | None = None
    latest: CalendarDate | None = None
    notes: str | None = Field(default=None, max_length=NOTES_MAX)
    # `removed` takes the patient off the list; `booked` is only ever set by a booking.
    status: Literal["waiting", "removed"] = "waiting"


class WaitlistEntry(Response):
    id: str
    patient_id: str
    provider_id: str | None = None
    type: str
    duration_minutes: int
    weekdays: list[int] = Field(default_factory=list)
    day_parts: list[DayPart] = Field(default_factory=list)
    earliest: date | None = None
    latest: date | None = None
    notes: str | None = None
    status: WaitlistStatus = "waiting"
    # The appointment it was booked into (status `booked`).
    appointment_id: str | None = None
    created_at: UtcDateTime
    updated_at: UtcDateTime


def validate_request(entry_id: str, request: WaitlistRequest) -> None:
    """Refuse what cannot be a waitlist entry, each problem in words."""
    errors: list[FieldError] = []
    if not has_prefix(entry_id, WAITLIST):
        errors.append(FieldError("id", "A waitlist entry's id starts with “wl_”."))
    try:
        validate_fields(duration_minutes=request.duration_minutes, appointment_type=request.type)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    if any(not 0 <= day <= 6 for day in request.weekdays):
        errors.append(FieldError("weekdays", "Weekdays are 0 (Monday) to 6 (Sunday)."))
    if request.earliest and request.latest and request.latest < request.earliest:
        errors.append(FieldError("latest", "The latest date is before the earliest date."))
    if errors:
        raise ValidationFailed(" ".join(e.message for e in errors), errors=errors)


def saved(
    entry_id: str, request: WaitlistRequest, current: WaitlistEntry | None, *, now: datetime
) -> WaitlistEntry:
    """The entry after a `PUT`: created, replaced, removed or put back on the list."""
    validate_request(entry_id, request)
    if current is not None and current.status == "booked":
        raise InvalidState("This patient has already been booked from the waitlist.")
    if current is not None and current.patient_id != request.patient_id:
        raise InvalidState("This waitlist entry belongs to another patient.")
    return WaitlistEntry(
        id=entry_id,
        **request.model_dump(exclude={"weekdays"}),
        weekdays=sorted(set(request.weekdays)),
        created_at=current.created_at if current is not None else now,
        updated_at=now,
    )


def check_bookable(entry: WaitlistEntry, patient_id: str) -> None:
    """A booking naming this entry: it must be waiting, and for the same patient."""
    if entry.patient_id != patient_id:
        raise InvalidState("This waitlist entry belongs to another patient.")
    if entry.status == "booked":
        raise InvalidState("This patient has already been booked from the waitlist.")
    if entry.status == "removed":
        raise InvalidState("This patient is no longer on the waitlist.")


def booked(entry: WaitlistEntry, appointment_id: str, *, now: datetime) -> WaitlistEntry:
    return entry.model_copy(
        update={"status": "booked", "appointment_id": appointment_id, "updated_at": now}
    )


def reopened(entry: WaitlistEntry, *, now: datetime) -> WaitlistEntry:
    """Back on the list: the booking made from it never happened (refused, or discarded)."""
    return entry.model_copy(update={"status": "waiting", "appointment_id": None, "updated_at": now})


# --- who fits a freed slot --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FreeSlot:
    """A provider's free time: freed by a cancel or a move, or an opening a person chose."""

    provider_id: str
    start: datetime
    duration_minutes: int

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.duration_minutes)


@dataclass(frozen=True, slots=True)
class Candidate:
    entry: WaitlistEntry
    waited_days: int
    # Asked for this provider by name (not "any").
    named_provider: bool
    # Free minutes left over after the entry's length.
    spare_minutes: int


def day_part_of(moment: datetime, zone: ZoneInfo) -> DayPart:
    clock = moment.astimezone(zone).time()
    part: DayPart = "morning"
    for name, starts in DAY_PART_STARTS.items():
        if clock >= starts:
            part = name
    return part


def fits(entry: WaitlistEntry, slot: FreeSlot, zone: ZoneInfo) -> bool:
    """The entry is waiting and the slot is what the patient asked for."""
    local = slot.start.astimezone(zone)
    return (
        entry.status == "waiting"
        and entry.provider_id in (None, slot.provider_id)
        and entry.duration_minutes <= slot.duration_minutes
        and (not entry.weekdays or local.weekday() in entry.weekdays)
        and (not entry.day_parts or day_part_of(slot.start, zone) in entry.day_parts)
        and (entry.earliest is None or local.date() >= entry.earliest)
        and (entry.latest is None or local.date() <= entry.latest)
    )


def candidates(
    entries: list[WaitlistEntry], slot: FreeSlot, *, zone: ZoneInfo, now: datetime
) -> list[Candidate]:
    """Who fits the slot, longest waiting first; among those who joined the same day, the
    better fit first (named this provider, then least free time left over)."""
    found = [
        Candidate(
            entry=entry,
            waited_days=max(0, (to_utc(now) - to_utc(entry.created_at)).days),
            named_provider=entry.provider_id is not None,
            spare_minutes=slot.duration_minutes - entry.duration_minutes,
        )
        for entry in entries
        if fits(entry, slot, zone)
    ]
    found.sort(
        key=lambda c: (
            -c.waited_days,
            not c.named_provider,
            c.spare_minutes,
            c.entry.created_at,
            c.entry.id,
        )
    )
    return found


def describe_wish(entry: WaitlistEntry, provider_name: str | None) -> str:
    """`Dr Adams · consultation 30 min · Mon, Thu · morning · from 7 Dec to 18 Dec`."""
    parts = [provider_name or "Any provider", f"{entry.type} {entry.duration_minutes} min"]
    if entry.weekdays:
        parts.append(", ".join(WEEKDAY_NAMES[d] for d in entry.weekdays))
    if entry.day_parts:
        parts.append(", ".join(entry.day_parts))
    if entry.earliest and entry.latest:
        parts.append(f"from {entry.earliest:%-d %b} to {entry.latest:%-d %b}")
    elif entry.earliest:
        parts.append(f"from {entry.earliest:%-d %b}")
    elif entry.latest:
        parts.append(f"until {entry.latest:%-d %b}")
    return " · ".join(parts)


FREEING: tuple[AppointmentStatus, ...] = ("cancelled", "rescheduled")  # what gives a time back


def freed_by(appointment: Appointment, *, now: datetime) -> FreeSlot | None:
    """The time a cancel or a move gave back, if it is still to come."""
    if appointment.status == "cancelled":
        start = appointment.start_time
    elif appointment.status == "rescheduled" and appointment.previous_time is not None:
        start = appointment.previous_time
    else:
        return None
    if to_utc(start) <= to_utc(now):
        return None
    return FreeSlot(appointment.provider_id, start, appointment.duration_minutes)


def freed_since(
    appointments: Iterable[Appointment], *, since: datetime, now: datetime
) -> list[FreeSlot]:
    """The times the cancels and moves made at or after `since` gave back that are still to
    come, the latest change first (the order a desk lists them in as they happen), each time
    once."""
    changes: list[tuple[datetime, FreeSlot]] = []
    for appointment in appointments:
        changed = appointment.cancelled_at or appointment.updated_at
        slot = freed_by(appointment, now=now)
        if slot is not None and to_utc(changed) >= to_utc(since):
            changes.append((to_utc(changed), slot))
    changes.sort(key=lambda change: change[0], reverse=True)
    slots: dict[tuple[str, datetime], FreeSlot] = {}
    for _changed, slot in changes:
        slots.setdefault((slot.provider_id, to_utc(slot.start)), slot)
    return list(slots.values())
