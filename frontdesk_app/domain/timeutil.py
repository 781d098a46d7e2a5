"""UTC instants on the wire (`2025-03-15T10:00:00Z`), clinic-local dates for people."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, PlainSerializer

from frontdesk_app.domain import clock


def to_utc(value: datetime) -> datetime:
    """The same instant in UTC; a naive value is refused because its zone is a guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a time needs its time zone (use ISO 8601 with Z or an offset)")
    return value.astimezone(UTC)


def format_utc(value: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, to the second as the API's examples are."""
    return to_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str) -> datetime:
    """Parse ISO 8601 with `Z` or an offset into an aware UTC datetime."""
    return to_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def utc_now() -> datetime:
    """Now, in UTC, to the second (sub-second precision is not on the wire), from the clock."""
    return clock.now().replace(microsecond=0)


UtcDateTime = Annotated[
    datetime,
    AfterValidator(to_utc),
    PlainSerializer(format_utc, return_type=str, when_used="json"),
]


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
