"""The audit log: lookups and writes are recorded (ids only) by whichever backend performs
them, entries cannot be changed or removed, and the admin's filters and CSV export work."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from frontdesk_app.api import ApiBackend, ApiKey, RetryPolicy
from frontdesk_app.domain.errors import SlotUnavailable
from frontdesk_app.domain.models import (
    AppointmentCancel,
    AppointmentCreate,
    AppointmentReschedule,
    EligibilityRequest,
    SimulatedCallRequest,
    TransferCompletion,
    TransferRequest,
)
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.sandbox.app import create_app
from frontdesk_app.sandbox.credentials import create_key
from frontdesk_app.sandbox.state import StateDB
from frontdesk_app.store import audit
from frontdesk_app.store.audit import Actor, AuditEntry, AuditQuery, AuditTrail
from frontdesk_app.store.db import Store
from frontdesk_app.store.encryption import generate_key
from frontdesk_app.sync.backend import OfflineFirstBackend
from frontdesk_app.sync.connectivity import Backoff
from tests.fixtures.store import NOW, TUESDAY, Clock, SmallClinic, build_small_clinic, local

ACTOR = Actor(user="r.reception", workstation="desk-2")
# What the small clinic knows about its patients: none of it may reach the audit table.
PATIENT_TEXT = ("Alice", "Ashdown", "Bob", "Carol", "1980-05-17", "010-1001", "ACM000000001")


def entries(store: Store, **filters: object) -> list[AuditEntry]:
    with store.read() as session:
        return list(reversed(audit.search(session, AuditQuery(**filters))))  # type: ignore[arg-type]


def summary(found: list[AuditEntry]) -> list[tuple[str, str | None, str | None]]:
    return [(e.action, e.patient_id, e.object_id) for e in found]


def raw_rows(store: Store) -> str:
    with store.read() as session:
        return repr(session.execute(sa.text("SELECT * FROM audit_log")).all())


async def exercise(backend: LocalBackend | OfflineFirstBackend, clinic: SmallClinic) -> list[str]:
    """Book, move, cancel, check eligibility, look up prescriptions; returns the ids made."""
    booked = await backend.create_appointment(
        AppointmentCreate(
            patient_id=clinic.alice,
            provider_id=clinic.patel,
            start_time=local(TUESDAY, 9),
            duration_minutes=30,
            type="consultation",
        )
    )
    moved = await backend.reschedule_appointment(
        booked.id, AppointmentReschedule(new_start_time=local(TUESDAY, 10), reason="asked")
    )
    await backend.cancel_appointment(moved.id, AppointmentCancel(reason_code="patient_request"))
    checked = await backend.check_eligibility(
        EligibilityRequest(
            patient_id=clinic.alice,
            payer_id=clinic.payer,
            member_id=clinic.member,
            date_of_service=date(2026, 3, 3),
        )
    )
    await backend.get_prescription(clinic.rx)
    await backend.list_prescriptions(clinic.bob)
    return [booked.id, moved.id, checked.id]


# --- the table ------------------------------------------------------------------------------


def test_entries_can_be_added_but_never_changed_or_removed(store: Store) -> None:
    trail = AuditTrail(ACTOR, clock=lambda: NOW)
    with store.write() as session:
        trail.record(session, "eligibility.check", patient_id="pat_1", object_id="elg_1")
    for statement in (
        "UPDATE audit_log SET patient_id = 'pat_2'",
        "UPDATE audit_log SET at = '2020-01-01T00:00:00.000000Z'",
        "DELETE FROM audit_log",
    ):
        with pytest.raises(IntegrityError, match="audit entries cannot be"), store.write() as s:
            s.execute(sa.text(statement))
    assert summary(entries(store)) == [("eligibility.check", "pat_1", "elg_1")]


def test_an_unknown_action_is_a_bug_not_an_entry(store: Store) -> None:
    with pytest.raises(ValueError, match="unknown audit action"), store.write() as session:
        AuditTrail(ACTOR).record(session, "patient.export_everything")
    assert entries(store) == []


def test_the_actor_is_the_login_and_the_workstation() -> None:
    actor = audit.current_actor("Front desk 1")
    assert actor.workstation == "Front desk 1"
    assert actor.user
    assert audit.current_actor("  ").workstation  # the host name when none was chosen


# --- written by the backend that performs the action ----------------------------------------


@pytest.mark.asyncio
async def test_local_backend_records_lookups_and_writes(
    store: Store, clinic: SmallClinic, clock: Clock
) -> None:
    backend = LocalBackend(store, clock=clock, audit=AuditTrail(ACTOR, clock=clock))
    try:
        booked, moved, checked = await exercise(backend, clinic)
        call = await backend.simulate_call(SimulatedCallRequest(patient_id=clinic.carol))
        transfer = await backend.transfer_call(call.id, TransferRequest())
        assert transfer.agent is not None
        await backend.accept_transfer(transfer.transfer_id, transfer.agent.id)
        await backend.complete_transfer(
            transfer.transfer_id, TransferCompletion(disposition="resolved")
        )
        await backend.list_providers()  # the schedule's own reads are not patient lookups
    finally:
        await backend.aclose()
    with Store.open(store.path) as reopened:
        found = entries(reopened)
        rows = raw_rows(reopened)
    assert summary(found) == [
        ("appointment.create", clinic.alice, booked),
        ("appointment.reschedule", clinic.alice, moved),
        ("appointment.cancel", clinic.alice, moved),
        ("eligibility.check", clinic.alice, checked),
        ("prescription.view", clinic.alice, clinic.rx),
        ("prescription.list", clinic.bob, None),
        ("transfer.accept", clinic.carol, transfer.transfer_id),
        ("transfer.complete", clinic.carol, transfer.transfer_id),
    ]
    assert {(e.user, e.workstation, e.at) for e in found} == {(ACTOR.user, ACTOR.workstation, NOW)}
    assert not any(text in rows for text in PATIENT_TEXT)


@pytest.mark.asyncio
async def test_a_refused_write_leaves_no_entry(
    store: Store, clinic: SmallClinic, clock: Clock
) -> None:
    backend = LocalBackend(store, clock=clock, audit=AuditTrail(ACTOR, clock=clock))
    try:
        request = AppointmentCreate(
            patient_id=clinic.alice,
            provider_id=clinic.patel,
            start_time=local(TUESDAY, 9),
            duration_minutes=30,
            type="consultation",
        )
        await backend.create_appointment(request)
        with pytest.raises(SlotUnavailable):
            await backend.create_appointment(request)
        assert [e.action for e in entries(store)] == ["appointment.create"]
    finally:
        await backend.aclose()


@pytest.mark.asyncio
async def test_without_a_trail_nothing_is_recorded(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    """The sandbox's LocalBackend is a server: it audits nothing on the desk's behalf."""
    await exercise(backend, clinic)
    assert entries(backend.store) == []


@dataclass
class Desk:
    clinic: SmallClinic
    backend: OfflineFirstBackend
    mirror: Path


@pytest_asyncio.fixture
async def desk(migrated_template: Path, tmp_path: Path, clock: Clock) -> AsyncIterator[Desk]:
    """The app's stack: an encrypted, audited mirror → ApiBackend → the sandbox app."""
    server_path = tmp_path / "server.sqlite"
    server_path.write_bytes(migrated_template.read_bytes())
    server_store = Store.open(server_path)
    clinic = build_small_clinic(server_store)
    server = LocalBackend(server_store, clock=clock)
    state_path = tmp_path / "sandbox-state.sqlite"
    api_key = create_key(StateDB(state_path), name="desk").api_key
    app = create_app(server, state_path=state_path)
    api = ApiBackend(
        base_url="http://127.0.0.1:8765",
        credentials=ApiKey(api_key),
        transport=httpx.ASGITransport(app=app),
        retry=RetryPolicy(attempts=2, deadline=5.0, initial_wait=0.01, max_wait=0.02, jitter=0),
    )
    mirror = tmp_path / "mirror.sqlite"
    backend = await OfflineFirstBackend.open(
        mirror,
        api,
        key=generate_key(),
        audit=AuditTrail(ACTOR, clock=clock),
        clock=clock,
        follow_events=False,
        probe_backoff=Backoff(initial=0.01, maximum=0.05, jitter=0.0),
        write_deadline=5.0,
    )
    assert backend.puller is not None
    assert await backend.puller.wait_pulled(10.0)
    yield Desk(clinic, backend, mirror)
    await backend.aclose()
    app.state.sandbox.db.close()
    await server.aclose()


