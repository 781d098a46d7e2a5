"""The sandbox's extras: synthetic calls (and their transfer), notifications, --simulate-calls."""

from __future__ import annotations

import random
import time

import pytest

from frontdesk_app.sandbox.config import SandboxConfig
from frontdesk_app.sandbox.server import SandboxServer
from tests.integration.conftest import SandboxFactory
from tests.integration.sandbox.support import book, client

pytestmark = pytest.mark.integration


def test_simulated_call_has_the_whole_context(sandbox: SandboxServer) -> None:
    with client(sandbox) as c:
        response = c.post("/v1/sandbox/calls", json={})
        empty_body = c.post("/v1/sandbox/calls")
        assert empty_body.status_code == 201
        transferred = c.post("/v1/sandbox/calls", json={"transfer": True, "priority": "urgent"})
        transfers = c.get("/v1/transfers").json()["data"]
        fetched = c.get(f"/v1/calls/{response.json()['id']}")
    assert response.status_code == 201
    call = response.json()
    assert call["id"].startswith("call_")
    assert call["status"] == "ai_handling"
    assert call["transcript"] and {"at", "speaker", "text"} <= set(call["transcript"][0])
    assert {"label", "score"} <= set(call["sentiment"])
    assert {"name", "confidence"} <= set(call["intent"])
    assert isinstance(call["collected_data"], dict)
    assert fetched.json() == call
    assert transferred.status_code == 201
    assert transferred.json()["status"] != "ai_handling"
    assert transferred.json()["id"] in {t["call_id"] for t in transfers}


def test_notifications_follow_notify(sandbox: SandboxServer) -> None:
    with client(sandbox) as c:
        created = book(c, random.Random(31))
        c.post(f"/v1/appointments/{created['id']}/cancel", json={"notify": False})
        notes = c.get("/v1/sandbox/notifications", params={"appointment_id": created["id"]})
    assert notes.status_code == 200
    kinds = sorted((n["kind"], n["recipient"]) for n in notes.json()["data"])
    assert kinds == [("created", "patient"), ("created", "provider")]


def test_simulate_calls_makes_calls_in_the_background(sandbox_factory: SandboxFactory) -> None:
    server = sandbox_factory(SandboxConfig(simulate_calls_seconds=0.1))
    with client(server) as c:
        first = len(c.get("/v1/calls").json()["data"])
        deadline = time.monotonic() + 20
        count = first
        while count < first + 2 and time.monotonic() < deadline:
            time.sleep(0.1)
            count = len(c.get("/v1/calls").json()["data"])
    assert count >= first + 2
