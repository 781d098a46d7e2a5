"""Every scheduling rule at its edges, through `LocalBackend` and its store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from frontdesk_app.domain import errors
from frontdesk_app.domain.models import (
    AppointmentCancel,
    AppointmentCreate,
    AppointmentQuery,
    AppointmentReschedule,
)
from frontdesk_app.local.backend import LocalBackend
from tests.fixtures.store import TUESDAY, Clock, SmallClinic, local

pytestmark = pytest.mark.asyncio


def create(
    clinic: SmallClinic,
    start: datetime,
    minutes: int = 30,
    *,
    provider: str | None = None,
    patient: str | None = None,
    kind: str = "consultation",
) -> AppointmentCreate:
    return AppointmentCreate(
        patient_id=patient or clinic.alice,
        provider_id=provider or clinic.patel,
        start_time=start,
        duration_minutes=minutes,
        type=kind,
    )


async def test_back_to_back_is_allowed(backend: LocalBackend, clinic: SmallClinic) -> None:
    first = await backend.create_appointment(create(clinic, local(TUESDAY, 10)))
    second = await backend.create_appointment(
        create(clinic, local(TUESDAY, 10, 30), patient=clinic.bob)
    )
    before = await backend.create_appointment(
        create(clinic, local(TUESDAY, 9, 30), patient=clinic.carol)
    )
    assert first.end_time == second.start_time
    assert before.end_time == first.start_time


async def test_one_minute_of_overlap_is_refused(backend: LocalBackend, clinic: SmallClinic) -> None:
    await backend.create_appointment(create(clinic, local(TUESDAY, 10)))
    with pytest.raises(errors.SlotUnavailable) as late:
        await backend.create_appointment(create(clinic, local(TUESDAY, 10, 29), patient=clinic.bob))
    with pytest.raises(errors.SlotUnavailable):
        await backend.create_appointment(create(clinic, local(TUESDAY, 9, 31), patient=clinic.bob))
    assert late.value.code == "slot_unavailable"
    assert "Dr. Patel already has a consultation 10:00–10:30" in late.value.message


async def test_same_patient_with_two_providers_at_once_is_refused(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    await backend.create_appointment(create(clinic, local(TUESDAY, 10)))
    with pytest.raises(errors.SlotUnavailable) as refused:
        await backend.create_appointment(
            create(clinic, local(TUESDAY, 10, 15), provider=clinic.nguyen)
        )
    assert "The patient already has a consultation with Dr. Patel" in refused.value.message
    # The same patient right after, with the other provider, is fine.
    await backend.create_appointment(create(clinic, local(TUESDAY, 10, 30), provider=clinic.nguyen))


async def test_a_cancelled_appointment_frees_its_slot(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    first = await backend.create_appointment(create(clinic, local(TUESDAY, 10)))
    await backend.cancel_appointment(first.id, AppointmentCancel(reason_code="patient_request"))
    again = await backend.create_appointment(create(clinic, local(TUESDAY, 10), patient=clinic.bob))
    assert again.start_time == first.start_time


async def test_start_in_the_past_is_refused(
    backend: LocalBackend, clinic: SmallClinic, clock: Clock
) -> None:
    clock.now = local(TUESDAY, 10)
    with pytest.raises(errors.ValidationFailed) as refused:
        await backend.create_appointment(create(clinic, local(TUESDAY, 9, 59)))
    assert refused.value.errors[0].field == "start_time"
    # Exactly now is not the past.
    await backend.create_appointment(create(clinic, local(TUESDAY, 10)))


async def test_moving_into_the_past_is_refused(
    backend: LocalBackend, clinic: SmallClinic, clock: Clock
) -> None:
    booked = await backend.create_appointment(create(clinic, local(TUESDAY, 14)))
    clock.now = local(TUESDAY, 11)
    with pytest.raises(errors.ValidationFailed):
        await backend.reschedule_appointment(
            booked.id, AppointmentReschedule(new_start_time=local(TUESDAY, 10))
        )


@pytest.mark.parametrize(
    ("hour", "minute", "minutes"),
    [
        (7, 45, 30),  # starts before opening
        (7, 59, 5),  # ends one minute before opening... still before it
        (11, 45, 30),  # runs into lunch
        (12, 0, 30),  # lunch
        (16, 45, 30),  # runs past closing
        (17, 0, 15),  # after closing
    ],
)
async def test_outside_working_hours_is_refused(
    backend: LocalBackend, clinic: SmallClinic, hour: int, minute: int, minutes: int
) -> None:
    with pytest.raises(errors.ProviderUnavailable) as refused:
        await backend.create_appointment(create(clinic, local(TUESDAY, hour, minute), minutes))
    assert refused.value.code == "provider_unavailable"


async def test_edges_of_working_hours_are_allowed(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    await backend.create_appointment(create(clinic, local(TUESDAY, 8), 30))
    await backend.create_appointment(create(clinic, local(TUESDAY, 11, 30), 30))
    await backend.create_appointment(create(clinic, local(TUESDAY, 13), 30))
    await backend.create_appointment(create(clinic, local(TUESDAY, 16, 30), 30))


async def test_weekend_is_refused(backend: LocalBackend, clinic: SmallClinic) -> None:
    with pytest.raises(errors.ProviderUnavailable):
        await backend.create_appointment(create(clinic, local(date(2026, 3, 7), 10)))


async def test_a_blocked_period_is_refused_and_its_edges_allowed(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    wednesday = date(2026, 3, 4)  # Dr. Patel's staff meeting 10:00–11:00
    with pytest.raises(errors.ProviderUnavailable) as refused:
        await backend.create_appointment(create(clinic, local(wednesday, 9, 45), 30))
    assert "staff meeting" in refused.value.message
    with pytest.raises(errors.ProviderUnavailable):
        await backend.create_appointment(create(clinic, local(wednesday, 10, 59), 5))
    await backend.create_appointment(create(clinic, local(wednesday, 9, 30), 30))
    await backend.create_appointment(create(clinic, local(wednesday, 11), 30))
    # The other provider is not blocked.
    await backend.create_appointment(
        create(clinic, local(wednesday, 10), 30, provider=clinic.nguyen, patient=clinic.bob)
    )


@pytest.mark.parametrize("minutes", [4, 481, 0, -30])
async def test_durations_outside_5_to_480_are_refused(
    backend: LocalBackend, clinic: SmallClinic, minutes: int
) -> None:
    with pytest.raises(errors.ValidationFailed) as refused:
        await backend.create_appointment(create(clinic, local(TUESDAY, 9), minutes))
    assert [e.field for e in refused.value.errors] == ["duration_minutes"]


@pytest.mark.parametrize("minutes", [5, 240])
async def test_durations_at_the_limits_are_allowed_when_they_fit(
    backend: LocalBackend, clinic: SmallClinic, minutes: int
) -> None:
    booked = await backend.create_appointment(create(clinic, local(TUESDAY, 8), minutes))
    assert booked.duration_minutes == minutes


async def test_480_minutes_is_a_valid_length_refused_only_by_the_hours(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    with pytest.raises(errors.ProviderUnavailable):
        await backend.create_appointment(create(clinic, local(TUESDAY, 8), 480))


async def test_unknown_type_is_refused(backend: LocalBackend, clinic: SmallClinic) -> None:
    with pytest.raises(errors.ValidationFailed) as refused:
        await backend.create_appointment(create(clinic, local(TUESDAY, 9), kind="massage"))
    assert [e.field for e in refused.value.errors] == ["type"]


async def test_unknown_provider_and_patient_are_not_found(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    with pytest.raises(errors.NotFound):
        await backend.create_appointment(create(clinic, local(TUESDAY, 9), provider="prov_nobody"))
    with pytest.raises(errors.NotFound):
        await backend.create_appointment(create(clinic, local(TUESDAY, 9), patient="pat_nobody"))
    with pytest.raises(errors.NotFound):
        await backend.cancel_appointment("apt_nothing", AppointmentCancel())


async def test_reschedule_or_cancel_of_a_cancelled_appointment_is_invalid_state(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    booked = await backend.create_appointment(create(clinic, local(TUESDAY, 10)))
    await backend.cancel_appointment(booked.id, AppointmentCancel())
    with pytest.raises(errors.InvalidState) as moved:
        await backend.reschedule_appointment(
            booked.id, AppointmentReschedule(new_start_time=local(TUESDAY, 14))
        )
    with pytest.raises(errors.InvalidState) as again:
        await backend.cancel_appointment(booked.id, AppointmentCancel())
    assert moved.value.code == again.value.code == "invalid_state"


async def test_reschedule_ignores_the_appointment_itself(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    booked = await backend.create_appointment(create(clinic, local(TUESDAY, 10)))
    moved = await backend.reschedule_appointment(
        booked.id, AppointmentReschedule(new_start_time=local(TUESDAY, 10, 15))
    )
    assert moved.previous_time == local(TUESDAY, 10)
    assert moved.new_end_time == local(TUESDAY, 10, 45)
    stored = await backend.get_appointment(booked.id)
    assert stored.status == "rescheduled"
    assert stored.previous_time == local(TUESDAY, 10)
    assert (stored.start_time, stored.end_time) == (local(TUESDAY, 10, 15), local(TUESDAY, 10, 45))


async def test_reschedule_into_another_booking_is_refused(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    await backend.create_appointment(create(clinic, local(TUESDAY, 10)))
    other = await backend.create_appointment(create(clinic, local(TUESDAY, 14), patient=clinic.bob))
    with pytest.raises(errors.SlotUnavailable):
        await backend.reschedule_appointment(
            other.id,
            AppointmentReschedule(new_start_time=local(TUESDAY, 9, 45), new_duration_minutes=20),
        )
    with pytest.raises(errors.ValidationFailed):
        await backend.reschedule_appointment(
            other.id,
            AppointmentReschedule(new_start_time=local(TUESDAY, 15), new_duration_minutes=0),
        )
    unchanged = await backend.get_appointment(other.id)
    assert unchanged.status == "confirmed"
    assert unchanged.start_time == local(TUESDAY, 14)


async def test_refund_eligible_from_exactly_24_hours_ahead(
    backend: LocalBackend, clinic: SmallClinic, clock: Clock
) -> None:
    early = await backend.create_appointment(create(clinic, local(TUESDAY, 14)))
    late = await backend.create_appointment(create(clinic, local(TUESDAY, 15), patient=clinic.bob))
    clock.now = local(TUESDAY, 14) - timedelta(hours=24)
    assert (await backend.cancel_appointment(early.id, AppointmentCancel())).refund_eligible
    clock.now = local(TUESDAY, 15) - timedelta(hours=24) + timedelta(seconds=1)
    assert not (await backend.cancel_appointment(late.id, AppointmentCancel())).refund_eligible


# --- DST: in 2026 New York springs forward on 8 March and falls back on 1 November -----------

SPRING_FORWARD = date(2026, 3, 8)  # 02:00 → 03:00; Dr. Patel works Sundays 00:30–04:00
FALL_BACK = date(2026, 11, 1)  # 02:00 → 01:00


async def test_spring_forward_day_hours_follow_the_wall_clock(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    # 00:30 EST is 05:30 UTC; 04:00 EDT is 08:00 UTC: a working window of 2.5 real hours.
    first = await backend.create_appointment(create(clinic, local(SPRING_FORWARD, 0, 30), 60))
    assert first.start_time == datetime(2026, 3, 8, 5, 30, tzinfo=UTC)
    # 01:30 EST + 30 min = 03:00 EDT: across the gap, and back to back with the last hour.
    across = await backend.create_appointment(
        create(clinic, datetime(2026, 3, 8, 6, 30, tzinfo=UTC), 30, patient=clinic.bob)
    )
    assert across.end_time == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    last = await backend.create_appointment(
        create(clinic, datetime(2026, 3, 8, 7, 0, tzinfo=UTC), 60, patient=clinic.carol)
    )
    assert last.end_time == local(SPRING_FORWARD, 4)
    with pytest.raises(errors.ProviderUnavailable):
        await backend.create_appointment(
            create(clinic, datetime(2026, 3, 8, 7, 30, tzinfo=UTC), 35, patient=clinic.bob)
        )
    slots = await backend.provider_availability(clinic.patel, SPRING_FORWARD, 30)
    assert slots.slots == []


async def test_fall_back_day_hours_follow_the_wall_clock(
    backend: LocalBackend, clinic: SmallClinic, clock: Clock
) -> None:
    clock.now = datetime(2026, 10, 30, tzinfo=UTC)
    # 00:30 EDT = 04:30 UTC; 04:00 EST = 09:00 UTC: 4.5 real hours.
    availability = await backend.provider_availability(clinic.patel, FALL_BACK, 60)
    starts = [s.start_time for s in availability.slots]
    assert starts[0] == datetime(2026, 11, 1, 4, 30, tzinfo=UTC)
    assert starts[-1] == datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    assert len(starts) == 15  # every quarter hour from 04:30 to 08:00 UTC
    # Both 01:30s exist: 05:30 UTC (EDT) and 06:30 UTC (EST); both can be booked.
    one = await backend.create_appointment(
        create(clinic, datetime(2026, 11, 1, 5, 30, tzinfo=UTC), 60)
    )
    two = await backend.create_appointment(
        create(clinic, datetime(2026, 11, 1, 6, 30, tzinfo=UTC), 60)
    )
    assert one.end_time == two.start_time
    with pytest.raises(errors.ProviderUnavailable):
        await backend.create_appointment(
            create(clinic, datetime(2026, 11, 1, 8, 30, tzinfo=UTC), 45, patient=clinic.bob)
        )


async def test_listing_finds_what_was_booked(backend: LocalBackend, clinic: SmallClinic) -> None:
    booked = await backend.create_appointment(create(clinic, local(TUESDAY, 10)))
    page = await backend.list_appointments(
        AppointmentQuery(provider_id=clinic.patel, start=local(TUESDAY, 0), end=local(TUESDAY, 23))
    )
    assert [a.id for a in page.data] == [booked.id]
