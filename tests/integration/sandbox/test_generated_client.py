"""A client generated from /openapi.json by openapi-python-client books, moves and cancels.
The generator pins an older httpx than this project's, so it lives in an environment of its
own: `.venv-openapi-client`, made by `packaging/bootstrap.sh --test`, or the Python that
`FRONTDESK_OPENAPI_CLIENT_PYTHON` names, or the test's own Python if it has it. The client is
generated into a temporary folder and imported by that same Python, against the live sandbox on
loopback.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from frontdesk_app.domain import clock
from frontdesk_app.sandbox.server import SandboxServer
from tests.fixtures.clock import NY
from tests.integration.sandbox.support import client

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]

DRIVER = """
import datetime, json, sys, uuid

from frontdesk_client import AuthenticatedClient
from frontdesk_client.api.appointments import (
    cancel_appointment, create_appointment, get_appointment, reschedule_appointment,
)
from frontdesk_client.api.directory import (
    get_provider_availability, list_providers, search_patients,
)
from frontdesk_client.models import (
    Appointment, AppointmentCancel, AppointmentCreate, AppointmentCreateType,
    AppointmentReschedule, CancelResult, RescheduleResult,
)

base_url, token, first_day = sys.argv[1:4]
api = AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)
with api as c:
    provider = list_providers.sync(client=c).data[0]
    patient = search_patients.sync(client=c, limit=1).data[0]
    day = datetime.date.fromisoformat(first_day)
    slots = []
    for _ in range(60):
        free = get_provider_availability.sync(provider.id, client=c, date=day, duration_minutes=30)
        slots += free.slots
        if len(slots) >= 2:
            break
        day += datetime.timedelta(days=1)
    first, later = slots[0], slots[-1]
    booked = create_appointment.sync(
        client=c,
        body=AppointmentCreate(
            patient_id=patient.id, provider_id=provider.id, start_time=first.start_time,
            duration_minutes=30, type_=AppointmentCreateType.CONSULTATION,
        ),
        idempotency_key=str(uuid.uuid4()),
    )
    assert isinstance(booked, Appointment), booked
    moved = reschedule_appointment.sync(
        booked.id, client=c, body=AppointmentReschedule(new_start_time=later.start_time),
        idempotency_key=str(uuid.uuid4()),
    )
    assert isinstance(moved, RescheduleResult), moved
    cancelled = cancel_appointment.sync(
        booked.id, client=c, body=AppointmentCancel(reason_code="patient_request"),
        idempotency_key=str(uuid.uuid4()),
    )
    assert isinstance(cancelled, CancelResult), cancelled
    final = get_appointment.sync(booked.id, client=c)
    print(json.dumps({
        "id": booked.id,
        "booked_at": booked.start_time.isoformat(),
        "moved_to": moved.new_start_time.isoformat(),
        "status": str(final.status.value),
        "reason_code": final.reason_code,
    }))
"""


def _generator_python() -> str:
    chosen = os.environ.get("FRONTDESK_OPENAPI_CLIENT_PYTHON")
    if chosen:
        return chosen
    if importlib.util.find_spec("openapi_python_client") is not None:
        return sys.executable
    # Where `packaging/bootstrap.sh --test` puts it.
    bootstrapped = ROOT / ".venv-openapi-client" / "bin" / "python"
    if bootstrapped.exists():
        return str(bootstrapped)
    pytest.skip(
        "openapi-python-client is not installed; run packaging/bootstrap.sh --test, or set "
        "FRONTDESK_OPENAPI_CLIENT_PYTHON to a Python that has it (it needs httpx < 0.29)"
    )


def _run(python: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(cwd)
    return subprocess.run(
        [python, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=240, check=False
    )


def test_a_generated_client_books_reschedules_and_cancels(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    python = _generator_python()
    spec = httpx.get(sandbox.base_url + "/openapi.json").json()
    (tmp_path / "openapi.json").write_text(json.dumps(spec))
    (tmp_path / "config.yaml").write_text("post_hooks: []\n")
    generated = _run(
        python,
        "-m",
        "openapi_python_client",
        "generate",
        "--path",
        "openapi.json",
        "--output-path",
        "frontdesk_client",
        "--meta",
        "none",
        "--config",
        "config.yaml",
        cwd=tmp_path,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout + generated.stderr, generated.stdout
    (tmp_path / "driver.py").write_text(DRIVER)
    first_day = (clock.today(NY) + timedelta(days=40)).isoformat()
    ran = _run(python, "driver.py", sandbox.base_url, sandbox.api_key, first_day, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    outcome = json.loads(ran.stdout.strip().splitlines()[-1])
    assert outcome["status"] == "cancelled"
    assert outcome["reason_code"] == "patient_request"
    assert outcome["booked_at"] != outcome["moved_to"]
    with client(sandbox) as c:
        shown = c.get(f"/v1/appointments/{outcome['id']}").json()
    assert shown["status"] == "cancelled"
    assert shown["previous_time"] is not None