@pytest.mark.asyncio
async def test_the_offline_first_desk_records_what_the_server_answered(desk: Desk) -> None:
    clinic, backend = desk.clinic, desk.backend
    assert backend.local.store.encrypted
    booked, moved, checked = await exercise(backend, clinic)
    assert await backend.wait_synced(10.0)
    found = entries(backend.local.store)
    # Once the server has given the booking its id, an entry links the two.
    links = [e for e in found if e.action == "appointment.server_id"]
    found = [e for e in found if e.action != "appointment.server_id"]
    actions = summary(found)
    assert [(e.patient_id, e.object_id, e.linked_id) for e in links] == [
        (clinic.alice, booked, actions[0][2])
    ]
    # Each write is recorded once, in the transaction that queues it: a booking with the
    # temporary id it has until the server answers (`tmp_apt_…`), later writes with the
    # server's id.
    assert actions[:3] == [
        ("appointment.create", clinic.alice, actions[0][2]),
        ("appointment.reschedule", clinic.alice, moved),
        ("appointment.cancel", clinic.alice, moved),
    ]
    assert str(actions[0][2]).startswith("tmp_apt_") and booked.startswith("apt_")
    assert actions[3:] == [
        ("eligibility.check", clinic.alice, checked),
        ("prescription.view", clinic.alice, clinic.rx),
        ("prescription.list", clinic.bob, None),
    ]
    assert not any(text in raw_rows(backend.local.store) for text in PATIENT_TEXT)
    # The server's own store (the sandbox) keeps no desk audit.
    with Store.open(desk.mirror.parent / "server.sqlite") as server_store:
        assert entries(server_store) == []


