"""A demo clinic opened on a later day than it was built on: the days it lacks around today are
filled by the demo's own rules, around what is booked on them; today's check-ins so far are
added while nobody has checked anyone in; nothing a person made is touched."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from frontdesk_app.domain.timeutil import local_day_bounds
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.store.db import Store
from frontdesk_app.store.demo_catch_up import bring_up_to_date
from frontdesk_app.store.tables import AppointmentRow, VisitRow
from tests.fixtures.store import NOW
from tests.unit.store.test_demo_data import all_appointments, assert_no_double_booking

NY = ZoneInfo("America/New_York")
# Ten days after the demo was built (Monday 2 March 2026, 09:00): Thursday 12 March, 15:00.
LATER = datetime(2026, 3, 12, 19, 0, tzinfo=ZoneInfo("UTC"))


def _visits_on(store: Store, at: datetime) -> int:
    start, end = local_day_bounds(at.astimezone(NY).date(), NY)
    with store.read() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(VisitRow)
                .join(AppointmentRow, AppointmentRow.id == VisitRow.appointment_id)
                .where(AppointmentRow.start_time >= start, AppointmentRow.start_time < end)
            )
            or 0
        )


def test_the_days_around_a_later_day_are_filled_by_the_rules(demo_path: Path) -> None:
    with Store.open(demo_path) as store:
        before = all_appointments(store)
        series_before = {a.id: a for a in before if a.series_id is not None}
        added = bring_up_to_date(store, now=LATER)
        after = all_appointments(store)
        assert added > 100 and len(after) == len(before) + added
        today = LATER.astimezone(NY).date()
        built = {a.start_time.astimezone(NY).date() for a in after if a.series_id is None}
        weekdays = {
            today + timedelta(days=n)
            for n in range(-7, 8)
            if (today + timedelta(days=n)).weekday() < 5
        }
        assert weekdays <= built  # every working day around today has its appointments
        # Nobody booked twice: the series' dates on those days were filled around.
        assert_no_double_booking(after)
        assert {a.id: a for a in after if a.series_id is not None} == series_before
        assert {b.id for b in before} <= {a.id for a in after}  # nothing removed or replaced
        assert all(a.created_at <= a.start_time for a in after)
        # Today's check-ins so far: the day began before anyone opened the desk.
        assert _visits_on(store, LATER) > 3
        # Opened again the same day: nothing more.
        visits = _visits_on(store, LATER)
        assert bring_up_to_date(store, now=LATER + timedelta(hours=1)) == 0
        assert _visits_on(store, LATER) == visits


def test_a_day_somebody_checked_in_on_is_left_as_it_is(demo_path: Path) -> None:
    with Store.open(demo_path) as store:
        bring_up_to_date(store, now=LATER - timedelta(hours=10))  # 05:00: nobody has come yet
        assert _visits_on(store, LATER) == 0
    # The desk opens its demo clinic at 09:00 (as the sandbox and a standalone desk do): the
    # morning so far is replayed.
    backend = LocalBackend.open(demo_path, demo=True, clock=lambda: LATER - timedelta(hours=6))
    asyncio.run(backend.aclose())
    with Store.open(demo_path) as store:
        replayed = _visits_on(store, LATER)
        assert replayed > 0
        assert bring_up_to_date(store, now=LATER) == 0
        assert _visits_on(store, LATER) == replayed  # a day with check-ins is never replayed


def test_the_day_it_was_built_on_is_left_alone(demo_path: Path) -> None:
    with Store.open(demo_path) as store:
        before = all_appointments(store)
        visits = _visits_on(store, NOW)
        assert bring_up_to_date(store, now=NOW + timedelta(hours=3)) == 0
        assert len(all_appointments(store)) == len(before)
        assert _visits_on(store, NOW) == visits
