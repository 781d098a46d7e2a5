"""Settling accepted writes in the mirror: the id remap, a live event that came first, undo."""

from __future__ import annotations

from sqlalchemy import func, select

from frontdesk_app.domain.models import (
    AppointmentCancel,
    AppointmentCreate,
    AppointmentReschedule,
)
from frontdesk_app.store.db import Store
from frontdesk_app.store.tables import AppointmentRow, NotificationRow
from frontdesk_app.sync import apply, mirror, outbox
from tests.fixtures.store import NOW, TUESDAY, SmallClinic, local


def booking(clinic: SmallClinic) -> AppointmentCreate:
    return AppointmentCreate(
        patient_id=clinic.alice,
        provider_id=clinic.patel,
        start_time=local(TUESDAY, 9),
        duration_minutes=30,
        type="consultation",
    )


def server_answer(queued: apply.Queued, server_id: str) -> dict[str, object]:
    return queued.appointment.model_copy(update={"id": server_id}).model_dump(mode="json")


def rows(store: Store) -> list[tuple[str, str]]:
    with store.read() as s:
        return [(r.id, r.status) for r in s.scalars(select(AppointmentRow))]


def test_the_booking_takes_the_server_id_with_its_notifications(
    store: Store, clinic: SmallClinic
) -> None:
    with store.write() as s:
        queued = apply.queue_create(s, booking(clinic), now=NOW, entry_id=None)
    with store.write() as s:
        settled = apply.settle_success(
            s, queued.entry, server_answer(queued, "apt_server1"), now=NOW
        )
    assert settled.remapped_from == queued.appointment.id
    assert settled.appointment is not None and settled.appointment.id == "apt_server1"
    assert rows(store) == [("apt_server1", "confirmed")]
    with store.read() as s:
        owners = set(s.scalars(select(NotificationRow.appointment_id)))
        assert owners == {"apt_server1"}
        assert apply.resolve_id(s, queued.appointment.id) == "apt_server1"
        assert outbox.counts(s) == (0, 0)
        assert outbox.get_meta(s, apply.LAST_SYNC) == NOW.isoformat()


def test_a_live_event_that_arrived_first_is_not_shown_twice(
    store: Store, clinic: SmallClinic
) -> None:
    with store.write() as s:
        queued = apply.queue_create(s, booking(clinic), now=NOW, entry_id=None)
    answer = server_answer(queued, "apt_server2")
    with store.write() as s:  # the desk's own booking, echoed by the event stream
        mirror.upsert_appointments(s, [queued.appointment.model_copy(update={"id": "apt_server2"})])
    assert len(rows(store)) == 2
    with store.write() as s:
        apply.settle_success(s, queued.entry, answer, now=NOW)
    assert rows(store) == [("apt_server2", "confirmed")]


def test_later_queued_writes_keep_the_desks_version_and_follow_the_new_id(
    store: Store, clinic: SmallClinic
) -> None:
    with store.write() as s:
        queued = apply.queue_create(s, booking(clinic), now=NOW, entry_id=None)
        moved = apply.queue_reschedule(
            s,
            queued.appointment.id,
            AppointmentReschedule(new_start_time=local(TUESDAY, 11)),
            now=NOW,
            entry_id=None,
        )
    with store.write() as s:
        apply.settle_success(s, queued.entry, server_answer(queued, "apt_server3"), now=NOW)
    with store.read() as s:
        row = mirror.get_appointment(s, "apt_server3")
        [later] = outbox.entries_of(s, "apt_server3")
    assert row is not None and row.start_time == local(TUESDAY, 11)  # the pending move shows
    assert later.id == moved.entry.id


def test_undo_of_a_refused_cancel_rebuilds_the_row(store: Store, clinic: SmallClinic) -> None:
    with store.write() as s:
        queued = apply.queue_create(s, booking(clinic), now=NOW, entry_id=None)
    with store.write() as s:
        apply.settle_success(s, queued.entry, server_answer(queued, "apt_server4"), now=NOW)
        cancel = apply.queue_cancel(
            s, "apt_server4", AppointmentCancel(reason_code="other"), now=NOW, entry_id=None
        )
    assert rows(store) == [("apt_server4", "cancelled")]
    with store.write() as s:
        undone = apply.undo(
            s, cancel.entry, state="rejected", now=NOW, code="invalid_state", message="x"
        )
    assert undone.appointment is not None and undone.appointment.status == "confirmed"
    assert rows(store) == [("apt_server4", "confirmed")]
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(AppointmentRow)) == 1
        assert outbox.counts(s) == (0, 0)
