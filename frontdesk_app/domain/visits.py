"""A visit: where a booked patient is on the day, from arrival to checkout (the flow board).

    scheduled → arrived → in_room → with_provider → checked_out
    scheduled → no_show            (only once the appointment's start has passed)

A step back by one (a patient marked in the room too early, a no-show who walks in) is a
correction and allowed; jumping ahead is allowed too (a patient taken straight to a room), but
nothing moves out of `checked_out`, and a cancelled appointment has no visit to move. Every
move is kept in the visit's history with its time and who made it. The rule is written here
once; the local store, the sandbox and the desk's checks before sending all use it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from pydantic import Field

from frontdesk_app.domain.errors import InvalidState, ValidationFailed
from frontdesk_app.domain.models import Appointment, Model, Response
from frontdesk_app.domain.timeutil import UtcDateTime

VisitState = Literal["scheduled", "arrived", "in_room", "with_provider", "checked_out", "no_show"]
VISIT_STATES: tuple[VisitState, ...] = get_args(VisitState)
FLOW: tuple[VisitState, ...] = ("scheduled", "arrived", "in_room", "with_provider", "checked_out")
VISIT_EVENT = "visit.changed"

LABELS: dict[VisitState, str] = {
    "scheduled": "Not arrived",
    "arrived": "Arrived",
    "in_room": "In room",
    "with_provider": "With provider",
    "checked_out": "Checked out",
    "no_show": "No-show",
}


class VisitChange(Model):
    """`POST /v1/appointments/{id}/visit`: the state the visit moves to, and the room."""

    state: VisitState
    room: str | None = Field(default=None, min_length=1, max_length=40)
    # The person at the desk, as the desk names them (the server falls back to the caller).
    by: str | None = Field(default=None, min_length=1, max_length=100)


class VisitStep(Response):
    state: VisitState
    at: UtcDateTime
    by: str | None = None


class Visit(Response):
    appointment_id: str
    state: VisitState = "scheduled"
    room: str | None = None
    updated_at: UtcDateTime | None = None
    history: list[VisitStep] = Field(default_factory=list)

    def since(self) -> datetime | None:
        """When the visit entered its current state (None: never moved)."""
        return self.history[-1].at if self.history else None


def check_move(appointment: Appointment, visit: Visit, new: VisitState, *, now: datetime) -> None:
    """Refuse a move the front desk must not make, with a sentence a receptionist reads."""
    if appointment.status == "cancelled":
        raise InvalidState("This appointment is cancelled; there is no visit to update.")
    if visit.state == "checked_out" and new != "checked_out":
        raise InvalidState("This patient has already checked out.")
    if new == "no_show" and visit.state != "scheduled":
        raise InvalidState("Only a patient who has not arrived can be marked as a no-show.")
    if new == "no_show" and now < appointment.start_time:
        raise ValidationFailed(
            "The appointment has not started yet; a no-show can be marked after its start time."
        )
    if new == visit.state:
        raise InvalidState(f"The patient is already marked “{LABELS[new]}”.")


def moved(visit: Visit, change: VisitChange, *, now: datetime, by: str | None = None) -> Visit:
    """The visit after `change` (checked with `check_move` first); `by` when the change
    does not say who made it."""
    room = change.room if change.room is not None else visit.room
    if change.state in ("scheduled", "no_show", "checked_out"):
        room = None  # the room is let go
    step = VisitStep(state=change.state, at=now, by=change.by or by)
    return visit.model_copy(
        update={
            "state": change.state,
            "room": room,
            "updated_at": now,
            "history": [*visit.history, step],
        }
    )


def next_state(state: VisitState) -> VisitState | None:
    """The usual next step of the flow (None at the end, or for a no-show)."""
    if state not in FLOW or state == FLOW[-1]:
        return None
    return FLOW[FLOW.index(state) + 1]


def minutes_in_state(visit: Visit, now: datetime) -> int:
    """Whole minutes since the visit entered its state (0 when it never moved)."""
    since = visit.since()
    return 0 if since is None else max(0, int((now - since).total_seconds() // 60))
