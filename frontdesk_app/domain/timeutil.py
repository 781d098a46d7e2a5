"""UTC instants on the wire (`2025-03-15T10:00:00Z`), clinic-local dates for people."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

from frontdesk_app.domain import clock


def to_utc(value: datetime) -> datetime:
    """The same instant in UTC; a naive value is refused because its zone is a guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a time needs its time zone (use ISO 8601 with Z or an offset)")
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01 with a positive offset, 9999-12-31 with a negative
        raise ValueError("the time is outside the calendar") from exc


def format_utc(value: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, to the second as the API's examples are."""
    return to_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str) -> datetime:
    """Parse ISO 8601 with `Z` or an offset into an aware UTC datetime."""
    return to_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def utc_now() -> datetime:
    """Now, in UTC, to the second (sub-second precision is not on the wire), from the clock."""
    return clock.now().replace(microsecond=0)


# On the wire a time or a date is ISO 8601 text; a number is never read as a Unix timestamp
# (`0` is not 1 January 1970) and `2025-3-5` is not a date.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _iso_time(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_TIME.match(value):
        raise ValueError("Use a date and time in ISO 8601, such as 2025-03-15T10:00:00Z.")
    return value


def _iso_date(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("Use a date as YYYY-MM-DD, such as 2025-03-15.")
    return value


UtcDateTime = Annotated[
    datetime,
    BeforeValidator(_iso_time),
    AfterValidator(to_utc),
    PlainSerializer(format_utc, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
IsoDate = Annotated[
    date, BeforeValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})
]

# What a clinic books: from 2000 to two years ahead. Anything further is a typing mistake, and
# far enough from the calendar's ends that no date arithmetic can overflow.
EARLIEST_BOOKABLE = date(2000, 1, 1)
BOOKABLE_AHEAD = timedelta(days=2 * 365 + 1)
_RANGE_MESSAGE = "Choose a date between 1 January 2000 and two years from today."


def latest_bookable() -> datetime:
    return clock.now() + BOOKABLE_AHEAD


def _bookable_time(value: datetime) -> datetime:
    if value.date() < EARLIEST_BOOKABLE or value > latest_bookable():
        raise ValueError(_RANGE_MESSAGE)
    return value


def _bookable_date(value: date) -> date:
    if value < EARLIEST_BOOKABLE or value > latest_bookable().date():
        raise ValueError(_RANGE_MESSAGE)
    return value


def _calendar_date(value: date) -> date:
    if not EARLIEST_BOOKABLE.year <= value.year < 2100:
        raise ValueError("Choose a date between 2000 and 2099.")
    return value


# A time or day a request may name (a booking, a move, a day to look at or list).
BookableTime = Annotated[UtcDateTime, AfterValidator(_bookable_time)]
BookableDate = Annotated[IsoDate, AfterValidator(_bookable_date)]
# A day a record is about (a date of service): this century, not only the bookable years.
CalendarDate = Annotated[IsoDate, AfterValidator(_calendar_date)]


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants at which a clinic-local day starts and ends (23 or 25 h on DST days)."""
    start = datetime.combine(day, time(0, 0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def local_instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a clinic-local day.

    A wall time skipped by a spring-forward change is moved past the gap, and one repeated by
    a fall-back change takes its first occurrence, so working hours stay what the wall says.
    """
    # PEP 495: with fold=0 a skipped wall time takes the pre-transition offset, which lands
    # after the gap, and a repeated one is its first occurrence.
    local = datetime.combine(day, clock, tzinfo=zone)
    return local.astimezone(UTC)


def format_local_range(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    """`10:00–10:30` in the clinic's zone, for messages a receptionist reads."""
    return f"{start.astimezone(zone):%H:%M}\u2013{end.astimezone(zone):%H:%M}"
