"""Each appointment change is written once (domain/transitions.py): the local store, the outbox's
replay onto the desk's copy and the settle step from the server's answer give the same result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from frontdesk_app.domain import transitions
from frontdesk_app.domain.models import (
    Appointment,
    AppointmentCancel,
    AppointmentCreate,
    AppointmentReschedule,
)
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.sync.entries import Kind, OutboxEntry, apply_locally, payload_of
from tests.fixtures.store import TUESDAY, Clock, SmallClinic, local

AT = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def _booking(clinic: SmallClinic, hour: int = 9) -> AppointmentCreate:
    return AppointmentCreate(
        patient_id=clinic.alice,
        provider_id=clinic.patel,
        start_time=local(TUESDAY, hour),
        duration_minutes=30,
        type="consultation",
        notes="follow-up",
    )


def _entry(kind: Kind, appointment: Appointment, request: Any, at: datetime) -> OutboxEntry:
    return OutboxEntry(
        seq=1,
        id="ob_test",
        kind=kind,
        appointment_id=appointment.id,
        provider_id=appointment.provider_id,
        patient_id=appointment.patient_id,
        payload=payload_of(request),
        before=None,
        state="pending",
        attempts=0,
        next_attempt_at=None,
        created_at=at,
    )


def test_booked_is_confirmed_with_its_end_from_its_length(clinic: SmallClinic) -> None:
    made = transitions.booked("apt_x", _booking(clinic), at=AT)
    assert made.status == "confirmed" and made.created_at == made.updated_at == AT
    assert made.end_time - made.start_time == timedelta(minutes=30)


def test_a_move_without_a_length_keeps_the_appointments_own(clinic: SmallClinic) -> None:
    made = transitions.booked("apt_x", _booking(clinic), at=AT)
    later = made.start_time + timedelta(hours=2)
    moved = transitions.moved(made, start=later, duration_minutes=None, reason=None, at=AT)
    assert moved.duration_minutes == 30 and moved.end_time == later + timedelta(minutes=30)
    assert moved.previous_time == made.start_time and moved.status == "rescheduled"


def test_a_cancel_replayed_later_keeps_the_time_it_was_made(clinic: SmallClinic) -> None:
    made = transitions.booked("apt_x", _booking(clinic), at=AT)
    later = AT + timedelta(hours=5)
    gone = transitions.cancelled(made, reason_code="patient_request", at=AT, updated_at=later)
    assert (gone.cancelled_at, gone.updated_at, gone.status) == (AT, later, "cancelled")


@pytest.mark.asyncio
@pytest.mark.parametrize("new_length", [None, 45])
async def test_the_three_callers_agree_on_a_reschedule(
    backend: LocalBackend, clinic: SmallClinic, clock: Clock, new_length: int | None
) -> None:
    made = await backend.create_appointment(_booking(clinic))
    request = AppointmentReschedule(
        new_start_time=local(TUESDAY, 14), new_duration_minutes=new_length, reason="clash"
    )
    answer = await backend.reschedule_appointment(made.id, request)
    server = await backend.get_appointment(made.id)  # the local store's own transition

    replayed = apply_locally(made, _entry("reschedule", made, request, clock.now), now=clock.now)
    assert replayed == server
    # The settle step starts from the desk's copy, already moved: the answer names where from.
    assert replayed is not None
    assert transitions.moved_as_answered(replayed, answer) == server


@pytest.mark.asyncio
async def test_the_three_callers_agree_on_a_cancel(
    backend: LocalBackend, clinic: SmallClinic, clock: Clock
) -> None:
    made = await backend.create_appointment(_booking(clinic))
    request = AppointmentCancel(reason_code="patient_request", notify=False)
    answer = await backend.cancel_appointment(made.id, request)
    server = await backend.get_appointment(made.id)

    replayed = apply_locally(made, _entry("cancel", made, request, clock.now), now=clock.now)
    assert replayed == server
    assert transitions.cancelled_as_answered(made, answer) == server


@pytest.mark.asyncio
async def test_the_local_store_and_the_outbox_book_alike(
    backend: LocalBackend, clinic: SmallClinic, clock: Clock
) -> None:
    request = _booking(clinic)
    server = await backend.create_appointment(request)
    entry = _entry("create", server, request, clock.now)
    assert apply_locally(None, entry, now=clock.now) == server
