"""The demo clinic's recurring series: weekly physiotherapy-style blocks and a fortnightly
follow-up, booked by the same rules as any series (the dates that do not fit are left out)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from frontdesk_app.domain.models import Provider
from frontdesk_app.domain.series import SeriesCreate, SeriesRule, occurrences
from frontdesk_app.domain.timeutil import local_instant
from frontdesk_app.store.db import Store
from frontdesk_app.store.demo_calendar import rid
from frontdesk_app.store.repositories import series as series_repo

# (weeks between, count, type, minutes, notes); each starts when the provider's day starts.
PLANS = (
    (1, 8, "follow-up", 30, "Physiotherapy block after knee surgery."),
    (1, 6, "follow-up", 20, "Weekly blood pressure check."),
    (2, 5, "consultation", 30, "Fortnightly review."),
)


def add_series(
    store: Store,
    rng: random.Random,
    *,
    providers: list[Provider],
    patient_ids: list[str],
    now: datetime,
) -> None:
    """A few series from the coming days on, their first dates at the start of the provider's
    day (a date already taken is left out, as a receptionist would)."""
    with store.write() as session:
        for (every, count, kind, minutes, notes), provider in zip(
            PLANS, rng.sample(providers, len(PLANS)), strict=False
        ):
            zone = ZoneInfo(provider.timezone)
            days = sorted(provider.weekly_hours)
            if not days:
                continue
            weekday = rng.choice(days)
            wall = provider.weekly_hours[weekday][0].start
            today = now.astimezone(zone).date()
            first_day = today + timedelta(days=(weekday - today.weekday()) % 7 or 7)
            rule = SeriesRule(every_weeks=every, weekdays=[weekday], count=count)
            starts = occurrences(local_instant(first_day, wall, zone), rule, zone)
            patient_id = rng.choice(patient_ids)
            fits, _zone = series_repo.check_starts(
                session,
                patient_id=patient_id,
                provider_id=provider.id,
                starts=starts,
                duration_minutes=minutes,
                appointment_type=kind,
                now=now,
            )
            free = [f.start for f in fits if f.bookable]
            if len(free) < 2:
                continue
            request = SeriesCreate(
                patient_id=patient_id,
                provider_id=provider.id,
                duration_minutes=minutes,
                type=kind,
                notes=notes,
                rule=rule,
                starts=free,
            )
            series_id = rid(rng, "ser")
            ids = [rid(rng, "apt") for _ in free]
            series_repo.book(session, series_id, request, ids=ids, now=now)
