"""The visit's rule, written once: which moves the front desk may make, and what each keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from frontdesk_app.domain.errors import InvalidState, ValidationFailed
from frontdesk_app.domain.models import Appointment
from frontdesk_app.domain.visits import (
    Visit,
    VisitChange,
    check_move,
    minutes_in_state,
    moved,
    next_state,
)

START = datetime(2027, 3, 15, 14, 0, tzinfo=UTC)


def _appointment(status: str = "confirmed") -> Appointment:
    return Appointment(
        id="apt_1",
        status=status,  # type: ignore[arg-type]
        patient_id="pat_1",
        provider_id="prov_1",
        start_time=START,
        end_time=START + timedelta(minutes=30),
        duration_minutes=30,
        type="consultation",
        created_at=START - timedelta(days=3),
        updated_at=START - timedelta(days=3),
    )


def _walk(*states: str, room: str | None = None) -> Visit:
    visit = Visit(appointment_id="apt_1")
    at = START - timedelta(minutes=10)
    for state in states:
        change = VisitChange(state=state, room=room)  # type: ignore[arg-type]
        check_move(_appointment(), visit, change.state, now=at)
        visit = moved(visit, change, now=at, by="Dana Reyes")
        at += timedelta(minutes=7)
    return visit


def test_the_day_flows_with_each_step_timed_and_signed() -> None:
    visit = _walk("arrived", "in_room", "with_provider", "checked_out", room="3")
    assert visit.state == "checked_out" and visit.room is None  # the room is let go
    assert [s.state for s in visit.history] == [
        "arrived",
        "in_room",
        "with_provider",
        "checked_out",
    ]
    assert all(s.by == "Dana Reyes" for s in visit.history)
    assert visit.history[1].at - visit.history[0].at == timedelta(minutes=7)


def test_the_room_stays_with_the_patient_until_they_leave() -> None:
    visit = _walk("arrived", room="2")
    visit = moved(visit, VisitChange(state="in_room"), now=START, by=None)
    assert visit.room == "2"


def test_a_step_back_is_a_correction_and_allowed() -> None:
    visit = _walk("arrived", "in_room")
    check_move(_appointment(), visit, "arrived", now=START)


@pytest.mark.parametrize(
    ("states", "new", "error"),
    [
        (("arrived",), "arrived", InvalidState),
        (("arrived", "in_room", "with_provider", "checked_out"), "in_room", InvalidState),
        (("arrived",), "no_show", InvalidState),
        ((), "no_show", ValidationFailed),  # the appointment has not started yet
    ],
)
def test_moves_the_desk_must_not_make(states: tuple[str, ...], new: str, error: type) -> None:
    visit = _walk(*states)
    with pytest.raises(error):
        check_move(_appointment(), visit, new, now=START - timedelta(minutes=1))  # type: ignore[arg-type]


def test_a_no_show_after_the_start_and_nothing_for_a_cancelled_appointment() -> None:
    check_move(_appointment(), Visit(appointment_id="apt_1"), "no_show", now=START)
    with pytest.raises(InvalidState, match="cancelled"):
        check_move(_appointment("cancelled"), Visit(appointment_id="apt_1"), "arrived", now=START)


def test_the_next_step_and_the_minutes_waited() -> None:
    assert next_state("scheduled") == "arrived"
    assert next_state("with_provider") == "checked_out"
    assert next_state("checked_out") is None and next_state("no_show") is None
    visit = _walk("arrived")
    arrived_at = visit.history[0].at
    assert minutes_in_state(visit, arrived_at + timedelta(minutes=12, seconds=59)) == 12
    assert minutes_in_state(Visit(appointment_id="apt_1"), START) == 0
