"""The synthetic demo clinic: providers, patients, payers, prescriptions, agents, calls, a calendar.

Everything is drawn from one seeded `random.Random`, so a seed, a day and a clock give the same
clinic every time. Every person is made up (see `store.synthetic`). Appointments pass the
domain's own rules as of the moment each was booked; bulk Core inserts keep 100,000 of them
to a few seconds.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, insert, select

from frontdesk_app.domain.models import (
    BlockedTime,
    Provider,
    TimeRange,
)
from frontdesk_app.domain.timeutil import local_instant, utc_now
from frontdesk_app.store.call_scripts import SCENARIOS, generate_call
from frontdesk_app.store.db import Store
from frontdesk_app.store.demo_calendar import add_calendar, rid
from frontdesk_app.store.demo_people import AGENTS, PAYERS, ProviderSpec, provider_specs
from frontdesk_app.store.demo_series import add_series
from frontdesk_app.store.demo_visits import add_visits
from frontdesk_app.store.demo_waitlist import add_waitlist
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
    ClinicRow,
    PatientRow,
    PayerMemberRow,
    PayerRow,
    PayerServiceRow,
    PrescriptionRow,
    ProviderBlockRow,
    ProviderHoursRow,
    ProviderRow,
)

CLINIC_NAME = "Maplewood Family Health"
CLINIC_TIMEZONE = "America/New_York"
PATIENTS = 500
INSURED_SHARE = 0.92
BULK_CACHE_KIB = 128 * 1024
DEFAULT_CACHE_KIB = 2000


def is_empty(store: Store) -> bool:
    """True for a store nobody has filled yet (no clinic settings)."""
    with store.read() as session:
        return session.scalar(select(ClinicRow.id)) is None


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

    Without `appointments` the calendar covers the two weeks around `today` (clinic time), with
    three recurring series from the coming days on; with a number, it spreads outwards from
    today until exactly that many appointments exist.
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
        add_calendar(
            connection,
            rng,
            providers=clinic.providers,
            patient_ids=clinic.patient_ids,
            today=today,
            now=now,
            wanted=appointments,
        )
        add_visits(connection, rng, now=now, zone=zone)
        # Its own generator: the calls drawn after it stay what they were.
        add_waitlist(
            connection,
            random.Random(seed * 31 + 7),
            provider_ids=[p.id for p in clinic.providers],
            patient_ids=clinic.patient_ids,
            now=now,
        )
        connection.exec_driver_sql(f"PRAGMA cache_size=-{DEFAULT_CACHE_KIB}")
    _calls(store, rng, now=now)
    if appointments is None:  # a store of a given size has exactly that many appointments
        add_series(
            store,
            random.Random(seed * 17 + 3),
            providers=clinic.providers,
            patient_ids=clinic.patient_ids,
            now=now,
        )


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
        pid = rid(rng, "prov")
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
        pid = rid(rng, "pat")
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
        "id": rid(rng, "rx"),
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
