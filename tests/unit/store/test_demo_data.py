"""The demo clinic: what it holds, that it keeps its own rules, that a seed reproduces it."""

from __future__ import annotations

import argparse
import itertools
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from frontdesk_app.domain.models import Appointment
from frontdesk_app.domain.scheduling import Booking, check_booking
from frontdesk_app.store import cli as store_cli
from frontdesk_app.store.db import Store
from frontdesk_app.store.demo_data import build_demo_clinic
from frontdesk_app.store.repositories import appointments as appointments_repo
from frontdesk_app.store.repositories import calls as calls_repo
from frontdesk_app.store.repositories import directory
from frontdesk_app.store.tables import (
    AppointmentRow,
    PatientRow,
    PayerMemberRow,
    PrescriptionRow,
)
from tests.fixtures.store import NOW

TODAY = date(2026, 3, 2)
NY = ZoneInfo("America/New_York")


def all_appointments(store: Store) -> list[Appointment]:
    with store.read() as session:
        rows = session.scalars(select(AppointmentRow).order_by(AppointmentRow.start_time)).all()
        return [appointments_repo.to_model(row) for row in rows]


def assert_no_double_booking(appointments: list[Appointment]) -> None:
    """A sweep per provider and per patient: each active start is at or after the last end."""
    for key in ("provider_id", "patient_id"):
        by_owner: dict[str, list[Appointment]] = defaultdict(list)
        for a in appointments:
            if a.active:
                by_owner[getattr(a, key)].append(a)
        for owned in by_owner.values():
            owned.sort(key=lambda a: a.start_time)
            for before, after in itertools.pairwise(owned):
                assert before.end_time <= after.start_time, (key, before.id, after.id)


@pytest.fixture
def demo_store(demo_path: Path) -> Store:
    store = Store.open(demo_path)
    yield store  # type: ignore[misc]
    store.close()


def test_the_cast(demo_store: Store) -> None:
    with demo_store.read() as session:
        providers = directory.list_providers(session)
        payers = directory.list_payers(session)
        agents = calls_repo.list_agents(session)
        calls = calls_repo.list_calls(session)
        patients = session.scalar(select(func.count()).select_from(PatientRow))
        insured = session.scalar(
            select(func.count()).select_from(PatientRow).where(PatientRow.payer_id.is_not(None))
        )
        members = session.scalar(select(func.count()).select_from(PayerMemberRow))
        statuses = set(session.scalars(select(PrescriptionRow.status)))
    assert len(providers) >= 8
    for provider in providers:
        assert provider.timezone == "America/New_York"
        for windows in provider.weekly_hours.values():
            assert len(windows) == 2 and windows[0].end < windows[1].start  # a lunch break
    assert len({tuple(sorted(p.weekly_hours)) for p in providers}) >= 4  # different days
    assert len({p.weekly_hours[min(p.weekly_hours)][0].start for p in providers}) >= 4
    assert sum(len(p.blocked) for p in providers) >= 3
    assert patients == 500 and insured is not None and insured >= 400 and members == insured
    assert len(payers) == 6 and [p.available for p in payers].count(False) == 1
    assert statuses == {
        "pending",
        "filled",
        "ready_for_pickup",
        "partially_filled",
        "on_hold",
        "cancelled",
        "expired",
    }
    assert len(agents) == 3
    live = [c for c in calls if c.status == "ai_handling"]
    assert len(live) >= 5
    assert len({c.intent.name for c in live}) >= 4
    assert len({c.sentiment.label for c in live}) >= 3
    for call in live:
        assert len(call.transcript) >= 4 and call.collected_data and call.summary
        assert call.started_at <= NOW


def test_two_weeks_of_appointments_that_keep_the_rules(demo_store: Store) -> None:
    appointments = all_appointments(demo_store)
    assert 300 <= len(appointments) <= 5000
    # Two weeks around today, and the recurring series running on from the coming days.
    single = [a for a in appointments if a.series_id is None]
    days = {a.start_time.astimezone(NY).date() for a in single}
    assert min(days) >= TODAY - timedelta(days=7) and max(days) <= TODAY + timedelta(days=7)
    in_series = [a for a in appointments if a.series_id is not None]
    assert len({a.series_id for a in in_series}) >= 2 and len(in_series) >= 8
    assert all(a.start_time.astimezone(NY).date() > TODAY for a in in_series)
    assert min(days) < TODAY < max(days)
    assert {a.status for a in appointments} == {"confirmed", "rescheduled", "cancelled"}
    with demo_store.read() as session:
        providers = {p.id: p for p in directory.list_providers(session)}
        names = directory.provider_names(session)
    by_provider: dict[str, list[Appointment]] = defaultdict(list)
    by_patient: dict[str, list[Appointment]] = defaultdict(list)
    for a in appointments:
        by_provider[a.provider_id].append(a)
        by_patient[a.patient_id].append(a)
    for a in appointments:
        assert a.created_at <= NOW and a.created_at <= a.start_time
        # Every rule, as of the moment it was booked.
        check_booking(
            Booking(a.provider_id, a.patient_id, a.start_time, a.duration_minutes),
            appointment_type=a.type,
            provider=providers[a.provider_id],
            provider_appointments=by_provider[a.provider_id] if a.active else [],
            patient_appointments=by_patient[a.patient_id] if a.active else [],
            now=a.created_at,
            ignore_id=a.id,
            provider_names=names,
        )
    assert_no_double_booking(appointments)


