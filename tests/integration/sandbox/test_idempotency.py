"""Idempotency-Key on POST: replay, reuse with another body, concurrent duplicates, restarts."""

from __future__ import annotations

import asyncio
import random
import uuid

import httpx
import pytest

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.models import AppointmentQuery
from frontdesk_app.sandbox.server import SandboxServer
from tests.integration.conftest import SandboxFactory
from tests.integration.sandbox.support import appointment_body, async_client, client, parse_z

pytestmark = pytest.mark.integration


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def _count_at(server: SandboxServer, body: dict[str, str | int]) -> int:
    """Active appointments of that patient starting at that time, as the store sees them."""
    start = parse_z(str(body["start_time"]))
    query = AppointmentQuery(patient_id=str(body["patient_id"]), limit=1000)

    async def count(backend: Backend) -> int:
        page = await backend.list_appointments(query)
        return sum(1 for a in page.data if a.active and a.start_time == start)

    return server.call(count)


def test_replay_returns_the_first_answer(sandbox: SandboxServer) -> None:
    with client(sandbox) as c:
        body = appointment_body(c, random.Random(11))
        key = _key()
        first = c.post("/v1/appointments", json=body, headers=key)
        assert first.status_code == 201, first.text
        assert "idempotent-replayed" not in first.headers
        again = c.post("/v1/appointments", json=dict(reversed(body.items())), headers=key)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert _count_at(sandbox, body) == 1


def test_key_reused_with_another_body_is_refused(sandbox: SandboxServer) -> None:
    with client(sandbox) as c:
        body = appointment_body(c, random.Random(12))
        key = _key()
        assert c.post("/v1/appointments", json=body, headers=key).status_code == 201
        other = c.post("/v1/appointments", json={**body, "notes": "changed"}, headers=key)
        elsewhere = c.post("/v1/eligibility/checks", json={}, headers=key)
    for response in (other, elsewhere):
        assert response.status_code == 422
        assert response.json()["code"] == "idempotency_key_reused"
        assert response.headers["content-type"] == "application/problem+json"


def test_keys_are_scoped_to_the_credential(sandbox: SandboxServer) -> None:
    other_key = sandbox.create_key().api_key
    with client(sandbox) as c, client(sandbox, other_key) as d:
        body = appointment_body(c, random.Random(13))
        key = _key()
        assert c.post("/v1/appointments", json=body, headers=key).status_code == 201
        # Same key, other credential: a new request, refused by the rules (the slot is taken).
        theirs = d.post("/v1/appointments", json=body, headers=key)
    assert theirs.status_code == 409
    assert "idempotent-replayed" not in theirs.headers


def test_a_request_refused_before_it_ran_is_not_remembered(sandbox: SandboxServer) -> None:
    with client(sandbox) as c:
        body = appointment_body(c, random.Random(14))
        key = _key()
        bad = c.post("/v1/appointments", json={**body, "duration_minutes": "long"}, headers=key)
        assert bad.status_code == 422
        assert bad.json()["code"] == "validation_failed"
        good = c.post("/v1/appointments", json=body, headers=key)
        assert good.status_code == 201
        refused = c.post(
            f"/v1/appointments/{good.json()['id']}/reschedule",
            json={"new_start_time": "2000-01-03T15:00:00Z"},
            headers=(rkey := _key()),
        )
        assert refused.status_code == 422
        # A refusal by the clinic's rules is an outcome: the same request replays it.
        replay = c.post(
            f"/v1/appointments/{good.json()['id']}/reschedule",
            json={"new_start_time": "2000-01-03T15:00:00Z"},
            headers=rkey,
        )
    assert replay.status_code == 422
    assert replay.headers["idempotent-replayed"] == "true"


def test_overlong_key_is_refused(sandbox: SandboxServer) -> None:
    with client(sandbox) as c:
        response = c.post("/v1/sandbox/calls", json={}, headers={"Idempotency-Key": "k" * 256})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"


@pytest.mark.asyncio
async def test_concurrent_duplicates_execute_once(sandbox: SandboxServer) -> None:
    with client(sandbox) as c:
        body = appointment_body(c, random.Random(15))
    key = _key()
    async with async_client(sandbox, limits=httpx.Limits(max_connections=8)) as ac:
        responses = await asyncio.gather(
            *(ac.post("/v1/appointments", json=body, headers=key) for _ in range(8))
        )
    assert [r.status_code for r in responses] == [201] * 8
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum("idempotent-replayed" not in r.headers for r in responses) == 1
    assert _count_at(sandbox, body) == 1


def test_records_survive_a_restart(sandbox_factory: SandboxFactory) -> None:
    server = sandbox_factory()
    key = _key()
    with client(server) as c:
        call = c.post("/v1/sandbox/calls", json={}, headers=key)
    assert call.status_code == 201
    server.stop()
    server.start()
    with client(server) as c:
        again = c.post("/v1/sandbox/calls", json={}, headers=key)
        calls = c.get("/v1/calls").json()["data"]
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == call.json()
    assert sum(1 for x in calls if x["id"] == call.json()["id"]) == 1
