"""Which queued writes may go now: per-appointment order, shared resources, conflicts, backoff."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from frontdesk_app.sync.entries import EntryState, Kind, OutboxEntry
from frontdesk_app.sync.ordering import ALWAYS, plan, spans_of

NOW = datetime(2026, 3, 2, 14, tzinfo=UTC)


def entry(
    seq: int,
    appointment: str,
    *,
    provider: str = "prov_a",
    patient: str | None = None,
    kind: Kind = "create",
    state: EntryState = "pending",
    retry_at: datetime | None = None,
) -> OutboxEntry:
    return OutboxEntry(
        seq=seq,
        id=f"obx_{seq}",
        kind=kind,
        appointment_id=appointment,
        provider_id=provider,
        patient_id=patient or f"pat_{appointment}",
        payload={},
        before=None,
        state=state,
        attempts=0,
        next_attempt_at=retry_at,
        created_at=NOW,
    )


def seqs(entries: list[OutboxEntry]) -> list[int]:
    return [e.seq for e in entries]


def test_one_appointment_goes_one_write_at_a_time_in_order() -> None:
    queue = [
        entry(1, "a", kind="create"),
        entry(2, "a", kind="reschedule"),
        entry(3, "a", kind="cancel"),
    ]
    assert seqs(plan(queue, in_flight=(), now=NOW, slots=4).ready) == [1]
    assert seqs(plan(queue, in_flight={1}, now=NOW, slots=3).ready) == []
    assert seqs(plan(queue[1:], in_flight=(), now=NOW, slots=4).ready) == [2]


def test_independent_appointments_go_together_up_to_the_slots() -> None:
    queue = [entry(i, f"a{i}", provider=f"prov_{i}") for i in range(1, 7)]
    assert seqs(plan(queue, in_flight=(), now=NOW, slots=4).ready) == [1, 2, 3, 4]
    assert seqs(plan(queue, in_flight={1, 2}, now=NOW, slots=2).ready) == [3, 4]


def test_a_write_never_overtakes_an_earlier_one_for_the_same_provider_or_patient() -> None:
    # A cancel that frees a slot must land before the booking that takes it.
    queue = [
        entry(1, "old", provider="prov_a", kind="cancel"),
        entry(2, "new", provider="prov_a"),
        entry(3, "other", provider="prov_b", patient="pat_old"),
        entry(4, "mine", provider="prov_c", patient="pat_other"),
    ]
    # 2 shares 1's provider, 3 shares 1's patient: both wait; 4 touches nothing of 1's.
    assert seqs(plan(queue, in_flight=(), now=NOW, slots=4).ready) == [1, 4]
    assert seqs(plan(queue[1:], in_flight=(), now=NOW, slots=4).ready) == [2, 3, 4]
    same_patient = [
        entry(1, "x", provider="prov_a", patient="pat_p"),
        entry(2, "y", provider="prov_b", patient="pat_p"),
    ]
    assert seqs(plan(same_patient, in_flight=(), now=NOW, slots=4).ready) == [1]


def test_a_conflict_holds_back_only_its_own_appointment() -> None:
    queue = [
        entry(1, "poisoned", state="conflict"),
        entry(2, "poisoned", kind="reschedule"),
        entry(3, "same_provider", provider="prov_a"),
        entry(4, "same_patient", provider="prov_b", patient="pat_poisoned"),
    ]
    assert seqs(plan(queue, in_flight=(), now=NOW, slots=4).ready) == [3, 4]


def test_a_backing_off_entry_waits_in_place_and_says_when_to_wake() -> None:
    later = NOW + timedelta(seconds=5)
    queue = [
        entry(1, "a", retry_at=later),
        entry(2, "a", kind="reschedule"),
        entry(3, "b", provider="prov_a"),
        entry(4, "c", provider="prov_c", retry_at=NOW - timedelta(seconds=1)),
    ]
    chosen = plan(queue, in_flight=(), now=NOW, slots=4)
    assert seqs(chosen.ready) == [4]
    assert chosen.wake_at == later


def test_closed_entries_are_ignored_and_no_slots_means_nothing_ready() -> None:
    queue = [entry(1, "a", state="done"), entry(2, "a"), entry(3, "b", provider="prov_b")]
    assert seqs(plan(queue, in_flight=(), now=NOW, slots=1).ready) == [2]
    assert plan(queue, in_flight=(), now=NOW, slots=0).ready == []


def booked(seq: int, appointment: str, hour: int, *, patient: str | None = None) -> OutboxEntry:
    start = NOW.replace(hour=hour)
    payload = {"start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "duration_minutes": 60}
    return replace(entry(seq, appointment, patient=patient), payload=payload)


def moved(seq: int, appointment: str, old_hour: int, new_hour: int) -> OutboxEntry:
    old = NOW.replace(hour=old_hour)
    before = {
        "start_time": old.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_time": (old + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_minutes": 60,
    }
    payload = {"new_start_time": NOW.replace(hour=new_hour).strftime("%Y-%m-%dT%H:%M:%SZ")}
    return replace(entry(seq, appointment, kind="reschedule"), payload=payload, before=before)


def test_the_same_provider_at_other_times_goes_in_parallel() -> None:
    queue = [booked(1, "a", 9), booked(2, "b", 10), booked(3, "c", 9, patient="pat_x")]
    # 3 overlaps 1 (same provider, 09:00): it waits; 2 at 10:00 does not.
    assert seqs(plan(queue, in_flight=(), now=NOW, slots=4).ready) == [1, 2]


def test_a_booking_waits_for_the_move_that_frees_its_slot() -> None:
    queue = [moved(1, "old", 9, 15), booked(2, "new", 9), booked(3, "late", 15), booked(4, "x", 12)]
    assert spans_of(queue[0])[0] == (NOW.replace(hour=9), NOW.replace(hour=10))
    assert seqs(plan(queue, in_flight=(), now=NOW, slots=4).ready) == [1, 4]


def test_unknown_times_hold_the_whole_provider() -> None:
    assert spans_of(entry(1, "a")) == (ALWAYS,)
