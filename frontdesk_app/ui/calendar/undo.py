"""Undo a move: the last drag or reschedule, put back within a minute as another reschedule.

The calendar remembers the last move it made (where the appointment was, how long it was, and
when the move was made, on a monotonic clock: a timeout, not a time of day). Undoing it sends a
reschedule back to the old time through the same write path as any move, so it works offline
(it waits in the outbox like the move did) and is refused like any other if the old time was
taken meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from time import monotonic

UNDO_WINDOW_S = 60.0  # a move can be put back for a minute


@dataclass(frozen=True, slots=True)
class Move:
    """A move the calendar made: the appointment, and where and how long it was before."""

    appointment_id: str
    before: datetime
    before_minutes: int
    after: datetime
    made_at: float  # monotonic seconds


class MoveHistory:
    """The last move, while it can still be undone."""

    def __init__(self, now: Callable[[], float] = monotonic) -> None:
        self._now = now
        self._last: Move | None = None

    def record(self, appointment_id: str, before: datetime, minutes: int, after: datetime) -> Move:
        self._last = Move(appointment_id, before, minutes, after, self._now())
        return self._last

    def last(self) -> Move | None:
        """The move that can still be undone, if any (a minute has not passed)."""
        move = self._last
        if move is not None and self._now() - move.made_at > UNDO_WINDOW_S:
            self._last = move = None
        return move

    def take(self) -> Move | None:
        """The move to undo, forgotten here (an undo is not itself undone)."""
        move = self.last()
        self._last = None
        return move

    def forget(self, appointment_id: str) -> None:
        """The appointment was cancelled or moved elsewhere: its move can no longer be undone."""
        if self._last is not None and self._last.appointment_id == appointment_id:
            self._last = None
