"""The pure scheduling rules at their edges, without any store."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from frontdesk_app.domain import errors
from frontdesk_app.domain.models import Appointment, BlockedTime, Provider, TimeRange
from frontdesk_app.domain.scheduling import (
    Booking,
    check_booking,
    check_can_change,
    free_slots,
    overlaps,
    refund_eligible,
    working_windows,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday
NY = "America/New_York"
WEEKDAY_HOURS = {
    d: [TimeRange(start=time(8), end=time(12)), TimeRange(start=time(13), end=time(17))]
    for d in range(5)
}
SUNDAY_HOURS = {6: [TimeRange(start=time(0, 30), end=time(4, 0))]}


def provider(**overrides: object) -> Provider:
    fields: dict[str, object] = {
        "id": "prov_patel",
        "name": "Dr. Patel",
        "specialty": "Family medicine",
        "timezone": NY,
        "weekly_hours": WEEKDAY_HOURS,
    }
    fields.update(overrides)
    return Provider.model_validate(fields)


def appt(start: datetime, minutes: int = 30, **overrides: object) -> Appointment:
    fields: dict[str, object] = {
        "id": "apt_other",
        "status": "confirmed",
        "patient_id": "pat_b",
        "provider_id": "prov_patel",
        "start_time": start,
        "end_time": start + timedelta(minutes=minutes),
        "duration_minutes": minutes,
        "type": "follow-up",
        "created_at": NOW,
        "updated_at": NOW,
    }
    fields.update(overrides)
    return Appointment.model_validate(fields)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(NY)).astimezone(UTC)


TUESDAY = date(2026, 3, 3)


def book(
    start: datetime,
    minutes: int = 30,
    *,
    existing: list[Appointment] | None = None,
    patient_existing: list[Appointment] | None = None,
    kind: str = "consultation",
    prov: Provider | None = None,
) -> None:
    check_booking(
        Booking("prov_patel", "pat_a", start, minutes),
        appointment_type=kind,
        provider=prov or provider(),
        provider_appointments=existing or [],
        patient_appointments=patient_existing or [],
        now=NOW,
        provider_names={"prov_lee": "Dr. Lee"},
    )


def test_back_to_back_is_allowed() -> None:
    existing = [appt(local(TUESDAY, 10))]
    book(local(TUESDAY, 10, 30), existing=existing)
    book(local(TUESDAY, 9, 30), existing=existing)


def test_one_minute_overlap_is_refused_with_a_readable_reason() -> None:
    existing = [appt(local(TUESDAY, 10))]
    with pytest.raises(errors.SlotUnavailable) as info:
        book(local(TUESDAY, 10, 29), existing=existing)
    assert info.value.code == "slot_unavailable"
    assert info.value.message == "Dr. Patel already has a follow-up 10:00–10:30."


def test_same_patient_with_another_provider_is_refused() -> None:
    theirs = [appt(local(TUESDAY, 10), provider_id="prov_lee", patient_id="pat_a")]
    with pytest.raises(
        errors.SlotUnavailable, match=r"patient already has a follow-up with Dr\. Lee"
    ):
        book(local(TUESDAY, 10, 15), patient_existing=theirs)


def test_cancelled_appointment_frees_its_slot() -> None:
    book(local(TUESDAY, 10), existing=[appt(local(TUESDAY, 10), status="cancelled")])


def test_past_start_is_refused() -> None:
    with pytest.raises(errors.ValidationFailed) as info:
        book(NOW - timedelta(minutes=1))
    assert info.value.errors[0].field == "start_time"


@pytest.mark.parametrize(
    "start",
    [local(TUESDAY, 7, 45), local(TUESDAY, 11, 45), local(TUESDAY, 16, 45), local(TUESDAY, 17)],
)
def test_outside_working_hours_is_refused(start: datetime) -> None:
    with pytest.raises(errors.ProviderUnavailable):
        book(start)


def test_blocked_time_is_refused() -> None:
    block = BlockedTime(
        start_time=local(TUESDAY, 9), end_time=local(TUESDAY, 10), reason="training"
    )
    with pytest.raises(errors.ProviderUnavailable, match="training"):
        book(local(TUESDAY, 9, 45), prov=provider(blocked=[block]))
    book(local(TUESDAY, 10), prov=provider(blocked=[block]))


@pytest.mark.parametrize(("minutes", "ok"), [(4, False), (5, True), (240, True), (481, False)])
def test_duration_limits(minutes: int, ok: bool) -> None:
    long_day = provider(weekly_hours={1: [TimeRange(start=time(0), end=time(23, 59))]})
    if ok:
        book(local(TUESDAY, 13), minutes, prov=long_day)
    else:
        with pytest.raises(errors.ValidationFailed) as info:
            book(local(TUESDAY, 13), minutes, prov=long_day)
        assert [e.field for e in info.value.errors] == ["duration_minutes"]


def test_unknown_type_is_refused() -> None:
    with pytest.raises(errors.ValidationFailed) as info:
        book(local(TUESDAY, 10), kind="haircut")
    assert [e.field for e in info.value.errors] == ["type"]


def test_cancelled_cannot_change() -> None:
    with pytest.raises(errors.InvalidState):
        check_can_change(appt(local(TUESDAY, 10), status="cancelled"), "moved")
    check_can_change(appt(local(TUESDAY, 10), status="rescheduled"), "moved")


def test_refund_eligible_at_exactly_24_hours() -> None:
    start = local(TUESDAY, 10)
    assert refund_eligible(start, start - timedelta(hours=24))
    assert not refund_eligible(start, start - timedelta(hours=23, minutes=59))


def test_overlap_is_half_open() -> None:
    a = local(TUESDAY, 10)
    assert not overlaps(
        a, a + timedelta(minutes=30), a + timedelta(minutes=30), a + timedelta(hours=1)
    )
    assert overlaps(a, a + timedelta(minutes=30), a + timedelta(minutes=29), a + timedelta(hours=1))


# --- daylight saving time: hours follow the wall clock ---------------------------------------

SPRING_FORWARD = date(2026, 3, 8)  # a Sunday in New York: 02:00 becomes 03:00
FALL_BACK = date(2026, 11, 1)  # a Sunday: 02:00 becomes 01:00 again


def test_working_hours_follow_the_wall_clock_on_dst_days() -> None:
    weekday = provider()
    # Monday after spring-forward: 08:00 EDT is 12:00 UTC (it was 13:00 UTC the week before).
    assert working_windows(weekday, date(2026, 3, 9))[0][0] == datetime(2026, 3, 9, 12, tzinfo=UTC)
    assert working_windows(weekday, date(2026, 3, 2))[0][0] == datetime(2026, 3, 2, 13, tzinfo=UTC)


def test_spring_forward_day_has_an_hour_less_of_wall_hours() -> None:
    night = provider(weekly_hours=SUNDAY_HOURS)
    start, end = working_windows(night, SPRING_FORWARD)[0]
    # 00:30 EST → 04:00 EDT is 2.5 hours of real time, not 3.5.
    assert end - start == timedelta(hours=2, minutes=30)
    slots = free_slots(night, SPRING_FORWARD, 30, appointments=[], now=NOW)
    assert len(slots) == 9  # 00:30 … 03:30 local, in 15-minute steps of real time
    book(local(SPRING_FORWARD, 3, 0), prov=night)
    with pytest.raises(errors.ProviderUnavailable):
        book(local(SPRING_FORWARD, 3, 45), prov=night)


def test_fall_back_day_has_an_hour_more() -> None:
    night = provider(weekly_hours=SUNDAY_HOURS)
    start, end = working_windows(night, FALL_BACK)[0]
    assert end - start == timedelta(hours=4, minutes=30)
    book(local(FALL_BACK, 1, 30), prov=night)
    # The repeated 01:00–02:00 hour: an appointment in the second occurrence is inside hours.
    second_one_am = datetime(2026, 11, 1, 6, 15, tzinfo=UTC)  # 01:15 EST, after the change
    book(second_one_am, prov=night)


def test_free_slots_skip_taken_blocked_and_past_times() -> None:
    today = NOW.date()  # Monday; NOW is 07:00 New York time, before opening
    taken = [appt(local(today, 8), 60)]
    block = BlockedTime(start_time=local(today, 15), end_time=local(today, 17))
    slots = free_slots(provider(blocked=[block]), today, 30, appointments=taken, now=NOW)
    starts = [s.start_time for s in slots]
    assert local(today, 8, 45) not in starts and local(today, 9) in starts
    assert local(today, 11, 30) in starts and local(today, 11, 45) not in starts
    assert local(today, 14, 30) in starts and local(today, 14, 45) not in starts
    later = free_slots(provider(), today, 30, appointments=[], now=local(today, 10, 5))
    assert later[0].start_time == local(today, 10, 15)