@pytest.mark.asyncio
async def test_offline_answers_from_the_cache_are_recorded_too(desk: Desk) -> None:
    clinic, backend = desk.clinic, desk.backend
    await backend.get_prescription(clinic.rx)
    assert backend.monitor is not None
    backend.monitor.report_failure(ConnectionError("cable pulled"))
    cached = await backend.get_prescription(clinic.rx)
    assert cached.id == clinic.rx
    assert summary(entries(backend.local.store)) == [
        ("prescription.view", clinic.alice, clinic.rx),
        ("prescription.view", clinic.alice, clinic.rx),
    ]


# --- the admin's filters and export ---------------------------------------------------------


def _fill(store: Store) -> None:
    clock = Clock()
    people = [Actor("ann", "desk-1"), Actor("ben", "desk-2"), Actor("=cmd|' /c calc'!A1", "x")]
    plan = [
        (0, "eligibility.check", "pat_a", "elg_1"),
        (1, "appointment.create", "pat_a", "apt_1"),
        (2, "prescription.view", "pat_b", "rx_1"),
        (0, "appointment.cancel", "pat_b", "apt_2"),
        (2, "eligibility.check", "pat_c", "elg_2"),
    ]
    with store.write() as session:
        for who, action, patient, obj in plan:
            AuditTrail(people[who], clock=clock).record(
                session, action, patient_id=patient, object_id=obj
            )
            clock.advance(days=1)


def test_filters_by_date_user_action_and_patient(store: Store) -> None:
    _fill(store)
    assert [e.object_id for e in entries(store)] == ["elg_1", "apt_1", "rx_1", "apt_2", "elg_2"]
    assert [e.object_id for e in entries(store, user="ann")] == ["elg_1", "apt_2"]
    assert [e.object_id for e in entries(store, action="eligibility.check")] == ["elg_1", "elg_2"]
    assert [e.object_id for e in entries(store, patient_id=" pat_b ")] == ["rx_1", "apt_2"]
    window = entries(store, start=NOW + timedelta(days=1), end=NOW + timedelta(days=3))
    assert [e.object_id for e in window] == ["apt_1", "rx_1"]
    assert [e.object_id for e in entries(store, user="ann", action="appointment.cancel")] == [
        "apt_2"
    ]
    newest_two = entries(store, limit=2)
    assert [e.object_id for e in newest_two] == ["apt_2", "elg_2"]
    with store.read() as session:
        assert audit.known_users(session) == sorted(["ann", "ben", "=cmd|' /c calc'!A1"])
        assert audit.count(session) == 5


