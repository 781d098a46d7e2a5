"""Random create / reschedule / cancel sequences against `LocalBackend`, checked after every step.

After each step: no provider and no patient has two overlapping active appointments; every
refusal carries a known code and is the refusal the pure domain rules give for the same clinic
state (so the store loads exactly what the rules need); the event log holds exactly one event
per accepted write, in order.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Coroutine
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.domain.models import (
    Appointment,
    AppointmentCancel,
    AppointmentCreate,
    AppointmentQuery,
    AppointmentReschedule,
)
from frontdesk_app.domain.scheduling import Booking, check_booking, check_can_change, overlaps
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.store.db import Store
from tests.fixtures.store import NOW, Clock, SmallClinic, build_small_clinic, local

T = TypeVar("T")
CODES = {"slot_unavailable", "provider_unavailable", "invalid_state", "validation_failed"}
# Monday (now is 09:00, so its morning is past), Tuesday, and Wednesday (Dr. Patel's block).
DAYS = [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 3), date(2026, 3, 4)]
IDS = SmallClinic()

# Weighted towards valid, colliding bookings, with the edges still drawn now and then.
starts = st.builds(
    local,
    st.sampled_from(DAYS),
    st.sampled_from([7, 8, 9, 9, 10, 10, 11, 11, 12, 13, 14, 14, 15, 16, 17]),
    st.sampled_from([0, 0, 15, 30, 30, 45, 29, 59]),
)
durations = st.sampled_from([15, 30, 30, 45, 60, 90, 5, 4, 481])
providers = st.sampled_from([IDS.patel, IDS.patel, IDS.nguyen])
patients = st.sampled_from([IDS.alice, IDS.bob, IDS.carol])


class Scheduling(RuleBasedStateMachine):
    template: Path

    appointments = Bundle("appointments")

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="fd-stateful-"))
        path = self.dir / "store.sqlite"
        shutil.copyfile(self.template, path)
        self.store = Store.open(path)
        build_small_clinic(self.store)
        self.clock = Clock(NOW)
        self.backend = LocalBackend(self.store, clock=self.clock)
        self.loop = asyncio.new_event_loop()
        self.known: dict[str, Appointment] = {}
        self.expected_events: list[str] = []
        self.providers = {p.id: p for p in self.run(self.backend.list_providers())}

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def teardown(self) -> None:
        self.run(self.backend.aclose())
        self.loop.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- the oracle: the pure rules over everything this machine knows -----------------------

    def expected_refusal(
        self, booking: Booking, kind: str | None, ignore: str | None
    ) -> str | None:
        others = list(self.known.values())
        try:
            check_booking(
                booking,
                appointment_type=kind,
                provider=self.providers[booking.provider_id],
                provider_appointments=[a for a in others if a.provider_id == booking.provider_id],
                patient_appointments=[a for a in others if a.patient_id == booking.patient_id],
                now=self.clock.now,
                ignore_id=ignore,
            )
        except FrontDeskError as refusal:
            return refusal.code
        return None

    def attempt(self, write: Coroutine[Any, Any, T], expected: str | None) -> T | None:
        try:
            result = self.run(write)
        except FrontDeskError as refusal:
            assert refusal.code in CODES, refusal.code
            assert refusal.message
            assert refusal.code == expected, (refusal.code, expected, refusal.message)
            return None
        assert expected is None, f"accepted although the rules say {expected}"
        return result

    def refresh(self, appointment_id: str) -> Appointment:
        fresh = self.run(self.backend.get_appointment(appointment_id))
        self.known[appointment_id] = fresh
        return fresh

    # --- rules ---------------------------------------------------------------------------------

    @rule(
        target=appointments,
        provider=providers,
        patient=patients,
        start=starts,
        minutes=durations,
        kind=st.sampled_from(["consultation", "follow-up", "telehealth", "follow-up", "massage"]),
    )
    def create(self, provider: str, patient: str, start: datetime, minutes: int, kind: str) -> Any:
        expected = self.expected_refusal(Booking(provider, patient, start, minutes), kind, None)
        request = AppointmentCreate(
            patient_id=patient,
            provider_id=provider,
            start_time=start,
            duration_minutes=minutes,
            type=kind,
        )
        created = self.attempt(self.backend.create_appointment(request), expected)
        if created is None:
            return multiple()
        assert created.end_time == start + timedelta(minutes=minutes)
        self.known[created.id] = created
        self.expected_events.append("appointment.created")
        return created.id

    @rule(appointment=appointments, start=starts, minutes=st.none() | durations)
    def reschedule(self, appointment: str, start: datetime, minutes: int | None) -> None:
        current = self.known[appointment]
        try:
            check_can_change(current, "rescheduled")
        except FrontDeskError as refusal:
            expected: str | None = refusal.code
        else:
            length = current.duration_minutes if minutes is None else minutes
            booking = Booking(current.provider_id, current.patient_id, start, length)
            expected = self.expected_refusal(booking, None, ignore=appointment)
        request = AppointmentReschedule(new_start_time=start, new_duration_minutes=minutes)
        moved = self.attempt(self.backend.reschedule_appointment(appointment, request), expected)
        if moved is not None:
            assert moved.previous_time == current.start_time
            assert self.refresh(appointment).start_time == start
            self.expected_events.append("appointment.rescheduled")

    @rule(appointment=appointments, notify=st.booleans())
    def cancel(self, appointment: str, notify: bool) -> None:
        current = self.known[appointment]
        expected = "invalid_state" if current.status == "cancelled" else None
        request = AppointmentCancel(reason_code="patient_request", notify=notify)
        result = self.attempt(self.backend.cancel_appointment(appointment, request), expected)
        if result is not None:
            assert result.refund_eligible == (
                current.start_time - self.clock.now >= timedelta(hours=24)
            )
            assert self.refresh(appointment).status == "cancelled"
            self.expected_events.append("appointment.cancelled")

    @rule(appointment=consumes(appointments))
    def forget(self, appointment: str) -> None:
        """Stop touching one appointment (it stays in the store and in every check)."""

    @rule(minutes=st.integers(min_value=1, max_value=180))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)

    # --- invariants ----------------------------------------------------------------------------

    @invariant()
    def nobody_is_double_booked(self) -> None:
        page = self.run(self.backend.list_appointments(AppointmentQuery(limit=1000)))
        assert page.next_cursor is None
        active = [a for a in page.data if a.active]
        for i, one in enumerate(active):
            for other in active[i + 1 :]:
                if overlaps(one.start_time, one.end_time, other.start_time, other.end_time):
                    assert one.provider_id != other.provider_id, (one, other)
                    assert one.patient_id != other.patient_id, (one, other)
        assert {a.id for a in page.data} == set(self.known)

    @invariant()
    def one_event_per_accepted_write(self) -> None:
        events = self.run(self.backend.list_events(limit=1000)).data
        assert [e.type for e in events] == self.expected_events
        assert [e.seq for e in events] == sorted({e.seq for e in events})


def test_random_schedules_keep_every_rule(migrated_template: Path) -> None:
    Scheduling.template = migrated_template
    run_state_machine_as_test(
        Scheduling,
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            database=None,
            # The explain phase traces every line (SQLAlchemy included): minutes on a failure.
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
        ),
    )


@pytest.fixture(autouse=True)
def _no_leftover_machine_state() -> Any:
    yield
    Scheduling.template = Path()
