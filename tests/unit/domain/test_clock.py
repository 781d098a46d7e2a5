"""The product's clock: chosen instants run on or stand still; "today" is the clinic's."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from frontdesk_app.domain import clock
from frontdesk_app.domain.clock import OFFSET_VARIABLE, Clock, use_clock
from frontdesk_app.domain.timeutil import utc_now
from tests.fixtures.clock import INSTANTS

NY = ZoneInfo("America/New_York")


def test_a_frozen_clock_stands_still_and_is_read_everywhere() -> None:
    at = datetime(2026, 7, 4, 16, 0, 30, 250_000, tzinfo=UTC)
    with use_clock(Clock.frozen_at(at)):
        assert clock.now() == at
        assert clock.now() == at
        assert utc_now() == at.replace(microsecond=0)
        assert clock.now_timestamp() == at.timestamp()


def test_a_clock_started_at_an_instant_runs_on_from_there() -> None:
    at = datetime(2031, 1, 1, tzinfo=UTC)
    with use_clock(Clock.starting_at(at)):
        first = clock.now()
        second = clock.now()
    assert at <= first <= second < at + timedelta(minutes=5)


def test_the_previous_clock_comes_back() -> None:
    before = clock.current_clock()
    with use_clock(Clock.frozen_at(INSTANTS["saturday_night"])):
        assert clock.current_clock() is not before
    assert clock.current_clock() is before


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Clock.frozen_at(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="time zone"):
        Clock.starting_at(datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("name", "clinic_day"),
    [
        ("monday_morning", date(2026, 3, 2)),
        ("thursday_afternoon", date(2026, 12, 3)),
        ("saturday_night", date(2026, 6, 13)),
        ("spring_forward", date(2026, 3, 8)),
        ("fall_back", date(2026, 11, 1)),
        # 23:50 in New York is already 1 January in UTC: the clinic's day is still the 31st.
        ("new_years_eve", date(2026, 12, 31)),
    ],
)
def test_today_is_the_clinics_day_not_utcs(name: str, clinic_day: date) -> None:
    with use_clock(Clock.frozen_at(INSTANTS[name])):
        assert clock.today(NY) == clinic_day
    if name == "new_years_eve":
        assert INSTANTS[name].date() == date(2027, 1, 1)


@pytest.mark.instant("new_years_eve")
@pytest.mark.frozen
def test_a_test_chooses_its_instant_with_a_marker() -> None:
    assert clock.now() == INSTANTS["new_years_eve"]


def test_a_child_process_runs_at_the_same_instant() -> None:
    """Processes a test starts (a sandbox, a desk) inherit the offset through the environment."""
    assert OFFSET_VARIABLE in os.environ  # the run's clock put it there
    code = "from frontdesk_app.domain import clock; print(clock.now().isoformat())"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    child_now = datetime.fromisoformat(out.strip())
    assert abs(child_now - clock.now()) < timedelta(seconds=30)


def test_a_bad_offset_in_the_environment_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OFFSET_VARIABLE, "next tuesday")
    with pytest.raises(ValueError, match=OFFSET_VARIABLE):
        clock.clock_from_environment()
    monkeypatch.setenv(OFFSET_VARIABLE, "-86400.5")
    assert clock.clock_from_environment().offset == timedelta(seconds=-86400.5)