def test_csv_export_has_every_column_and_defuses_formulas(store: Store) -> None:
    _fill(store)
    out = io.StringIO()
    written = audit.write_csv(entries(store), out)
    lines = out.getvalue().splitlines()
    assert written == 5 and len(lines) == 6
    assert lines[0] == (
        "time_utc,person,person_id,user,workstation,action,patient_id,object_id,linked_id"
    )
    assert lines[1] == "2026-03-02T14:00:00Z,,,ann,desk-1,eligibility.check,pat_a,elg_1,"
    assert lines[3] == (
        "2026-03-04T14:00:00Z,,,'=cmd|' /c calc'!A1,x,prescription.view,pat_b,rx_1,"
    )


# --- who, and the hash chain ------------------------------------------------------------------


def test_entries_name_the_signed_in_person(store: Store) -> None:
    trail = AuditTrail(ACTOR, clock=Clock())
    with store.write() as session:
        trail.record(session, "prescription.list", patient_id="pat_a")  # before anybody signed in
        trail.person = audit.SignedIn("per_1", "Dana Admin")
        trail.record(session, "patient.view", patient_id="pat_a")
        trail.record(session, "sign_in.failed", object_id="per_2", person=None)
    found = entries(store)
    assert [(e.action, e.person, e.person_id, e.user) for e in found] == [
        ("prescription.list", None, None, "r.reception"),
        ("patient.view", "Dana Admin", "per_1", "r.reception"),
        ("sign_in.failed", "Dana Admin", "per_1", "r.reception"),
    ]
    assert [e.object_id for e in entries(store, user="Dana Admin")] == [None, "per_2"]
    with store.read() as session:
        assert "Dana Admin" in audit.known_users(session)


def _tamper(store: Store, statement: str) -> None:
    """An edit made behind the app's back: the triggers lifted, as an attacker with the key
    and a SQLite shell could."""
    with store.connect() as connection:
        connection.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        connection.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        connection.exec_driver_sql(statement)


def test_the_hash_chain_holds_and_names_the_first_broken_link(store: Store) -> None:
    _fill(store)
    report = audit.verify(store)
    assert report.intact and report.entries == 5
    with store.read() as session:
        seqs = [row.seq for row in session.execute(sa.select(audit.audit_log.c.seq))]
    _tamper(store, f"UPDATE audit_log SET patient_id = 'pat_z' WHERE seq = {seqs[2]}")
    report = audit.verify(store)
    assert (report.broken_seq, report.reason) == (seqs[2], "its content was changed")


def test_a_removed_entry_breaks_the_chain_at_the_next_one(store: Store) -> None:
    _fill(store)
    with store.read() as session:
        seqs = [row.seq for row in session.execute(sa.select(audit.audit_log.c.seq))]
    _tamper(store, f"DELETE FROM audit_log WHERE seq = {seqs[1]}")
    report = audit.verify(store)
    assert report.broken_seq == seqs[2] and "removed" in report.reason


def test_audit_verify_from_a_terminal(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    from frontdesk_app.cli import main

    umask = os.umask(0o022)  # the command makes this process's files private: undone below
    os.umask(umask)
    request.addfinalizer(lambda: os.umask(umask))
    monkeypatch.setenv("FRONTDESK_HOME", str(tmp_path))
    path = tmp_path / "standalone.sqlite"
    with Store.open(path) as store:
        _fill(store)
    assert main(["audit", "verify", "--db", str(path)]) == 0
    assert "intact: 5 entries" in capsys.readouterr().out
    with Store.open(path) as store:
        _tamper(store, "UPDATE audit_log SET user = 'someone' WHERE action = 'appointment.create'")
    assert main(["audit", "verify", "--db", str(path)]) == 1
    out = capsys.readouterr().out
    assert "broken at entry 2" in out and "changed" in out
