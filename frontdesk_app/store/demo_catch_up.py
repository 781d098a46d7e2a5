"""A demo clinic opened on a later day than it was built on: its days keep coming.

The demo clinic is built around the moment it is made: two weeks of appointments around that
day, and that day's check-ins so far. A desk that keeps its demo clinic (the bundled sandbox's,
a standalone desk's) would otherwise find, a week later, an empty calendar ahead; and on any
later day, a flow board where every patient of the day is late. When such a store opens,
`bring_up_to_date` fills the days around today that the demo never built (around what is
already booked on them, a series' dates say), and, while nobody has checked anyone in today,
today's check-ins so far. Everything stays synthetic and follows the same rules as the rest
of the demo; a day or a check-in somebody made is never touched.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk_app.domain.timeutil import local_day_bounds
from frontdesk_app.store.db import Store
from frontdesk_app.store.demo_calendar import DEMO_DAYS_EACH_SIDE, Taken, add_days
from frontdesk_app.store.demo_visits import add_visits
from frontdesk_app.store.repositories import directory
from frontdesk_app.store.tables import (
    AppointmentRow,
    ClinicRow,
    PatientRow,
    ProviderHoursRow,
    VisitRow,
)

SEED = 20_240_611  # with the day's ordinal: the same day is filled alike on every computer


def bring_up_to_date(store: Store, *, now: datetime) -> int:
    """Fill what the demo clinic lacks around `now` (see the module); how many appointments
    were added. A store without a clinic, or with nothing to add, is left as it is (the usual
    case, a few reads at each start: nothing is written)."""
    with store.read() as session:
        zone_name = session.scalar(select(ClinicRow.timezone))
        if zone_name is None:
            return 0
        zone = ZoneInfo(zone_name)
        today = now.astimezone(zone).date()
        first = today - timedelta(days=DEMO_DAYS_EACH_SIDE)
        days = [first + timedelta(days=n) for n in range(2 * DEMO_DAYS_EACH_SIDE + 1)]
        built = _built_days(session, days, zone)
        working = set(session.scalars(select(ProviderHoursRow.weekday).distinct()))
        missing = [day for day in days if day.weekday() in working and day not in built]
        replay = today in built and not _checked_in(session, today, zone)
        if not missing and not replay:
            return 0
        providers = directory.list_providers(session) if missing else []
        patient_ids = list(session.scalars(select(PatientRow.id).order_by(PatientRow.id)))
        taken = _taken(session, missing, zone)
    rng = random.Random(SEED + today.toordinal())
    added = 0
    with store.connect() as connection:
        if missing and providers and patient_ids:
            added = add_days(
                connection,
                rng,
                providers=providers,
                patient_ids=patient_ids,
                days=missing,
                now=now,
                taken=taken,
            )
        if replay or today in missing:
            add_visits(connection, rng, now=now, zone=zone)
    return added


def _built_days(session: Session, days: list[date], zone: ZoneInfo) -> set[date]:
    """Which of `days` the demo built: an appointment on it besides a series' dates."""
    start, _ = local_day_bounds(days[0], zone)
    _, end = local_day_bounds(days[-1], zone)
    starts = session.scalars(
        select(AppointmentRow.start_time)
        .where(AppointmentRow.start_time >= start, AppointmentRow.start_time < end)
        .where(AppointmentRow.series_id.is_(None))
    )
    return {begins.astimezone(zone).date() for begins in starts}


def _checked_in(session: Session, day: date, zone: ZoneInfo) -> bool:
    """Whether anybody was checked in for an appointment on `day`."""
    start, end = local_day_bounds(day, zone)
    found = session.scalar(
        select(VisitRow.appointment_id)
        .join(AppointmentRow, AppointmentRow.id == VisitRow.appointment_id)
        .where(AppointmentRow.start_time >= start, AppointmentRow.start_time < end)
        .limit(1)
    )
    return found is not None


def _taken(session: Session, days: list[date], zone: ZoneInfo) -> list[Taken]:
    """What is booked on `days` already (a series' dates): filled around, never over."""
    taken: list[Taken] = []
    for day in days:
        start, end = local_day_bounds(day, zone)
        rows = session.execute(
            select(
                AppointmentRow.provider_id,
                AppointmentRow.patient_id,
                AppointmentRow.start_time,
                AppointmentRow.end_time,
            )
            .where(AppointmentRow.start_time >= start, AppointmentRow.start_time < end)
            .where(AppointmentRow.status != "cancelled")
        )
        taken.extend((p, q, s, e) for p, q, s, e in rows)
    return taken
