"""Recurring appointments: which starts a series has, and which of them the diary can take.

A series repeats every N weeks on chosen weekdays, at the clinic-local wall-clock time of its
first appointment (09:00 stays 09:00 across a daylight-saving change). Each start is checked by
the same rules as a single booking (`scheduling.check_booking`); one that does not fit gets the
receptionist-readable reason and the nearest free starts to offer instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, StrictBool, StrictInt

from frontdesk_app.domain.errors import (
    FieldError,
    FrontDeskError,
    ValidationFailed,
    error_for_code,
)
from frontdesk_app.domain.ids import SERIES, has_prefix
from frontdesk_app.domain.models import (
    APPOINTMENT_TYPES,
    DURATION_SCHEMA,
    Appointment,
    CancelResult,
    Model,
    Provider,
    RescheduleResult,
    Response,
)
from frontdesk_app.domain.scheduling import (
    MAX_DURATION,
    Booking,
    check_booking,
    free_slots,
    overlaps,
    validate_fields,
)
from frontdesk_app.domain.timeutil import (
    BookableTime,
    IsoDate,
    UtcDateTime,
    local_day_bounds,
    local_instant,
    to_utc,
)

MAX_EVERY_WEEKS = 12
MAX_OCCURRENCES = 52
# How far either side of a wanted day alternatives are looked for.
ALTERNATIVE_DAYS = 3

_ONE_WEEK = timedelta(weeks=1)


class SeriesRule(Model):
    """How a series repeats (`every_weeks` on `weekdays`, 0 = Monday), ending after `count`
    appointments or on the clinic-local date `until` (inclusive). Values stay open so that
    `validate_rule`, not the parser, refuses them with a sentence a receptionist understands."""

    every_weeks: StrictInt = Field(json_schema_extra={"minimum": 1, "maximum": MAX_EVERY_WEEKS})
    weekdays: list[StrictInt] = Field(json_schema_extra={"minItems": 1, "maxItems": 7})
    count: StrictInt | None = Field(
        default=None, json_schema_extra={"minimum": 1, "maximum": MAX_OCCURRENCES}
    )
    until: IsoDate | None = None


def validate_rule(rule: SeriesRule) -> None:
    """Every 1–12 weeks, 1–7 distinct weekdays, and either 1–52 appointments or a last date."""
    errors: list[FieldError] = []
    if not 1 <= rule.every_weeks <= MAX_EVERY_WEEKS:
        errors.append(FieldError("every_weeks", f"Repeat every 1 to {MAX_EVERY_WEEKS} weeks."))
    if not rule.weekdays:
        errors.append(FieldError("weekdays", "Choose at least one weekday."))
    elif any(not 0 <= d <= 6 for d in rule.weekdays):
        errors.append(FieldError("weekdays", "Weekdays run from 0 (Monday) to 6 (Sunday)."))
    elif len(set(rule.weekdays)) != len(rule.weekdays):
        errors.append(FieldError("weekdays", "Choose each weekday only once."))
    if rule.count is None and rule.until is None:
        errors.append(FieldError("count", "Give either a number of appointments or a last date."))
    elif rule.count is not None and rule.until is not None:
        errors.append(
            FieldError("count", "Give either a number of appointments or a last date, not both.")
        )
    elif rule.count is not None and not 1 <= rule.count <= MAX_OCCURRENCES:
        errors.append(FieldError("count", f"A series has 1 to {MAX_OCCURRENCES} appointments."))
    if errors:
        raise ValidationFailed(" ".join(e.message for e in errors), errors=errors)


def occurrences(first_start: datetime, rule: SeriesRule, zone: ZoneInfo) -> list[datetime]:
    """The series' starts in UTC, in date order, the first being `first_start` itself.

    Weeks count from the Monday-based week of `first_start` (week 0), then week N, 2N, …; every
    start keeps the first one's clinic-local wall-clock time, resolved as `local_instant` does
    (a time skipped by spring-forward moves past the gap; a repeated one is its first).
    """
    validate_rule(rule)
    first = to_utc(first_start)
    local = first.astimezone(zone)
    first_day, wall = local.date(), local.time().replace(tzinfo=None)
    if first_day.weekday() not in rule.weekdays:
        raise ValidationFailed(
            "The first appointment must fall on one of the chosen weekdays.",
            errors=[FieldError("start_time", "Not on one of the chosen weekdays.")],
        )
    if rule.until is not None and rule.until < first_day:
        raise ValidationFailed(
            "The last date must be on or after the first appointment.",
            errors=[FieldError("until", "Before the first appointment.")],
        )
    limit = rule.count if rule.count is not None else MAX_OCCURRENCES
    week = first_day - timedelta(days=first_day.weekday())
    starts: list[datetime] = []
    while True:
        for weekday in sorted(rule.weekdays):
            day = week + timedelta(days=weekday)
            if day < first_day:
                continue
            if rule.until is not None and day > rule.until:
                return starts
            if len(starts) == limit:
                if rule.count is None:
                    raise ValidationFailed(
                        f"A series can have at most {MAX_OCCURRENCES} appointments; "
                        "choose an earlier last date.",
                        errors=[FieldError("until", f"More than {MAX_OCCURRENCES} appointments.")],
                    )
                return starts
            starts.append(first if day == first_day else local_instant(day, wall, zone))
        week += _ONE_WEEK * rule.every_weeks


@dataclass(frozen=True, slots=True)
class OccurrenceFit:
    """One start of a series: bookable (`problem is None`) or why not, with starts to offer."""

    start: datetime
    end: datetime
    problem: str | None = None
    code: str | None = None
    alternatives: tuple[datetime, ...] = ()

    @property
    def bookable(self) -> bool:
        return self.problem is None


def _day_offsets(days: int) -> list[int]:
    """0, +1, −1, +2, −2 … ±days."""
    return [0] + [sign * n for n in range(1, days + 1) for sign in (1, -1)]


def nearest_free(
    wanted: datetime,
    *,
    duration_minutes: int,
    provider: Provider,
    provider_appointments: Sequence[Appointment],
    avoid: Sequence[tuple[datetime, datetime]] = (),
    now: datetime,
    limit: int = 3,
    days: int = ALTERNATIVE_DAYS,
) -> tuple[datetime, ...]:
    """Up to `limit` free starts nearest to `wanted`, from its clinic-local day and up to `days`
    days either side, that also stay clear of the `avoid` intervals; nearest first."""
    if limit <= 0:
        return ()
    zone = ZoneInfo(provider.timezone)
    home = wanted.astimezone(zone).date()
    length = timedelta(minutes=duration_minutes)
    found: list[datetime] = []
    for offset in _day_offsets(days):
        day: date = home + timedelta(days=offset)
        day_start, day_end = local_day_bounds(day, zone)
        if len(found) >= limit:
            # Later days on this side are further still: skip once none can come nearer.
            gap = day_start - wanted if offset > 0 else wanted - day_end
            if gap > abs(found[limit - 1] - wanted):
                continue
        that_day = [
            a
            for a in provider_appointments
            if a.start_time < day_end + MAX_DURATION and a.end_time > day_start - MAX_DURATION
        ]
        for slot in free_slots(provider, day, duration_minutes, appointments=that_day, now=now):
            start = slot.start_time
            if not any(overlaps(start, start + length, b0, b1) for b0, b1 in avoid):
                found.append(start)
        found.sort(key=lambda s: (abs(s - wanted), s))
    return tuple(found[:limit])


def check_occurrences(
    starts: Sequence[datetime],
    *,
    duration_minutes: int,
    appointment_type: str | None,
    provider: Provider,
    patient_id: str,
    provider_appointments: Iterable[Appointment],
    patient_appointments: Iterable[Appointment],
    now: datetime,
    provider_names: dict[str, str] | None = None,
    alternatives: int = 3,
) -> list[OccurrenceFit]:
    """Each start checked as a single booking would be, the series' earlier bookable starts
    counting as the patient's; a start that does not fit gets up to `alternatives` nearest
    free starts clear of the series' other starts and of the patient's appointments."""
    validate_fields(duration_minutes=duration_minutes, appointment_type=appointment_type)
    length = timedelta(minutes=duration_minutes)
    taken = list(provider_appointments)
    patients = [a for a in patient_appointments if a.active]
    names = {provider.id: provider.name, **(provider_names or {})}
    wanted = [(to_utc(s), to_utc(s) + length) for s in starts]
    booked: list[Appointment] = []
    fits: list[OccurrenceFit] = []
    for index, (start, end) in enumerate(wanted):
        try:
            check_booking(
                Booking(provider.id, patient_id, start, duration_minutes),
                appointment_type=appointment_type,
                provider=provider,
                provider_appointments=taken,
                patient_appointments=[*patients, *booked],
                now=now,
                provider_names=names,
            )
        except FrontDeskError as refusal:
            avoid = [w for i, w in enumerate(wanted) if i != index]
            avoid += [(a.start_time, a.end_time) for a in patients]
            offers = nearest_free(
                start,
                duration_minutes=duration_minutes,
                provider=provider,
                provider_appointments=taken,
                avoid=avoid,
                now=now,
                limit=alternatives,
            )
            fits.append(OccurrenceFit(start, end, refusal.message, refusal.code, offers))
            continue
        booked.append(
            _as_appointment(
                index, start, end, kind=appointment_type, provider=provider, patient_id=patient_id
            )
        )
        fits.append(OccurrenceFit(start, end))
    return fits


def _as_appointment(
    index: int,
    start: datetime,
    end: datetime,
    *,
    kind: str | None,
    provider: Provider,
    patient_id: str,
) -> Appointment:
    """An earlier start of the series as the patient's appointment, for the overlap check."""
    fields: dict[str, Any] = {
        "id": f"series_occurrence_{index}",
        "status": "confirmed",
        "patient_id": patient_id,
        "provider_id": provider.id,
        "start_time": start,
        "end_time": end,
        "duration_minutes": int((end - start).total_seconds() // 60),
        "type": kind or "booking in this series",
        "created_at": start,
        "updated_at": start,
    }
    return Appointment.model_validate(fields)


# --- what travels over the API ------------------------------------------------------------------


class SeriesCheckRequest(Model):
    """`POST /v1/series/check`: which starts of this series the diary can take."""

    patient_id: str
    provider_id: str
    start_time: BookableTime
    duration_minutes: StrictInt = Field(json_schema_extra=DURATION_SCHEMA)
    type: str = Field(json_schema_extra={"enum": list(APPOINTMENT_TYPES)})
    rule: SeriesRule


class OccurrenceCheck(Response):
    start_time: UtcDateTime
    end_time: UtcDateTime
    bookable: bool
    # Why not (a sentence for the receptionist) and the API code of that refusal.
    problem: str | None = None
    code: str | None = None
    # The nearest free starts to offer instead, nearest first.
    alternatives: list[UtcDateTime] = Field(default_factory=list)


class SeriesCheck(Response):
    occurrences: list[OccurrenceCheck]


class SeriesCreate(Model):
    """`PUT /v1/series/{id}`: book the series as one unit — every start, or none."""

    patient_id: str
    provider_id: str
    duration_minutes: StrictInt = Field(json_schema_extra=DURATION_SCHEMA)
    type: str = Field(json_schema_extra={"enum": list(APPOINTMENT_TYPES)})
    notes: str | None = None
    rule: SeriesRule
    # The starts to book: the rule's, with an alternative chosen or the start left out where
    # the check found no room (1–52, each a normal appointment of the series).
    starts: list[BookableTime] = Field(json_schema_extra={"minItems": 1, "maxItems": 52})


class Series(Response):
    id: str
    patient_id: str
    provider_id: str
    duration_minutes: int
    type: str
    notes: str | None = None
    rule: SeriesRule
    created_at: UtcDateTime
    appointments: list[Appointment]


class SeriesCancel(Model):
    """`POST /v1/series/{id}/cancel`: the series' appointments still to come (`all`), or those
    starting at or after `from_start` (`following`: this one and the ones after it)."""

    scope: Literal["all", "following"]
    from_start: BookableTime | None = None
    reason_code: str | None = None
    notify: StrictBool = True


class SeriesCancelResult(Response):
    series_id: str
    cancelled: list[CancelResult]


class SeriesReschedule(Model):
    """`POST /v1/series/{id}/reschedule`: move the series' appointments still to come (`all`),
    or those starting at or after `from_start` (`following`), to `new_time` on their own days
    (the clinic's wall clock), optionally with a new length — every one, or none."""

    scope: Literal["all", "following"]
    from_start: BookableTime | None = None
    new_time: time
    new_duration_minutes: StrictInt | None = Field(default=None, json_schema_extra=DURATION_SCHEMA)
    reason: str | None = None


class SeriesRescheduleResult(Response):
    series_id: str
    rescheduled: list[RescheduleResult]


def check_create(series_id: str, request: SeriesCreate) -> None:
    """What a series to book must be before any diary is read: its id, rule and starts."""
    errors: list[FieldError] = []
    if not has_prefix(series_id, SERIES):
        errors.append(FieldError("id", "A series' id starts with “ser_”."))
    try:
        validate_rule(request.rule)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    if not 1 <= len(request.starts) <= MAX_OCCURRENCES:
        errors.append(FieldError("starts", f"A series has 1 to {MAX_OCCURRENCES} appointments."))
    elif len(set(request.starts)) != len(request.starts):
        errors.append(FieldError("starts", "The same start is given twice."))
    if errors:
        raise ValidationFailed(" ".join(e.message for e in errors), errors=errors)


def refusal_of(fits: Sequence[OccurrenceFit], zone: ZoneInfo) -> FrontDeskError | None:
    """The first start that does not fit, as the refusal of the whole series (None: all fit)."""
    for fit in fits:
        if fit.problem is not None:
            local = fit.start.astimezone(zone)
            kind = error_for_code(fit.code or "")
            return kind(f"{local:%a} {local.day} {local:%b} at {local:%H:%M}: {fit.problem}")
    return None


def check_scope(request: SeriesCancel | SeriesReschedule) -> None:
    """`following` needs the start it runs from."""
    if request.scope == "following" and request.from_start is None:
        raise ValidationFailed(
            "Say from which appointment of the series on.",
            errors=[FieldError("from_start", "Needed for this one and the following.")],
        )


def as_check(fits: Sequence[OccurrenceFit]) -> SeriesCheck:
    return SeriesCheck(
        occurrences=[
            OccurrenceCheck(
                start_time=f.start,
                end_time=f.end,
                bookable=f.bookable,
                problem=f.problem,
                code=f.code,
                alternatives=list(f.alternatives),
            )
            for f in fits
        ]
    )
