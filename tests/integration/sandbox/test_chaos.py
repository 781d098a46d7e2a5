"""Chaos mode: real faults before or after the handler, so clients meet lost answers."""

from __future__ import annotations

import uuid

import httpx
import pytest

from frontdesk_app.domain.backend import Backend
from frontdesk_app.sandbox.config import ChaosSpec, SandboxConfig
from frontdesk_app.sandbox.server import SandboxServer
from tests.integration.conftest import SandboxFactory
from tests.integration.sandbox.support import client

pytestmark = pytest.mark.integration


def _calls(server: SandboxServer) -> set[str]:
    async def ids(backend: Backend) -> set[str]:
        return {c.id for c in await backend.list_calls()}

    return server.call(ids)


def _chaos(text: str) -> SandboxConfig:
    return SandboxConfig(chaos=ChaosSpec.parse(text))


def test_error_before_the_handler_changes_nothing(sandbox_factory: SandboxFactory) -> None:
    server = sandbox_factory(_chaos("error=1,phase=before,seed=1"))
    before = _calls(server)
    with client(server) as c:
        responses = [c.post("/v1/sandbox/calls", json={}) for _ in range(5)]
        spec = c.get("/openapi.json")
    for response in responses:
        assert response.status_code in (500, 503)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["x-request-id"].startswith("req_")
        assert "x-ratelimit-remaining" in response.headers
        if response.status_code == 503:
            assert response.headers["retry-after"] == "1"
    assert spec.status_code == 200  # the documentation is spared
    assert _calls(server) == before


def test_error_after_the_handler_loses_the_answer_not_the_write(
    sandbox_factory: SandboxFactory,
) -> None:
    server = sandbox_factory(_chaos("error=1,phase=after,seed=2"))
    before = _calls(server)
    with client(server) as c:
        response = c.post("/v1/sandbox/calls", json={})
    assert response.status_code in (500, 503)
    assert len(_calls(server) - before) == 1


def test_dropped_answer_is_replayed_with_the_same_key(sandbox_factory: SandboxFactory) -> None:
    server = sandbox_factory(_chaos("drop=0.5,phase=after,seed=3"))
    before = _calls(server)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    outcomes: list[str] = []
    with client(server) as c:
        for _ in range(40):  # bounded: half the answers get through
            try:
                response = c.post("/v1/sandbox/calls", json={}, headers=key)
            except httpx.RemoteProtocolError:
                outcomes.append("cut")
                continue
            outcomes.append(str(response.status_code))
            if response.status_code == 201 and "cut" in outcomes:
                break
    assert "cut" in outcomes and outcomes[-1] == "201"
    assert response.headers.get("idempotent-replayed") == "true"
    created = _calls(server) - before
    assert created == {response.json()["id"]}


def test_delay_still_answers(sandbox_factory: SandboxFactory) -> None:
    server = sandbox_factory(_chaos("delay=1,delay_seconds=0.2,seed=4"))
    with client(server) as c:
        assert c.get("/v1/payers").status_code == 200
        assert c.post("/v1/sandbox/calls", json={}).status_code == 201


@pytest.mark.parametrize(
    "text",
    ["error=2", "error=0.6,drop=0.6", "phase=sometimes", "boom=0.1", "error", "delay_seconds=-1"],
)
def test_bad_chaos_specs_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        ChaosSpec.parse(text)
