"""The synthetic demo clinic: providers, patients, payers, prescriptions, agents, calls, a calendar.

Everything is drawn from one seeded `random.Random`, so a seed, a day and a clock give the same
clinic every time. Every person is made up (see `store.synthetic`). Appointments pass the
domain's own rules as of the moment each was booked; bulk Core inserts keep 100,000 of them
to a few seconds.
"""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, insert, select

from frontdesk_app.domain.models import (
    APPOINTMENT_TYPES,
    CANCEL_REASON_CODES,
    BlockedTime,
    Provider,
    TimeRange,
)
from frontdesk_app.domain.scheduling import overlaps, working_windows
from frontdesk_app.domain.timeutil import local_instant, utc_now
from frontdesk_app.store.call_scripts import SCENARIOS, generate_call
from frontdesk_app.store.db import Store
from frontdesk_app.store.demo_people import AGENTS, PAYERS, ProviderSpec, provider_specs
from frontdesk_app.store.repositories import calls as calls_repo
from frontdesk_app.store.repositories import directory
from frontdesk_app.store.synthetic import (
    FIRST_NAMES,
    LAST_NAMES,
    MEDICATIONS,
    PHARMACIES,
)
from frontdesk_app.store.tables import (
    AgentRow,
    AppointmentRow,
    ClinicRow,
    PatientRow,
    PayerMemberRow,
    PayerRow,
    PayerServiceRow,
    PrescriptionRow,
    ProviderBlockRow,
    ProviderHoursRow,
    ProviderRow,
    UtcTimestamp,
    timestamp_text,
)

CLINIC_NAME = "Maplewood Family Health"
CLINIC_TIMEZONE = "America/New_York"
PATIENTS = 500
DEMO_DAYS_EACH_SIDE = 7
FILL_RATE = 0.6
INSURED_SHARE = 0.92
STEP = timedelta(minutes=15)
BULK_CACHE_KIB = 128 * 1024
DEFAULT_CACHE_KIB = 2000
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


def is_empty(store: Store) -> bool:
    """True for a store nobody has filled yet (no clinic settings)."""
    with store.read() as session:
        return session.scalar(select(ClinicRow.id)) is None


def _rid(rng: random.Random, prefix: str) -> str:
    """A reproducible id shaped like `ids.new_id`'s (12 lower-case letters and digits)."""
    return f"{prefix}_{rng.getrandbits(48):012x}"


