"""The product's one clock: every "now" and "today" of the business logic is read here.

Nothing else in `frontdesk_app` calls `datetime.now`, `date.today` or `time.time` (an
architecture test enforces it); monotonic timers for timeouts and pacing are not wall time and
stay where they are. Tests and demos choose the instant: `use_clock(Clock.starting_at(...))`
makes the whole product believe it is that instant, with time running on from there (so token
lifetimes, retries and timers behave), or `Clock.frozen(...)` stops it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, tzinfo

__all__ = [
    "OFFSET_VARIABLE",
    "Clock",
    "clock_from_environment",
    "current_clock",
    "now",
    "now_timestamp",
    "set_clock",
    "system_now",
    "today",
    "use_clock",
]


class Clock:
    """Wall time as the product sees it: the system's, shifted by an offset, or frozen."""

    __slots__ = ("_frozen", "_offset")

    def __init__(self, *, offset: timedelta = timedelta(0), frozen: datetime | None = None) -> None:
        if frozen is not None and (frozen.tzinfo is None or frozen.utcoffset() is None):
            raise ValueError("a frozen instant needs its time zone")
        self._offset = offset
        self._frozen = frozen.astimezone(UTC) if frozen is not None else None

    @classmethod
    def system(cls) -> Clock:
        return cls()

    @classmethod
    def starting_at(cls, instant: datetime) -> Clock:
        """A clock that reads `instant` now and runs on at the system's pace from there."""
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("a starting instant needs its time zone")
        return cls(offset=instant.astimezone(UTC) - _system_now())

    @classmethod
    def frozen_at(cls, instant: datetime) -> Clock:
        return cls(frozen=instant)

    @property
    def offset(self) -> timedelta:
        """How far this clock runs from the system's (a frozen clock has none to give)."""
        if self._frozen is not None:
            raise ValueError("a frozen clock does not run at an offset")
        return self._offset

    @property
    def is_frozen(self) -> bool:
        return self._frozen is not None

    @property
    def is_system(self) -> bool:
        return self._frozen is None and self._offset == timedelta(0)

    def now(self) -> datetime:
        """The current instant, timezone-aware in UTC, with microseconds."""
        if self._frozen is not None:
            return self._frozen
        return _system_now() + self._offset

    def __repr__(self) -> str:
        if self._frozen is not None:
            return f"Clock(frozen at {self._frozen.isoformat()})"
        return f"Clock(offset={self._offset})"


def _system_now() -> datetime:
    # The one place the product reads the operating system's wall clock.
    return datetime.now(UTC)


def system_now() -> datetime:
    """The operating system's own time, whatever clock the product was given.

    Only for timestamps another program checks against *its* clock (a webhook's signature
    time, verified by the receiver within minutes); business logic reads `now()`.
    """
    return _system_now()


# A process started by another that chose an instant (a test, a training desk) runs at the
# same offset from the system clock: seconds, as a decimal number.
OFFSET_VARIABLE = "FRONTDESK_CLOCK_OFFSET"


def clock_from_environment() -> Clock:
    raw = os.environ.get(OFFSET_VARIABLE, "").strip()
    if not raw:
        return Clock.system()
    try:
        seconds = float(raw)
    except ValueError:
        raise ValueError(f"{OFFSET_VARIABLE} must be a number of seconds") from None
    return Clock(offset=timedelta(seconds=seconds))


_lock = threading.Lock()
_current = clock_from_environment()


def current_clock() -> Clock:
    return _current


def set_clock(clock: Clock) -> Clock:
    """Make `clock` the product's clock (for every thread); returns the one it replaces."""
    global _current
    with _lock:
        previous, _current = _current, clock
    return previous


@contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    previous = set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(previous)


def now() -> datetime:
    """Now, in UTC (aware), from the product's clock."""
    return _current.now()


def now_timestamp() -> float:
    """Now as POSIX seconds (for HTTP dates, token and signature timestamps)."""
    return _current.now().timestamp()


def today(zone: tzinfo) -> date:
    """Today's date where `zone` is — a clinic's day, not the computer's or UTC's."""
    return _current.now().astimezone(zone).date()
