"""The mirror never goes back in time: a server version delivered late (an event about a move,
after the cancel that followed it had settled here) does not replace a newer one."""

from __future__ import annotations

from datetime import timedelta

from frontdesk_app.domain import transitions
from frontdesk_app.domain.models import Appointment, AppointmentCreate
from frontdesk_app.store.db import Store
from frontdesk_app.sync import mirror
from tests.fixtures.store import NOW, TUESDAY, SmallClinic, local


def _booked(clinic: SmallClinic) -> Appointment:
    request = AppointmentCreate(
        patient_id=clinic.alice,
        provider_id=clinic.patel,
        start_time=local(TUESDAY, 9),
        duration_minutes=30,
        type="consultation",
    )
    return transitions.booked("apt_late1", request, at=NOW)


def _stored(store: Store) -> tuple[str, object]:
    with store.read() as s:
        found = mirror.get_appointment(s, "apt_late1")
    assert found is not None
    return found.status, found.start_time


def test_a_late_move_does_not_undo_a_cancel(store: Store, clinic: SmallClinic) -> None:
    booked = _booked(clinic)
    moved = transitions.moved(
        booked, start=local(TUESDAY, 11), duration_minutes=None, reason=None, at=NOW
    )
    cancelled = transitions.cancelled(moved, reason_code=None, at=NOW + timedelta(seconds=5))
    with store.write() as s:
        mirror.upsert_appointments(s, [booked])
    with store.write() as s:
        mirror.upsert_appointments(s, [cancelled])
    with store.write() as s:
        mirror.upsert_appointments(s, [moved])  # the event about the move, delivered late
    assert _stored(store) == ("cancelled", local(TUESDAY, 11))


def test_an_older_version_does_not_replace_a_newer_one(store: Store, clinic: SmallClinic) -> None:
    booked = _booked(clinic)
    first = transitions.moved(
        booked, start=local(TUESDAY, 11), duration_minutes=None, reason=None, at=NOW
    )
    second = transitions.moved(
        first, start=local(TUESDAY, 14), duration_minutes=None, reason=None, at=NOW + timedelta(1)
    )
    with store.write() as s:
        mirror.upsert_appointments(s, [second])
    with store.write() as s:
        mirror.upsert_appointments(s, [first])
    assert _stored(store) == ("rescheduled", local(TUESDAY, 14))
    third = transitions.moved(
        second, start=local(TUESDAY, 15), duration_minutes=None, reason=None, at=NOW + timedelta(2)
    )
    with store.write() as s:
        mirror.upsert_appointments(s, [third])  # a newer one does
    assert _stored(store) == ("rescheduled", local(TUESDAY, 15))
