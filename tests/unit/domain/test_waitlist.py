"""The waitlist's rules: what an entry may be, who fits a freed slot and in which order, which
changes free a slot."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from frontdesk_app.domain.errors import InvalidState, ValidationFailed
from frontdesk_app.domain.models import Appointment
from frontdesk_app.domain.waitlist import (
    FreeSlot,
    WaitlistEntry,
    WaitlistRequest,
    booked,
    candidates,
    check_bookable,
    describe_wish,
    fits,
    freed_by,
    freed_since,
    reopened,
    saved,
)

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # Monday 09:00 in the clinic
# Tuesday 8 December, 14:00 in the clinic: an afternoon.
SLOT = FreeSlot("prov_a", datetime(2026, 12, 8, 19, 0, tzinfo=UTC), 30)


def entry(entry_id: str = "wl_1", *, days_ago: int = 0, **wish: Any) -> WaitlistEntry:
    fields: dict[str, Any] = {
        "patient_id": "pat_" + entry_id[3:],
        "type": "consultation",
        "duration_minutes": 30,
    }
    request = WaitlistRequest.model_validate({**fields, **wish})
    return saved(entry_id, request, None, now=NOW - timedelta(days=days_ago))


def test_an_entry_is_refused_in_words() -> None:
    request = WaitlistRequest(
        patient_id="pat_1",
        type="spa",
        duration_minutes=3,
        weekdays=[7],
        earliest=date(2026, 12, 10),
        latest=date(2026, 12, 9),
    )
    with pytest.raises(ValidationFailed) as refused:
        saved("apt_1", request, None, now=NOW)
    fields = {e.field for e in refused.value.errors}
    assert fields == {"id", "duration_minutes", "type", "weekdays", "latest"}


def test_saving_again_keeps_when_it_joined_and_a_booked_entry_cannot_change() -> None:
    first = entry(days_ago=5)
    request = WaitlistRequest(patient_id=first.patient_id, type="follow-up", duration_minutes=15)
    again = saved(first.id, request, first, now=NOW)
    assert (again.created_at, again.updated_at, again.type) == (first.created_at, NOW, "follow-up")
    done = booked(again, "apt_9", now=NOW)
    with pytest.raises(InvalidState):
        saved(first.id, request, done, now=NOW)
    with pytest.raises(InvalidState):
        check_bookable(done, first.patient_id)
    with pytest.raises(InvalidState):
        check_bookable(again, "pat_someone_else")
    assert reopened(done, now=NOW).status == "waiting"


def test_who_fits_a_slot() -> None:
    assert fits(entry(), SLOT, NY)
    assert fits(entry(provider_id="prov_a", weekdays=[1], day_parts=["afternoon"]), SLOT, NY)
    assert not fits(entry(provider_id="prov_b"), SLOT, NY)
    assert not fits(entry(duration_minutes=45), SLOT, NY)  # longer than the slot
    assert not fits(entry(weekdays=[0, 2]), SLOT, NY)  # Tuesday is 1
    assert not fits(entry(day_parts=["morning"]), SLOT, NY)
    assert not fits(entry(earliest=date(2026, 12, 9)), SLOT, NY)
    assert not fits(entry(latest=date(2026, 12, 7)), SLOT, NY)
    assert fits(entry(earliest=date(2026, 12, 8), latest=date(2026, 12, 8)), SLOT, NY)
    assert not fits(entry(status="removed"), SLOT, NY)


def test_longest_waiting_first_then_the_better_fit() -> None:
    found = candidates(
        [
            entry("wl_anyone", days_ago=2),
            entry("wl_namedshort", days_ago=2, provider_id="prov_a", duration_minutes=15),
            entry("wl_named", days_ago=2, provider_id="prov_a"),
            entry("wl_oldest", days_ago=20),
            entry("wl_elsewhere", days_ago=30, provider_id="prov_b"),
        ],
        SLOT,
        zone=NY,
        now=NOW,
    )
    assert [c.entry.id for c in found] == ["wl_oldest", "wl_named", "wl_namedshort", "wl_anyone"]
    assert (found[0].waited_days, found[2].spare_minutes) == (20, 15)


def _appointment(status: str, start: datetime, previous: datetime | None = None) -> Appointment:
    return Appointment(
        id="apt_1",
        status=status,  # type: ignore[arg-type]
        patient_id="pat_1",
        provider_id="prov_a",
        start_time=start,
        end_time=start + timedelta(minutes=30),
        duration_minutes=30,
        type="consultation",
        created_at=NOW,
        updated_at=NOW,
        previous_time=previous,
    )


def test_a_cancel_or_a_move_frees_a_slot_still_to_come() -> None:
    later = NOW + timedelta(days=1)
    assert freed_by(_appointment("cancelled", later), now=NOW) == FreeSlot("prov_a", later, 30)
    moved = _appointment("rescheduled", later + timedelta(days=1), previous=later)
    assert freed_by(moved, now=NOW) == FreeSlot("prov_a", later, 30)
    assert freed_by(_appointment("cancelled", NOW - timedelta(hours=1)), now=NOW) is None
    assert freed_by(_appointment("confirmed", later), now=NOW) is None


def test_the_slots_freed_since_a_moment_latest_change_first_each_once() -> None:
    morning = NOW - timedelta(hours=3)
    tomorrow = NOW + timedelta(days=1)

    def changed(status: str, start: datetime, at: datetime, **more: Any) -> Appointment:
        made = _appointment(status, start, more.pop("previous", None))
        return made.model_copy(update={"updated_at": at, **more})

    early_cancel = changed("cancelled", tomorrow, morning, cancelled_at=morning)
    late_move = changed(
        "rescheduled", tomorrow + timedelta(days=3), NOW, previous=tomorrow + timedelta(hours=2)
    )
    yesterday = changed("cancelled", tomorrow + timedelta(hours=4), NOW - timedelta(days=1))
    past = changed("cancelled", NOW - timedelta(hours=1), NOW)
    again = changed("cancelled", tomorrow, NOW - timedelta(hours=1))  # the same time, later
    found = freed_since(
        [early_cancel, late_move, yesterday, past, again, _appointment("confirmed", tomorrow)],
        since=morning,
        now=NOW,
    )
    assert found == [
        FreeSlot("prov_a", tomorrow + timedelta(hours=2), 30),  # the latest change first
        FreeSlot("prov_a", tomorrow, 30),  # once, although freed twice
    ]


def test_a_wish_reads_as_a_sentence() -> None:
    wish = entry(weekdays=[0, 3], day_parts=["morning"], earliest=date(2026, 12, 10))
    assert describe_wish(wish, "Dr Adams") == (
        "Dr Adams · consultation 30 min · Mon, Thu · morning · from 10 Dec"
    )
