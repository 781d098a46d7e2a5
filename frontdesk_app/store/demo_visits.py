"""The demo clinic's day so far on the flow board: who came and left, who is being seen, who is
waiting, and one who has not turned up — placed around the moment the clinic is built."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert, select

from frontdesk_app.domain.timeutil import local_day_bounds
from frontdesk_app.domain.visits import VisitState, VisitStep
from frontdesk_app.store.tables import AppointmentRow, VisitRow

DESK = "Front desk"
ROOMS = ("1", "2", "3", "4", "5", "6")


def add_visits(
    connection: Connection, rng: random.Random, *, now: datetime, zone: ZoneInfo
) -> None:
    """Visits for today's appointments that have started or start within twenty minutes."""
    start, end = local_day_bounds(now.astimezone(zone).date(), zone)
    table = AppointmentRow.__table__
    rows = connection.execute(
        select(table.c.id, table.c.start_time, table.c.end_time)
        .where(table.c.start_time >= start, table.c.start_time < end)
        .where(table.c.status != "cancelled")
        .order_by(table.c.start_time, table.c.id)
    ).all()
    visits: list[dict[str, Any]] = []
    for appointment_id, begins, ends in rows:
        steps = _steps(rng, begins, ends, now)
        if steps:
            state, at = steps[-1]
            room = rng.choice(ROOMS) if state in ("in_room", "with_provider") else None
            history = [VisitStep(state=s, at=t, by=DESK).model_dump(mode="json") for s, t in steps]
            visits.append(
                {
                    "appointment_id": appointment_id,
                    "state": state,
                    "room": room,
                    "updated_at": at,
                    "history": history,
                }
            )
    if visits:
        connection.execute(insert(VisitRow), visits)


def _steps(
    rng: random.Random, begins: datetime, ends: datetime, now: datetime
) -> list[tuple[VisitState, datetime]]:
    if now < begins - timedelta(minutes=20):
        return []  # later today
    if rng.random() < 0.06 and now >= begins + timedelta(minutes=20):
        return [("no_show", begins + timedelta(minutes=20))]
    early = timedelta(minutes=rng.randint(2, 18))
    planned: list[tuple[VisitState, datetime]] = [
        ("arrived", begins - early),
        ("in_room", begins + timedelta(minutes=rng.randint(-3, 12))),
        ("with_provider", begins + timedelta(minutes=rng.randint(13, 18))),
        ("checked_out", ends + timedelta(minutes=rng.randint(0, 8))),
    ]
    return [(state, at) for state, at in planned if at <= now]
