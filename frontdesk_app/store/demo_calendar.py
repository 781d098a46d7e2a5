"""The demo clinic's calendar: plausible days of appointments that keep every rule.

Each provider's day is filled slot by slot inside the working windows (never in a block), and
each appointment goes to a patient who is free then, so the result passes the domain's own
checks as of the moment each appointment was booked.
"""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from frontdesk_app.domain.models import (
    APPOINTMENT_TYPES,
    CANCEL_REASON_CODES,
    BlockedTime,
    Provider,
)
from frontdesk_app.domain.scheduling import overlaps, working_windows
from frontdesk_app.store.tables import AppointmentRow, UtcTimestamp, timestamp_text

DEMO_DAYS_EACH_SIDE = 7
FILL_RATE = 0.6
STEP = timedelta(minutes=15)
# (type, weight, possible lengths in minutes)
_KINDS: tuple[tuple[str, int, tuple[int, ...]], ...] = (
    ("consultation", 30, (30, 30, 45)),
    ("follow-up", 35, (15, 20, 30)),
    ("new-patient", 10, (45, 60)),
    ("procedure", 10, (30, 45, 60, 90)),
    ("telehealth", 15, (15, 20, 30)),
)
_NOTES = (
    "Bring previous lab results.",
    "Interpreter requested.",
    "Fasting since midnight.",
    "Wheelchair access needed.",
    "Referred by school nurse.",
)
_RESCHEDULE_REASONS = ("patient request", "provider running late", "conflict at work")
_KIND_NAMES = [kind for kind, _, _ in _KINDS]
_KIND_CUM_WEIGHTS = list(itertools.accumulate(weight for _, weight, _ in _KINDS))
_KIND_LENGTHS = {kind: lengths for kind, _, lengths in _KINDS}
assert set(_KIND_NAMES) <= set(APPOINTMENT_TYPES)


def rid(rng: random.Random, prefix: str) -> str:
    """A reproducible id shaped like `ids.new_id`'s (12 lower-case letters and digits)."""
    return f"{prefix}_{rng.getrandbits(48):012x}"


def _days_outward(today: date) -> Iterator[date]:
    """today, tomorrow, yesterday, the day after tomorrow, … (about ±27 years at most)."""
    yield today
    for offset in range(1, 10_000):
        yield today + timedelta(days=offset)
        yield today - timedelta(days=offset)


def add_calendar(
    connection: Connection,
    rng: random.Random,
    *,
    providers: list[Provider],
    patient_ids: list[str],
    today: date,
    now: datetime,
    wanted: int | None,
) -> None:
    """Two weeks around `today`, or spread outwards from it until `wanted` exist."""
    rows: list[dict[str, Any]] = []
    for day in _days_outward(today):
        if wanted is None and abs((day - today).days) > DEMO_DAYS_EACH_SIDE:
            break
        if wanted is not None and len(rows) >= wanted:
            break
        rows.extend(_day(rng, providers, patient_ids, day, now=now))
    if wanted is not None:
        del rows[wanted:]
    _bulk_insert_appointments(connection, rows)


# An appointment already in the store, around which a day is filled: who, with whom, when.
Taken = tuple[str, str, datetime, datetime]  # provider_id, patient_id, start, end


def add_days(
    connection: Connection,
    rng: random.Random,
    *,
    providers: list[Provider],
    patient_ids: list[str],
    days: list[date],
    now: datetime,
    taken: Sequence[Taken],
) -> int:
    """Fill `days` as the demo's own days are filled, around the appointments `taken` on them
    (neither their providers nor their patients are booked twice); how many were added."""
    rows: list[dict[str, Any]] = []
    for day in days:
        rows.extend(_day(rng, providers, patient_ids, day, now=now, taken=taken))
    _bulk_insert_appointments(connection, rows)
    return len(rows)


