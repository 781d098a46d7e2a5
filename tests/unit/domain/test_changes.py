"""The one change notification per appointment write: what it carries, and how a frame's
burst of them is thinned to the last word on each appointment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from frontdesk_app.domain.changes import AppointmentChange, change_of, latest_changes
from frontdesk_app.domain.models import SYNC_EVENT, Appointment, Event

AT = datetime(2027, 3, 15, 14, 0, tzinfo=UTC)


def _appointment(appointment_id: str, minutes: int = 30) -> Appointment:
    return Appointment(
        id=appointment_id,
        status="confirmed",
        patient_id="pat_1",
        provider_id="prov_1",
        start_time=AT,
        end_time=AT + timedelta(minutes=minutes),
        duration_minutes=minutes,
        type="consultation",
        created_at=AT,
        updated_at=AT,
    )


def _event(change: AppointmentChange, seq: int = 0) -> Event:
    return Event(id=f"evt_{seq}", seq=seq, type=SYNC_EVENT, created_at=AT, data=change.data())


def test_a_change_carries_the_row_its_status_and_who_made_it() -> None:
    row = _appointment("apt_1")
    change = AppointmentChange("apt_1", row, "pending", "desk")
    assert change_of(_event(change)) == change
    gone = AppointmentChange("tmp_1", None, "synced", "replayer")
    assert change_of(_event(gone)) == gone and gone.removed
    remapped = AppointmentChange("apt_2", _appointment("apt_2"), "synced", "replayer", "tmp_2")
    assert change_of(_event(remapped)) == remapped


def test_other_events_are_not_changes() -> None:
    other = Event(id="evt_9", seq=9, type="agent.status_changed", created_at=AT, data={"id": "a"})
    assert change_of(other) is None


def test_a_burst_keeps_each_appointments_last_change_and_every_remap() -> None:
    queued = _event(AppointmentChange("apt_1", _appointment("apt_1"), "pending", "desk"), 1)
    settled = _event(AppointmentChange("apt_1", _appointment("apt_1"), "synced", "desk"), 2)
    remap = _event(
        AppointmentChange("apt_2", _appointment("apt_2"), "synced", "replayer", "tmp_2"), 3
    )
    moved = _event(AppointmentChange("apt_2", _appointment("apt_2", 45), "synced", "server"), 4)
    other = Event(id="evt_5", seq=5, type="transfer.created", created_at=AT, data={})
    kept = latest_changes([queued, remap, other, settled, moved])
    # The remap stays (it names the temporary id to drop), the queued state does not.
    assert [e.seq for e in kept] == [3, 5, 2, 4]
