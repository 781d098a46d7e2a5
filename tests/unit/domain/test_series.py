"""The pure rules of recurring appointments: which starts a series has, and which fit."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from frontdesk_app.domain import errors
from frontdesk_app.domain.models import Appointment, BlockedTime, Provider, TimeRange
from frontdesk_app.domain.scheduling import check_provider_works, free_slots, overlaps
from frontdesk_app.domain.series import (
    MAX_OCCURRENCES,
    OccurrenceFit,
    SeriesRule,
    check_occurrences,
    nearest_free,
    occurrences,
    validate_rule,
)

NY = ZoneInfo("America/New_York")
NOW = datetime(2027, 1, 1, 12, 0, tzinfo=UTC)  # a Friday, before every series below
MON = date(2027, 1, 4)
THU = date(2027, 1, 7)
WEEKDAY_HOURS = {
    d: [TimeRange(start=time(8), end=time(12)), TimeRange(start=time(13), end=time(17))]
    for d in range(5)
}


def provider(**overrides: object) -> Provider:
    fields: dict[str, object] = {
        "id": "prov_patel",
        "name": "Dr. Patel",
        "specialty": "Family medicine",
        "timezone": "America/New_York",
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
    return datetime.combine(day, time(hour, minute), tzinfo=NY).astimezone(UTC)


def rule(**fields: object) -> SeriesRule:
    values: dict[str, object] = {"every_weeks": 1, "weekdays": [0, 3], "count": 5}
    values.update(fields)
    return SeriesRule.model_validate(values)


def check(
    starts: list[datetime],
    *,
    minutes: int = 30,
    prov: Provider | None = None,
    taken: list[Appointment] | None = None,
    patient: list[Appointment] | None = None,
    now: datetime = NOW,
) -> list[OccurrenceFit]:
    return check_occurrences(
        starts,
        duration_minutes=minutes,
        appointment_type="consultation",
        provider=prov or provider(),
        patient_id="pat_a",
        provider_appointments=taken or [],
        patient_appointments=patient or [],
        now=now,
        provider_names={"prov_lee": "Dr. Lee"},
    )


def days(n: int) -> timedelta:
    return timedelta(days=n)


# --- occurrences -----------------------------------------------------------------------------


def test_weekly_on_monday_and_thursday_with_a_count() -> None:
    got = occurrences(local(MON, 9), rule(), NY)
    assert got == [local(MON + days(d), 9) for d in (0, 3, 7, 10, 14)]
    assert all(s.tzinfo is UTC and s.hour == 14 for s in got)  # 09:00 EST


def test_every_two_weeks_skips_the_weeks_between() -> None:
    got = occurrences(local(MON, 9), rule(every_weeks=2), NY)
    assert got == [local(MON + days(d), 9) for d in (0, 3, 14, 17, 28)]


def test_a_first_start_midweek_skips_the_earlier_weekdays_of_its_week() -> None:
    got = occurrences(local(THU, 10, 30), rule(count=3), NY)
    assert got == [local(THU, 10, 30), local(MON + days(7), 10, 30), local(THU + days(7), 10, 30)]


def test_weekdays_are_taken_in_date_order_whatever_order_they_were_given() -> None:
    got = occurrences(local(MON, 9), rule(weekdays=[4, 0], count=3), NY)
    assert got == [local(MON, 9), local(MON + days(4), 9), local(MON + days(7), 9)]


def test_until_is_inclusive() -> None:
    assert occurrences(local(MON, 9), rule(count=None, until=date(2027, 1, 14)), NY) == [
        local(MON + days(d), 9) for d in (0, 3, 7, 10)
    ]
    assert len(occurrences(local(MON, 9), rule(count=None, until=date(2027, 1, 13)), NY)) == 3


def test_until_on_the_first_day_is_just_the_first_appointment() -> None:
    assert occurrences(local(MON, 9), rule(count=None, until=MON), NY) == [local(MON, 9)]


def test_until_before_the_first_appointment_is_refused() -> None:
    with pytest.raises(errors.ValidationFailed) as caught:
        occurrences(local(MON, 9), rule(count=None, until=MON - days(1)), NY)
    assert caught.value.message == "The last date must be on or after the first appointment."
    assert [e.field for e in caught.value.errors] == ["until"]


def test_a_series_has_at_most_52_appointments() -> None:
    weekly = rule(weekdays=[0], count=None, until=MON + timedelta(weeks=51))
    got = occurrences(local(MON, 9), weekly, NY)
    assert len(got) == MAX_OCCURRENCES == 52
    assert got[-1].astimezone(NY).date() == date(2027, 12, 27)
    assert len(occurrences(local(MON, 9), rule(weekdays=[0], count=52), NY)) == 52
    with pytest.raises(errors.ValidationFailed) as caught:
        occurrences(local(MON, 9), rule(weekdays=[0], count=None, until=date(2028, 1, 3)), NY)
    assert caught.value.message == (
        "A series can have at most 52 appointments; choose an earlier last date."
    )
    assert caught.value.errors[0].field == "until"


def test_the_first_start_must_be_on_a_chosen_weekday() -> None:
    with pytest.raises(errors.ValidationFailed) as caught:
        occurrences(local(MON + days(1), 9), rule(), NY)
    assert caught.value.message == "The first appointment must fall on one of the chosen weekdays."
    assert caught.value.code == "validation_failed"


def test_the_wall_clock_time_is_kept_across_the_spring_forward_change() -> None:
    first = local(date(2027, 3, 8), 9)  # Monday; clocks go forward on Sunday 14 March
    got = occurrences(first, rule(weekdays=[0], count=3), NY)
    assert [s.isoformat() for s in got] == [
        "2027-03-08T14:00:00+00:00",
        "2027-03-15T13:00:00+00:00",
        "2027-03-22T13:00:00+00:00",
    ]
    assert {s.astimezone(NY).time() for s in got} == {time(9)}


def test_the_wall_clock_time_is_kept_across_the_fall_back_change() -> None:
    first = local(date(2027, 11, 1), 9)  # Monday, EDT; clocks go back on Sunday 7 November
    got = occurrences(first, rule(weekdays=[0], count=2), NY)
    assert [s.hour for s in got] == [13, 14]
    assert {s.astimezone(NY).time() for s in got} == {time(9)}


def test_a_wall_time_skipped_by_spring_forward_moves_past_the_gap() -> None:
    first = local(date(2027, 3, 7), 2, 30)  # Sunday 02:30 EST; 14 March 02:30 does not exist
    got = occurrences(first, rule(weekdays=[6], count=3), NY)
    assert [s.isoformat() for s in got] == [
        "2027-03-07T07:30:00+00:00",
        "2027-03-14T07:30:00+00:00",  # 03:30 EDT, as local_instant resolves it
        "2027-03-21T06:30:00+00:00",
    ]


def test_a_repeated_wall_time_takes_its_first_occurrence() -> None:
    first = local(date(2027, 10, 31), 1, 30)  # Sunday 01:30 EDT; 7 November has it twice
    got = occurrences(first, rule(weekdays=[6], count=2), NY)
    assert got[1].isoformat() == "2027-11-07T05:30:00+00:00"  # 01:30 EDT, the first


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"every_weeks": 0}, "every_weeks", "Repeat every 1 to 12 weeks."),
        ({"every_weeks": 13}, "every_weeks", "Repeat every 1 to 12 weeks."),
        ({"weekdays": []}, "weekdays", "Choose at least one weekday."),
        ({"weekdays": [7]}, "weekdays", "Weekdays run from 0 (Monday) to 6 (Sunday)."),
        ({"weekdays": [-1]}, "weekdays", "Weekdays run from 0 (Monday) to 6 (Sunday)."),
        ({"weekdays": [1, 1]}, "weekdays", "Choose each weekday only once."),
        ({"count": 0}, "count", "A series has 1 to 52 appointments."),
        ({"count": 53}, "count", "A series has 1 to 52 appointments."),
        ({"count": None}, "count", "Give either a number of appointments or a last date."),
        (
            {"until": date(2027, 2, 1)},
            "count",
            "Give either a number of appointments or a last date, not both.",
        ),
    ],
)
def test_a_rule_is_refused_with_a_readable_reason(
    fields: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(errors.ValidationFailed) as caught:
        validate_rule(rule(**fields))
    assert caught.value.message == message
    assert caught.value.errors == (errors.FieldError(field, message),)
    assert caught.value.status == 422


def test_every_problem_of_a_rule_is_named_at_once() -> None:
    with pytest.raises(errors.ValidationFailed) as caught:
        occurrences(local(MON, 9), rule(every_weeks=20, weekdays=[], count=None), NY)
    assert [e.field for e in caught.value.errors] == ["every_weeks", "weekdays", "count"]
    assert caught.value.message == (
        "Repeat every 1 to 12 weeks. Choose at least one weekday. "
        "Give either a number of appointments or a last date."
    )


@pytest.mark.parametrize("edge", [{"every_weeks": 12, "weekdays": list(range(7)), "count": 1}])
def test_the_edges_of_a_rule_are_allowed(edge: dict[str, object]) -> None:
    validate_rule(rule(**edge))


def test_a_rule_is_strict_about_types_and_fields_on_the_wire() -> None:
    with pytest.raises(ValidationError):
        SeriesRule.model_validate({"every_weeks": "2", "weekdays": [0], "count": 3})
    with pytest.raises(ValidationError):
        SeriesRule.model_validate({"every_weeks": 1, "weekdays": [0], "until": "2027-1-5"})
    with pytest.raises(ValidationError):
        SeriesRule.model_validate({"every_weeks": 1, "weekdays": [0], "count": 3, "daily": 1})
    parsed = SeriesRule.model_validate_json(
        '{"every_weeks": 2, "weekdays": [0, 3], "until": "2027-02-01"}'
    )
    assert parsed.until == date(2027, 2, 1)
    assert parsed.count is None


# --- check_occurrences -----------------------------------------------------------------------


def test_a_clear_series_is_all_bookable() -> None:
    starts = occurrences(local(MON, 9), rule(), NY)
    fits = check(starts)
    assert [f.start for f in fits] == starts
    assert [f.end - f.start for f in fits] == [timedelta(minutes=30)] * 5
    assert all(f.bookable and f.code is None and f.alternatives == () for f in fits)


def test_a_blocked_week_offers_starts_outside_the_block_in_working_hours() -> None:
    block = BlockedTime(
        start_time=local(MON + days(7), 0), end_time=local(MON + days(11), 0), reason="leave"
    )  # Monday 11 to Thursday 14 January, whole days
    prov = provider(blocked=[block])
    starts = occurrences(local(MON, 9), rule(count=4), NY)  # 4, 7, 11, 14 January
    fits = check(starts, prov=prov)
    assert [f.bookable for f in fits] == [True, True, False, False]
    monday, thursday = fits[2], fits[3]
    assert monday.code == thursday.code == "provider_unavailable"
    assert monday.problem == "Dr. Patel is unavailable 00:00–00:00 (leave)."
    # Monday: the rest of the block's days are taken, and the weekend is not worked, so the
    # nearest free starts are the end of Friday 8 January.
    assert monday.alternatives == (
        local(MON + days(4), 16, 30),
        local(MON + days(4), 16, 15),
        local(MON + days(4), 16, 0),
    )
    # Thursday: the day after the block.
    assert thursday.alternatives == (
        local(MON + days(11), 8, 0),
        local(MON + days(11), 8, 15),
        local(MON + days(11), 8, 30),
    )
    for offer in monday.alternatives + thursday.alternatives:
        end = offer + timedelta(minutes=30)
        assert not overlaps(offer, end, block.start_time, block.end_time)
        check_provider_works(prov, offer, end)  # inside working hours, clear of the block


def test_a_start_taken_by_another_appointment_gets_same_day_alternatives() -> None:
    taken = [appt(local(THU, 9))]
    starts = occurrences(local(MON, 9), rule(count=3), NY)
    fits = check(starts, taken=taken)
    assert [f.bookable for f in fits] == [True, False, True]
    assert fits[1].code == "slot_unavailable"
    assert fits[1].problem == "Dr. Patel already has a follow-up 09:00–09:30."
    # Half an hour either side (earlier first on a tie), then 08:15, which ends at 08:45.
    assert fits[1].alternatives == (local(THU, 8, 30), local(THU, 9, 30), local(THU, 8, 15))


def test_a_cancelled_appointment_does_not_stand_in_the_way() -> None:
    taken = [appt(local(THU, 9), status="cancelled")]
    assert all(f.bookable for f in check([local(THU, 9)], taken=taken))


def test_the_patients_own_appointment_elsewhere_is_named_with_its_provider() -> None:
    elsewhere = appt(local(MON, 9), 60, provider_id="prov_lee", patient_id="pat_a")
    fits = check([local(MON, 9), local(THU, 9)], patient=[elsewhere])
    assert fits[0].problem == "The patient already has a follow-up with Dr. Lee 09:00–10:00."
    assert fits[1].bookable
    # 08:45–09:45 are free for Dr. Patel but overlap the patient's hour; 08:30 ends as it begins.
    assert fits[0].alternatives == (local(MON, 8, 30), local(MON, 8, 15), local(MON, 8, 0))


def test_an_earlier_start_of_the_series_counts_as_the_patients() -> None:
    fits = check([local(MON, 9), local(MON, 9, 15)])
    assert fits[0].bookable
    assert fits[1].code == "slot_unavailable"
    assert fits[1].problem == "The patient already has a consultation with Dr. Patel 09:00–09:30."
    for offer in fits[1].alternatives:
        assert not overlaps(offer, offer + timedelta(minutes=30), local(MON, 9), local(MON, 9, 30))
    assert fits[1].alternatives == (local(MON, 9, 30), local(MON, 9, 45), local(MON, 8, 30))


def test_alternatives_never_collide_with_the_series_other_starts() -> None:
    # Monday to Friday at 09:00 for an hour; all of Monday 11 January is blocked.
    block = BlockedTime(start_time=local(MON + days(7), 0), end_time=local(MON + days(8), 0))
    starts = occurrences(local(MON + days(7), 9), rule(weekdays=[0, 1, 2, 3, 4]), NY)
    fits = check(starts, minutes=60, prov=provider(blocked=[block]))
    assert [f.bookable for f in fits] == [False, True, True, True, True]
    tuesday = MON + days(8)
    # Tuesday 08:15–09:45 would all overlap the series' own Tuesday 09:00–10:00.
    assert fits[0].alternatives == (local(tuesday, 8), local(tuesday, 10), local(tuesday, 10, 15))
    for offer in fits[0].alternatives:
        assert not any(
            overlaps(offer, offer + timedelta(hours=1), s, s + timedelta(hours=1))
            for s in starts[1:]
        )


def test_a_past_start_is_refused_and_alternatives_are_never_in_the_past() -> None:
    now = local(THU, 9, 10)
    fits = check([local(THU, 9), local(MON + days(7), 9)], now=now)
    assert fits[0].code == "validation_failed"
    assert fits[0].problem == "That time has already passed; choose a time from now on."
    assert fits[0].alternatives == (local(THU, 9, 15), local(THU, 9, 30), local(THU, 9, 45))
    assert all(offer >= now for offer in fits[0].alternatives)
    assert fits[1].bookable


def test_the_number_of_alternatives_is_the_callers() -> None:
    starts = [local(THU, 9)]
    taken = [appt(local(THU, 9))]
    one = check_occurrences(
        starts,
        duration_minutes=30,
        appointment_type="consultation",
        provider=provider(),
        patient_id="pat_a",
        provider_appointments=taken,
        patient_appointments=[],
        now=NOW,
        alternatives=1,
    )
    none = check_occurrences(
        starts,
        duration_minutes=30,
        appointment_type="consultation",
        provider=provider(),
        patient_id="pat_a",
        provider_appointments=taken,
        patient_appointments=[],
        now=NOW,
        alternatives=0,
    )
    assert one[0].alternatives == (local(THU, 8, 30),)
    assert none[0].alternatives == ()
    assert none[0].code == "slot_unavailable"


def test_a_bad_length_or_type_refuses_the_whole_series() -> None:
    with pytest.raises(errors.ValidationFailed) as caught:
        check([local(MON, 9)], minutes=500)
    assert caught.value.errors[0].field == "duration_minutes"
    with pytest.raises(errors.ValidationFailed):
        check_occurrences(
            [local(MON, 9)],
            duration_minutes=30,
            appointment_type="massage",
            provider=provider(),
            patient_id="pat_a",
            provider_appointments=[],
            patient_appointments=[],
            now=NOW,
        )


def test_nothing_free_within_three_days_offers_nothing() -> None:
    block = BlockedTime(start_time=local(MON, 0), end_time=local(MON + days(14), 0))
    fits = check([local(MON + days(7), 9)], prov=provider(blocked=[block]))
    assert fits[0].code == "provider_unavailable"
    assert fits[0].alternatives == ()


# --- nearest_free ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wanted", [local(MON, 9), local(THU, 16, 50), local(MON + days(5), 12), local(MON, 3)]
)
def test_nearest_free_is_the_nearest_of_every_free_start_within_three_days(
    wanted: datetime,
) -> None:
    taken = [appt(local(MON + days(d), h)) for d in range(-3, 10) for h in (8, 10, 14)]
    avoid = [(local(THU, 15), local(THU, 16))]
    prov = provider()
    home = wanted.astimezone(NY).date()
    every = [
        s.start_time
        for d in range(-3, 4)
        for s in free_slots(prov, home + days(d), 30, appointments=taken, now=NOW)
        if not overlaps(s.start_time, s.end_time, *avoid[0])
    ]
    expected = tuple(sorted(every, key=lambda s: (abs(s - wanted), s))[:5])
    got = nearest_free(
        wanted,
        duration_minutes=30,
        provider=prov,
        provider_appointments=taken,
        avoid=avoid,
        now=NOW,
        limit=5,
    )
    assert len(got) == 5
    assert got == expected


def test_nearest_free_looks_past_a_day_that_only_has_far_starts() -> None:
    long_days = {d: [TimeRange(start=time(6), end=time(23))] for d in range(7)}
    block = BlockedTime(start_time=local(MON, 8), end_time=local(MON, 23))
    prov = provider(weekly_hours=long_days, blocked=[block])
    got = nearest_free(
        local(MON, 22, 45),
        duration_minutes=30,
        provider=prov,
        provider_appointments=[],
        now=NOW,
        limit=3,
    )
    # Monday still has 06:00–07:30 free, but Tuesday morning is nearer to 22:45.
    tuesday = MON + days(1)
    assert got == (local(tuesday, 6), local(tuesday, 6, 15), local(tuesday, 6, 30))