def _day(
    rng: random.Random,
    providers: list[Provider],
    patient_ids: list[str],
    day: date,
    *,
    now: datetime,
    taken: Sequence[Taken] = (),
) -> list[dict[str, Any]]:
    busy_patients: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    booked: dict[str, list[BlockedTime]] = defaultdict(list)
    for provider_id, patient_id, start, end in taken:
        busy_patients[patient_id].append((start, end))
        booked[provider_id].append(BlockedTime(start_time=start, end_time=end))
    rows: list[dict[str, Any]] = []
    for listed in providers:
        provider = listed
        if booked[listed.id]:  # their booked times count as blocked: never booked twice
            provider = listed.model_copy(update={"blocked": [*listed.blocked, *booked[listed.id]]})
        for span in _provider_day(rng, provider, day):
            patient = _free_patient(rng, patient_ids, busy_patients, span)
            if patient is not None:
                busy_patients[patient].append(span[1:])
                rows.append(_appointment(rng, provider.id, patient, span, now=now))
    return rows


def _bulk_insert_appointments(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Straight to the driver with the times already in their stored form.

    SQLAlchemy's per-value type processing is about half the cost of 100,000 rows; the text
    comes from the column type's own `timestamp_text`, so the stored form is the same.
    """
    if not rows:
        return
    table = AppointmentRow.__table__
    columns = [column.name for column in table.columns]
    times = {column.name for column in table.columns if isinstance(column.type, UtcTimestamp)}
    sql = (
        f"INSERT INTO {AppointmentRow.__tablename__} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    values = [
        tuple(
            timestamp_text(row[name]) if name in times and row[name] is not None else row.get(name)
            for name in columns
        )
        for row in rows
    ]
    connection.exec_driver_sql(sql, values)


def _provider_day(
    rng: random.Random, provider: Provider, day: date
) -> Iterator[tuple[str, datetime, datetime]]:
    """(type, start, end) of a plausible, gap-free-of-rules day for one provider."""
    for w_start, w_end in working_windows(provider, day):
        start = w_start
        while start + STEP <= w_end:
            kind = rng.choices(_KIND_NAMES, cum_weights=_KIND_CUM_WEIGHTS)[0]
            end = start + timedelta(minutes=rng.choice(_KIND_LENGTHS[kind]))
            if (
                rng.random() >= FILL_RATE
                or end > w_end
                or any(overlaps(start, end, b.start_time, b.end_time) for b in provider.blocked)
            ):
                start += STEP
                continue
            yield kind, start, end
            # The next one starts at the next quarter hour, as a front desk books.
            start += -((start - end) // STEP) * STEP


def _free_patient(
    rng: random.Random,
    patient_ids: list[str],
    busy: dict[str, list[tuple[datetime, datetime]]],
    span: tuple[str, datetime, datetime],
) -> str | None:
    _, start, end = span
    for _ in range(8):
        candidate = rng.choice(patient_ids)
        if not any(overlaps(start, end, s, e) for s, e in busy[candidate]):
            return candidate
    return None


def _appointment(
    rng: random.Random,
    provider_id: str,
    patient_id: str,
    span: tuple[str, datetime, datetime],
    *,
    now: datetime,
) -> dict[str, Any]:
    kind, start, end = span
    created = min(start, now) - timedelta(days=rng.randrange(1, 22), minutes=rng.randrange(600))
    roll = rng.random()
    row: dict[str, Any] = {
        "id": rid(rng, "apt"),
        "status": "confirmed",
        "patient_id": patient_id,
        "provider_id": provider_id,
        "start_time": start,
        "end_time": end,
        "duration_minutes": int((end - start).total_seconds() // 60),
        "type": kind,
        "notes": rng.choice(_NOTES) if rng.random() < 0.12 else None,
        "created_at": created,
        "updated_at": created,
        "previous_time": None,
        "reschedule_reason": None,
        "reason_code": None,
        "cancelled_at": None,
    }
    if roll < 0.07:
        cancelled = created + (min(start, now) - created) * rng.random()
        row.update(
            status="cancelled",
            reason_code=rng.choice(CANCEL_REASON_CODES),
            cancelled_at=cancelled,
            updated_at=cancelled,
        )
    elif roll < 0.13:
        row.update(
            status="rescheduled",
            previous_time=start - timedelta(days=rng.randrange(1, 5)),
            reschedule_reason=rng.choice(_RESCHEDULE_REASONS),
        )
    return row
