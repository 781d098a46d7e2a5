"""A whole scripted desk session with DEBUG logging to files, then every log file is scanned:
no patient's name, date of birth, phone number or member id, and no key or token, anywhere.

The session goes through the app's own composition root (`app.start_services`, bundled mode:
the sandbox as a child process, `OfflineFirstBackend` over `ApiBackend` on the sync engine,
the encrypted mirror and the audit log), then through the sandbox run as its own command
(`frontdesk sandbox`), which logs to its own rotating file. Both write under
`FRONTDESK_HOME/logs`, the platform's log folder.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pydantic
import pytest
import sqlalchemy as sa

from frontdesk_app.api import ApiBackend, OAuthClient
from frontdesk_app.config import Settings, log_dir
from frontdesk_app.domain import clock
from frontdesk_app.domain import errors as E
from frontdesk_app.domain.models import (
    AppointmentCancel,
    AppointmentCreate,
    AppointmentReschedule,
    EligibilityRequest,
    Patient,
    SimulatedCallRequest,
    TransferCompletion,
)
from frontdesk_app.logs import configure_logging
from frontdesk_app.sandbox.credentials import create_client
from frontdesk_app.sandbox.state import StateDB
from frontdesk_app.store.desk_keys import DeskKeys
from frontdesk_app.store.encryption import file_state
from frontdesk_app.sync.facade import EngineBackend
from tests.fixtures.clock import NY
from tests.fixtures.desk import FAST

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
_WORD = re.compile(r"[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?")


@dataclass
class Private:
    """Everything that must never reach a log file."""

    names: set[str] = field(default_factory=set)
    texts: set[str] = field(default_factory=set)

    @classmethod
    def from_store(cls, path: Path) -> Private:
        found = cls()
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            rows = db.execute(
                "SELECT first_name, last_name, date_of_birth, phone, member_id FROM patients"
            ).fetchall()
        for first, last, born, phone, member in rows:
            found.names.update({first, last})
            digits = "".join(ch for ch in phone if ch.isdigit())
            found.texts.update({f"{first} {last}", f"{last}, {first}", str(born), phone, digits})
            found.texts.add(f"+1{digits[-10:]}")
            if member:
                found.texts.add(member)
        return found

    def leaks(self, text: str) -> list[str]:
        hits = sorted(s for s in self.texts if s and s in text)
        hits += sorted(set(_WORD.findall(text)) & self.names)
        return hits


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """FRONTDESK_HOME for this test, and the root logger at DEBUG into its log folder."""
    folder = tmp_path / "home"
    monkeypatch.setenv("FRONTDESK_HOME", str(folder))
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    configure_logging("frontdesk-app", level=logging.DEBUG)
    root.setLevel(logging.DEBUG)
    try:
        yield folder
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)


async def _app_session(home: Path, private_out: list[Private], secrets: set[str]) -> None:
    from frontdesk_app.app_services import start_services
    from frontdesk_app.store.key_prompt import unattended_key

    settings = Settings(environment="bundled", workstation_name="Front desk 1")
    key = unattended_key(DeskKeys(home, params=FAST), create=True)
    services = await start_services(settings, db=None, progress=lambda _a, _b: None, key=key)
    try:
        backend = services.backend
        assert isinstance(backend, EngineBackend)
        api = backend.inner.api
        assert api is not None
        assert file_state(home / "mirror-bundled.sqlite") == "encrypted"
        private = Private.from_store(home / "bundled-sandbox.sqlite")
        private_out.append(private)
        token = await backend.engine.run(api.session.auth.authorization())
        secrets.add(token.split()[-1])

        everyone = (await backend.search_patients(None, limit=60)).data
        insured = [p for p in everyone if p.insurance is not None]
        someone = insured[0]
        for q in (someone.last_name, someone.full_name, someone.phone, str(someone.date_of_birth)):
            await backend.search_patients(q)
        await _book_move_cancel(backend, someone)
        await _eligibility(backend, insured)
        prescriptions = await backend.list_prescriptions(someone.id)
        for prescription in prescriptions.data[:3]:
            await backend.get_prescription(prescription.id)
        with pytest.raises(E.NotFound):
            await backend.get_patient(f"pat_{someone.last_name.lower()}")
        await _transfer(backend, someone)
        await _oauth_session(api.base_url, home, secrets)
        assert await backend.wait_synced(30)
        _forced_errors(backend, someone)
    finally:
        await services.aclose()


def _forced_errors(backend: EngineBackend, patient: Patient) -> None:
    """An error in each layer with this patient's details in play, logged as product code
    logs failures (`log.exception`, or the exception as an argument)."""
    details = f"{patient.full_name}, born {patient.date_of_birth:%m/%d/%Y}, {patient.phone}"
    # Store: a write refused by SQLite with the patient's name among the statement's values.
    with pytest.raises(sa.exc.IntegrityError) as refused, backend.local.store.write() as session:
        session.execute(
            sa.text("INSERT INTO patients (id, first_name) VALUES (:id, :name)"),
            {"id": patient.id, "name": patient.first_name},
        )
    assert patient.first_name not in str(refused.value)  # hide_parameters
    failures: list[BaseException] = [refused.value]
    # API and domain: an answer that does not validate, quoting a patient.
    with pytest.raises(pydantic.ValidationError) as invalid:
        Patient.model_validate({"id": patient.id, "first_name": details, "phone": 5})
    failures.append(invalid.value)
    # Sync, UI, sandbox: failures whose message names the patient.
    failures += [RuntimeError(f"could not replay the booking of {details}")] * 3
    layers = ("store.db", "api.client", "sync.replayer", "ui.errors", "sandbox.app")
    for layer, failure in zip(layers, failures, strict=True):
        log = logging.getLogger(f"frontdesk_app.{layer}")
        try:
            raise failure
        except Exception as exc:
            log.exception("%s failed while %s was open", layer, patient.id)
            log.warning("retrying after %s", exc)
            log.error("gave up: %r", exc)


async def _book_move_cancel(backend: EngineBackend, patient: Patient) -> None:
    providers = await backend.list_providers()
    day = clock.today(NY) + timedelta(days=1)
    for offset in range(21):
        for provider in providers:
            slots = await backend.provider_availability(
                provider.id, day + timedelta(days=offset), 30
            )
            if len(slots.slots) >= 2:
                first, second = slots.slots[0], slots.slots[-1]
                booked = await backend.create_appointment(
                    AppointmentCreate(
                        patient_id=patient.id,
                        provider_id=provider.id,
                        start_time=first.start_time,
                        duration_minutes=30,
                        type="consultation",
                        notes=f"{patient.full_name} asked for a morning slot, {patient.phone}",
                    )
                )
                moved = await backend.reschedule_appointment(
                    booked.id,
                    AppointmentReschedule(
                        new_start_time=second.start_time, reason=f"{patient.first_name} is late"
                    ),
                )
                await backend.cancel_appointment(
                    moved.id, AppointmentCancel(reason_code="patient_request")
                )
                with pytest.raises(E.FrontDeskError):  # a refusal, logged on both sides
                    await backend.reschedule_appointment(
                        moved.id, AppointmentReschedule(new_start_time=second.start_time)
                    )
                return
    raise AssertionError("no free slots in three weeks")


async def _eligibility(backend: EngineBackend, insured: list[Patient]) -> None:
    payers = {p.id: p for p in await backend.list_payers()}
    checked_down = checked_up = False
    for patient in insured:
        assert patient.insurance is not None
        request = EligibilityRequest(
            patient_id=patient.id,
            payer_id=patient.insurance.payer_id,
            member_id=patient.insurance.member_id,
            date_of_service=clock.today(NY) + timedelta(days=1),
            service_codes=["99213"],
        )
        if not payers[patient.insurance.payer_id].available and not checked_down:
            with pytest.raises(E.PayerUnavailable):
                await backend.check_eligibility(request)
            checked_down = True
        elif payers[patient.insurance.payer_id].available and not checked_up:
            await backend.check_eligibility(request)
            checked_up = True
        if checked_down and checked_up:
            return
    assert checked_up


async def _transfer(backend: EngineBackend, patient: Patient) -> None:
    agents = await backend.list_agents()
    for agent in agents:
        await backend.set_agent_status(agent.id, "away")
    call = await backend.simulate_call(
        SimulatedCallRequest(transfer=True, priority="urgent", patient_id=patient.id)
    )
    transfer = next(t for t in await backend.list_transfers() if t.call_id == call.id)
    accepted = await backend.accept_transfer(transfer.transfer_id, agents[0].id)
    await backend.complete_transfer(
        accepted.transfer_id,
        TransferCompletion(
            disposition="resolved",
            notes=f"Spoke with {patient.full_name} (born {patient.date_of_birth}), "
            f"call back on {patient.phone}",
        ),
    )


async def _oauth_session(base_url: str, home: Path, secrets: set[str]) -> None:
    """An OAuth client too: its secret and access token must not be logged either."""
    client = create_client(StateDB(home / "bundled-sandbox.sandbox-state.sqlite"), name="scan")
    secrets.add(client.client_secret)
    api = ApiBackend(
        base_url=base_url, credentials=OAuthClient(client.client_id, client.client_secret)
    )
    try:
        await api.list_payers()
        secrets.add((await api.session.auth.authorization()).split()[-1])
        with pytest.raises(E.AuthenticationFailed):
            async with httpx.AsyncClient(base_url=base_url) as raw:
                response = await raw.get(
                    "/v1/payers", headers={"Authorization": "Bearer fdk_at_not_a_real_token"}
                )
                raise E.AuthenticationFailed(str(response.status_code))
    finally:
        await api.aclose()


def _sandbox_command_session(home: Path, db: Path, private: Private, secrets: set[str]) -> None:
    """`frontdesk sandbox` as its own process at DEBUG: searches by name, phone, DOB."""
    env = {**os.environ, "FRONTDESK_HOME": str(home), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "frontdesk_app",
            "sandbox",
            "--port",
            "0",
            "--db",
            str(db),
            "--print-credentials",
            "--log-level",
            "debug",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
        secrets.add(ready["api_key"])
        headers = {"Authorization": f"Bearer {ready['api_key']}"}
        with httpx.Client(base_url=ready["base_url"], headers=headers, timeout=30) as http:
            people = http.get("/v1/patients", params={"limit": 5}).json()["data"]
            for person in people:
                for q in (person["last_name"], person["phone"], person["date_of_birth"]):
                    assert http.get("/v1/patients", params={"q": q}).status_code == 200
            assert http.get("/v1/patients/pat_nobody").status_code == 404
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err[-2000:]
    assert not private.leaks(err), private.leaks(err)[:5]


@pytest.mark.asyncio
async def test_a_full_session_leaves_no_patient_data_or_secret_in_any_log_file(
    home: Path,
) -> None:
    found: list[Private] = []
    secrets: set[str] = set()
    await _app_session(home, found, secrets)
    private = found[0]
    _sandbox_command_session(home, home / "bundled-sandbox.sqlite", private, secrets)

    folder = log_dir()
    assert folder == home / "logs"
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    names = {p.name for p in files}
    assert {"frontdesk-app.log", "frontdesk-sandbox.log"} <= names, names
    text = {p.name: p.read_text(encoding="utf-8", errors="replace") for p in files}
    app_log, sandbox_log = text["frontdesk-app.log"], text["frontdesk-sandbox.log"]
    # The scan has something to bite on: requests, refusals and DEBUG lines were logged …
    assert "GET /v1/patients" in app_log and "POST /v1/appointments" in app_log
    assert " DEBUG " in app_log and "/v1/patients" in sandbox_log
    for layer in ("store.db", "api.client", "sync.replayer", "ui.errors", "sandbox.app"):
        assert f"{layer} failed while" in app_log and "(message not logged)" in app_log
    # … and the checker finds what it looks for.
    someone = sorted(private.texts)[0]
    assert private.leaks(f"x {someone} y") and private.leaks(f"GET ?q={sorted(private.names)[0]}")

    for name, content in text.items():
        leaks = private.leaks(content) + sorted(s for s in secrets if s in content)
        assert not leaks, f"{name} carries patient data or credentials: {leaks[:8]}"