def _insert(connection: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        target: Table = table.__table__
        connection.execute(insert(target), rows)


@dataclass(slots=True)
class _Clinic:
    """What later steps of the build need from earlier ones."""

    providers: list[Provider]
    patient_ids: list[str]
    zone: ZoneInfo


def build_demo_clinic(
    store: Store,
    *,
    appointments: int | None = None,
    seed: int = 7,
    today: date | None = None,
    now: datetime | None = None,
    providers: int | None = None,
) -> None:
    """Fill an empty store with the demo clinic.

    Without `appointments` the calendar covers the two weeks around `today` (clinic time);
    with a number, it spreads outwards from today until that many appointments exist.
    `providers` (at least 1) trims or extends the ten-provider cast with made-up colleagues
    working the cast's hours (the calendar benchmark wants twenty).
    """
    specs = provider_specs(providers, seed=seed)
    if not is_empty(store):
        raise ValueError("the store already holds a clinic")
    rng = random.Random(seed)
    zone = ZoneInfo(CLINIC_TIMEZONE)
    now = (now or utc_now()).astimezone(UTC)
    today = today or now.astimezone(zone).date()
    with store.connect() as connection:
        # A bigger page cache for this one bulk transaction keeps the three appointment
        # indexes in memory instead of spilling half-built pages to the WAL.
        connection.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
        _insert(
            connection,
            ClinicRow,
            [{"id": 1, "name": CLINIC_NAME, "timezone": CLINIC_TIMEZONE, "created_at": now}],
        )
        staff = _providers(connection, rng, specs, today, zone)
        _payers(connection)
        patient_ids = _patients(connection, rng, today)
        clinic = _Clinic(staff, patient_ids, zone)
        _prescriptions(connection, rng, clinic, now)
        _agents(connection)
        _appointments(connection, rng, clinic, today=today, now=now, wanted=appointments)
        connection.exec_driver_sql(f"PRAGMA cache_size=-{DEFAULT_CACHE_KIB}")
    _calls(store, rng, now=now)


def _providers(
    connection: Connection,
    rng: random.Random,
    specs: list[ProviderSpec],
    today: date,
    zone: ZoneInfo,
) -> list[Provider]:
    providers: list[Provider] = []
    hours_rows: list[dict[str, Any]] = []
    block_rows: list[dict[str, Any]] = []
    for spec in specs:
        pid = _rid(rng, "prov")
        weekly = {day: [TimeRange(start=s, end=e) for s, e in spec.hours] for day in spec.days}
        for day, ranges in weekly.items():
            hours_rows.extend(
                {"provider_id": pid, "weekday": day, "start": r.start, "end": r.end} for r in ranges
            )
        block_rows.extend(_blocks(pid, spec, today, zone))
        providers.append(
            Provider(
                id=pid,
                name=spec.name,
                specialty=spec.specialty,
                timezone=CLINIC_TIMEZONE,
                weekly_hours=weekly,
                blocked=[],
            )
        )
    _insert(
        connection,
        ProviderRow,
        [
            {"id": p.id, "name": p.name, "specialty": p.specialty, "timezone": p.timezone}
            for p in providers
        ],
    )
    _insert(connection, ProviderHoursRow, hours_rows)
    _insert(connection, ProviderBlockRow, block_rows)
    blocks_by_provider: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in block_rows:
        blocks_by_provider[row["provider_id"]].append(row)
    return [
        p.model_copy(
            update={
                "blocked": [
                    BlockedTime(start_time=b["start_time"], end_time=b["end_time"])
                    for b in blocks_by_provider[p.id]
                ]
            }
        )
        for p in providers
    ]


def _blocks(pid: str, spec: ProviderSpec, today: date, zone: ZoneInfo) -> list[dict[str, Any]]:
    """The spec's blocked periods, placed relative to the Monday of this week."""
    monday = today - timedelta(days=today.weekday())
    return [
        {
            "provider_id": pid,
            "start_time": local_instant(monday + timedelta(days=first), start, zone),
            "end_time": local_instant(monday + timedelta(days=last), end, zone),
            "reason": reason,
        }
        for first, last, start, end, reason in spec.blocks
    ]


def _payers(connection: Connection) -> None:
    _insert(
        connection,
        PayerRow,
        [
            {
                "id": p.id,
                "name": p.name,
                "available": p.available,
                "retry_after_seconds": p.retry_after_seconds,
            }
            for p in PAYERS
        ],
    )
    _insert(
        connection,
        PayerServiceRow,
        [
            {"payer_id": p.id, "code": code, "covered": covered, "requires_prior_auth": auth}
            for p in PAYERS
            for code, covered, auth in p.services
        ],
    )


def _patients(connection: Connection, rng: random.Random, today: date) -> list[str]:
    patients: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    phones: set[str] = set()
    for n in range(PATIENTS):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        phone = ""
        while not phone or phone in phones:
            phone = f"(555) 01{rng.randrange(10)}-{rng.randrange(10_000):04d}"
        phones.add(phone)
        born = today - timedelta(days=rng.randrange(365 * 2, 365 * 90))
        pid = _rid(rng, "pat")
        payer_id = member_id = None
        if rng.random() < INSURED_SHARE:
            payer = rng.choices(PAYERS, weights=[p.share for p in PAYERS])[0]
            payer_id, member_id = payer.id, f"{payer.member_prefix}{rng.randrange(10**9):09d}"
            members.append(_member(rng, pid, payer_id, member_id, today))
        patients.append(
            {
                "id": pid,
                "first_name": first,
                "last_name": last,
                "date_of_birth": born,
                "phone": phone,
                "phone_digits": "".join(ch for ch in phone if ch.isdigit()),
                "email": f"{first}.{last}.{n}@example.com".lower().replace(" ", ""),
                "payer_id": payer_id,
                "member_id": member_id,
            }
        )
    _insert(connection, PatientRow, patients)
    _insert(connection, PayerMemberRow, members)
    return [p["id"] for p in patients]


def _member(
    rng: random.Random, pid: str, payer_id: str, member_id: str, today: date
) -> dict[str, Any]:
    """Enrolment terms; about one in twelve is inactive or has ended (an ineligible answer)."""
    roll = rng.random()
    total = rng.choice((500, 1000, 1500, 2500, 5000))
    return {
        "payer_id": payer_id,
        "member_id": member_id,
        "patient_id": pid,
        "active": roll >= 0.04,
        "coverage_start": date(today.year - rng.randrange(1, 6), 1, 1),
        "coverage_end": today - timedelta(days=rng.randrange(30, 400))
        if 0.04 <= roll < 0.08
        else None,
        "copay": rng.choice((10, 20, 25, 30, 40, 50)),
        "deductible_total": total,
        "deductible_met": rng.randrange(0, total + 1, 50),
        "coinsurance_pct": rng.choice((0, 10, 20, 20, 30)),
        "in_network": rng.random() < 0.9,
    }


PRESCRIPTION_STATUSES = (
    "pending",
    "filled",
    "ready_for_pickup",
    "partially_filled",
    "on_hold",
    "cancelled",
    "expired",
)


def _prescriptions(
    connection: Connection, rng: random.Random, clinic: _Clinic, now: datetime
) -> None:
    rows: list[dict[str, Any]] = []
    for patient_id in clinic.patient_ids:
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            # The first seven cover every status; the rest are mostly filled.
            status = (
                PRESCRIPTION_STATUSES[len(rows)]
                if len(rows) < len(PRESCRIPTION_STATUSES)
                else rng.choices(PRESCRIPTION_STATUSES, weights=(8, 45, 12, 5, 5, 5, 10))[0]
            )
            rows.append(_prescription(rng, patient_id, status, clinic, now))
    _insert(connection, PrescriptionRow, rows)


def _prescription(
    rng: random.Random, patient_id: str, status: str, clinic: _Clinic, now: datetime
) -> dict[str, Any]:
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    created = midnight - timedelta(days=rng.randrange(20, 400), hours=rng.randrange(8, 18))
    last_filled = next_refill = None
    refills = rng.randrange(0, 6)
    if status in ("filled", "ready_for_pickup", "partially_filled", "on_hold"):
        last_filled = midnight - timedelta(days=rng.randrange(0, 28), hours=-rng.randrange(9, 18))
        next_refill = (last_filled + timedelta(days=30)).replace(hour=0, minute=0, second=0)
    elif status == "expired":
        refills = 0
        last_filled = created + timedelta(days=rng.randrange(1, 10))
    pharmacy_name, pharmacy_phone = rng.choice(PHARMACIES)
    return {
        "id": _rid(rng, "rx"),
        "patient_id": patient_id,
        "prescriber_id": rng.choice(clinic.providers).id,
        "medication": rng.choice(MEDICATIONS),
        "status": status,
        "refills_remaining": 0 if status in ("cancelled", "expired") else refills,
        "last_filled": last_filled,
        "next_refill_date": None if status in ("cancelled", "expired") else next_refill,
        "pharmacy_name": pharmacy_name,
        "pharmacy_phone": pharmacy_phone,
        "created_at": created,
    }


def _agents(connection: Connection) -> None:
    _insert(
        connection,
        AgentRow,
        [
            {
                "id": agent_id,
                "name": name,
                "status": status,
                "last_routed_seq": None,
                "position": n,
            }
            for n, (agent_id, name, status) in enumerate(AGENTS)
        ],
    )


def _calls(store: Store, rng: random.Random, *, now: datetime) -> None:
    """Calls the assistant is handling right now, and a few it finished earlier today."""
    with store.write() as session:
        patients = [
            directory.patient_to_model(row)
            for row in session.scalars(select(PatientRow).order_by(PatientRow.id).limit(60))
        ]
        for n, scenario in enumerate(
            [*SCENARIOS, "book_appointment", "prescription_refill", *SCENARIOS]
        ):
            live = n < len(SCENARIOS) + 2
            at = now - timedelta(seconds=40 * n) if live else now - timedelta(hours=n)
            patient = rng.choice(patients) if patients and rng.random() < 0.8 else None
            call, _ = generate_call(rng, now=at, patient=patient, scenario=scenario)
            if not live:
                call = call.model_copy(update={"status": "completed"})
            session.add(calls_repo.call_to_row(call))


# --- the calendar ----------------------------------------------------------------------------


def _days_outward(today: date) -> Iterator[date]:
    """today, tomorrow, yesterday, the day after tomorrow, … (about ±27 years at most)."""
    yield today
    for offset in range(1, 10_000):
        yield today + timedelta(days=offset)
        yield today - timedelta(days=offset)


def _appointments(
    connection: Connection,
    rng: random.Random,
    clinic: _Clinic,
    *,
    today: date,
    now: datetime,
    wanted: int | None,
) -> None:
    rows: list[dict[str, Any]] = []
    for day in _days_outward(today):
        if wanted is None and abs((day - today).days) > DEMO_DAYS_EACH_SIDE:
            break
        if wanted is not None and len(rows) >= wanted:
            break
        busy_patients: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
        for provider in clinic.providers:
            for span in _provider_day(rng, provider, day):
                patient = _free_patient(rng, clinic.patient_ids, busy_patients, span)
                if patient is not None:
                    busy_patients[patient].append(span[1:])
                    rows.append(_appointment(rng, provider.id, patient, span, now=now))
    if wanted is not None:
        del rows[wanted:]
    _bulk_insert_appointments(connection, rows)


def _bulk_insert_appointments(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Straight to the driver with the times already in their stored form.

    SQLAlchemy's per-value type processing is about half the cost of 100,000 rows; the text
    comes from the column type's own `timestamp_text`, so the stored form is the same.
    """
    table = AppointmentRow.__table__
    columns = [column.name for column in table.columns]
    times = {column.name for column in table.columns if isinstance(column.type, UtcTimestamp)}
    sql = (
        f"INSERT INTO {AppointmentRow.__tablename__} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    values = [
        tuple(
            timestamp_text(row[name]) if name in times and row[name] is not None else row[name]
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
        "id": _rid(rng, "apt"),
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