def test_a_seed_reproduces_the_clinic(tmp_path: Path) -> None:
    dumps = []
    for name in ("one", "two"):
        with Store.open(tmp_path / f"{name}.sqlite") as store:
            build_demo_clinic(store, seed=11, today=TODAY, now=NOW, appointments=400)
            dumps.append([a.model_dump() for a in all_appointments(store)])
    assert dumps[0] == dumps[1] and len(dumps[0]) == 400
    with Store.open(tmp_path / "three.sqlite") as store:
        build_demo_clinic(store, seed=12, today=TODAY, now=NOW, appointments=400)
        assert [a.model_dump() for a in all_appointments(store)] != dumps[0]


def test_a_filled_store_is_not_filled_twice(demo_store: Store) -> None:
    with pytest.raises(ValueError, match="already"):
        build_demo_clinic(demo_store)


def _run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    store_cli.register(parser.add_subparsers())
    args = parser.parse_args(["demo-data", *argv])
    return int(args.handler(args))


def test_the_demo_data_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cli.sqlite"
    assert _run_cli("--db", str(path), "--appointments", "250") == 0
    assert "250 appointments" in capsys.readouterr().out
    assert _run_cli("--db", str(path)) == 1
    assert "--replace" in capsys.readouterr().err
    assert _run_cli("--db", str(path), "--appointments", "120", "--replace", "--seed", "3") == 0
    with Store.open(path) as store:
        assert len(all_appointments(store)) == 120
    assert _run_cli("--db", str(path), "--appointments", "-1") == 2
    assert _run_cli("--db", str(path), "--providers", "0") == 2
    assert (
        _run_cli("--db", str(path), "--replace", "--providers", "20", "--appointments", "600") == 0
    )
    with Store.open(path) as store, store.read() as session:
        staff = directory.list_providers(session)
        assert len(staff) == 20 and len({p.name for p in staff}) == 20
        assert len({a.provider_id for a in all_appointments(store)}) == 20


@pytest.mark.slow
def test_a_hundred_thousand_appointments(tmp_path: Path) -> None:
    with Store.open(tmp_path / "big.sqlite") as store:
        build_demo_clinic(store, appointments=100_000, today=TODAY, now=NOW)
        with store.read() as session:
            rows = session.execute(
                select(
                    AppointmentRow.id,
                    AppointmentRow.provider_id,
                    AppointmentRow.patient_id,
                    AppointmentRow.start_time,
                    AppointmentRow.end_time,
                    AppointmentRow.status,
                    AppointmentRow.type,
                )
            ).all()
    assert len(rows) == 100_000
    assert len({row.id for row in rows}) == 100_000
    assert {row.type for row in rows} == {
        "consultation",
        "follow-up",
        "new-patient",
        "procedure",
        "telehealth",
    }
    for owner in ("provider_id", "patient_id"):
        last_end: dict[str, object] = {}
        active = sorted((r for r in rows if r.status != "cancelled"), key=lambda r: r.start_time)
        for row in active:
            key = getattr(row, owner)
            assert last_end.get(key, row.start_time) <= row.start_time, (owner, row.id)
            last_end[key] = row.end_time


def test_the_demo_day_has_arrivals_patients_being_seen_and_none_from_the_future(
    tmp_path: Path,
) -> None:
    from frontdesk_app.domain.timeutil import local_day_bounds
    from frontdesk_app.store.repositories import visits as visits_repo

    afternoon = NOW + timedelta(hours=5)  # 14:00 at the clinic: half the day done
    with Store.open(tmp_path / "demo.sqlite") as store:
        build_demo_clinic(store, seed=7, now=afternoon)
        zone = ZoneInfo("America/New_York")
        start, end = local_day_bounds(TODAY, zone)
        with store.read() as session:
            today = appointments_repo.calendar_rows(session, start, end)
            visits = visits_repo.of(session, (row[0] for row in today))
    states = {v.state for v in visits}
    assert {"checked_out", "with_provider"} <= states
    assert all(step.at <= afternoon for v in visits for step in v.history)
    assert all(v.history[-1].state == v.state for v in visits)
    # Nobody later than twenty minutes from now has arrived yet.
    starts = {row[0]: row[3] for row in today}
    assert all(starts[v.appointment_id] <= afternoon + timedelta(minutes=20) for v in visits)
