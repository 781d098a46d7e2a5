"""The demo clinic's waitlist: patients who asked for an earlier time over the past weeks, some
for a named provider, some for anyone, with the days and times that suit them."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert

from frontdesk_app.domain.ids import WAITLIST
from frontdesk_app.domain.waitlist import DAY_PARTS
from frontdesk_app.store.demo_calendar import rid
from frontdesk_app.store.tables import WaitlistRow

ENTRIES = 9
WISHES = (
    ("follow-up", 15, "Results to go over; any earlier time is welcome."),
    ("consultation", 30, "Pain getting worse; would come at short notice."),
    ("follow-up", 20, "Wants to be seen before travelling."),
    ("procedure", 45, "Needs a morning; has to arrange a lift."),
    ("consultation", 30, None),
    ("new-patient", 60, "Referred by the hospital; call the mobile."),
)


def add_waitlist(
    connection: Connection,
    rng: random.Random,
    *,
    provider_ids: list[str],
    patient_ids: list[str],
    now: datetime,
) -> None:
    """A handful of waiting entries, the oldest three weeks old."""
    rows: list[dict[str, Any]] = []
    for patient_id in rng.sample(patient_ids, min(ENTRIES, len(patient_ids))):
        kind, minutes, notes = rng.choice(WISHES)
        weekdays = sorted(rng.sample(range(5), rng.choice((0, 0, 2, 3))))
        parts = sorted(rng.sample(DAY_PARTS[:2], rng.choice((0, 1))))
        joined = now - timedelta(days=rng.randint(0, 21), hours=rng.randint(0, 8))
        rows.append(
            {
                "id": rid(rng, WAITLIST),
                "patient_id": patient_id,
                "provider_id": rng.choice(provider_ids) if rng.random() < 0.6 else None,
                "type": kind,
                "duration_minutes": minutes,
                "weekdays": weekdays,
                "day_parts": parts,
                "earliest": None,
                "latest": (now + timedelta(days=rng.randint(21, 60))).date()
                if rng.random() < 0.3
                else None,
                "notes": notes,
                "status": "waiting",
                "appointment_id": None,
                "created_at": joined,
                "updated_at": joined,
            }
        )
    if rows:
        connection.execute(insert(WaitlistRow), rows)
