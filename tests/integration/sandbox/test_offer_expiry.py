"""The sandbox passes an unanswered transfer offer on by itself, with no client asking: the
transfer shows `offered_at` / `offer_expires_at`, and `transfer.offer_expired` is published;
`POST /v1/transfers/{id}/decline` passes it on at once."""

from __future__ import annotations

import time

import pytest

from frontdesk_app.sandbox.config import SandboxConfig
from tests.integration.conftest import SandboxFactory
from tests.integration.sandbox.support import client

pytestmark = pytest.mark.integration


def test_an_unanswered_offer_is_passed_on_by_the_server(sandbox_factory: SandboxFactory) -> None:
    server = sandbox_factory(SandboxConfig(offer_timeout_seconds=0.4))
    with client(server) as c:
        agents = c.get("/v1/agents").json()["data"]
        for agent in agents:
            c.put(f"/v1/agents/{agent['id']}/status", json={"status": "away"})
        c.put(f"/v1/agents/{agents[0]['id']}/status", json={"status": "available"})
        last = c.get("/v1/events", params={"after": 0, "limit": 1000}).json()["data"][-1]["seq"]
        call = c.post("/v1/sandbox/calls", json={"transfer": True, "priority": "urgent"}).json()
        # The offer as it was made (a listing could already show it rung out on a busy machine).
        events = c.get("/v1/events", params={"after": last, "limit": 100}).json()["data"]
        [offer] = [
            e["data"]
            for e in events
            if e["type"] == "transfer.created" and e["data"]["call_id"] == call["id"]
        ]
        assert offer["status"] == "connected" and offer["agent"]["id"] == agents[0]["id"]
        assert offer["offered_at"] and offer["offer_expires_at"] >= offer["offered_at"]

        expired: list[dict[str, object]] = []
        deadline = time.monotonic() + 15
        while not expired and time.monotonic() < deadline:  # bounded: the server's own timer
            time.sleep(0.1)
            events = c.get("/v1/events", params={"after": last, "limit": 100}).json()["data"]
            expired = [e["data"] for e in events if e["type"] == "transfer.offer_expired"]
        assert expired, "the offer was never passed on"
        event = expired[0]
        # Nobody else is free: back to the queue, urgent as before; the silent agent is away.
        assert (event["status"], event["agent"], event["reason"]) == ("queued", None, "timeout")
        assert event["expired_agent"]["id"] == agents[0]["id"]  # type: ignore[index]
        assert event["priority"] == "urgent"
        status = {a["id"]: a["status"] for a in c.get("/v1/agents").json()["data"]}
        assert status[agents[0]["id"]] == "away"


def test_decline_passes_the_offer_on_at_once(sandbox_factory: SandboxFactory) -> None:
    server = sandbox_factory()
    with client(server) as c:
        agents = c.get("/v1/agents").json()["data"]
        for agent in agents[:2]:
            c.put(f"/v1/agents/{agent['id']}/status", json={"status": "available"})
        call = c.post("/v1/sandbox/calls", json={"transfer": True}).json()
        [offer] = [t for t in c.get("/v1/transfers").json()["data"] if t["call_id"] == call["id"]]
        first = offer["agent"]["id"]
        declined = c.post(f"/v1/transfers/{offer['transfer_id']}/decline", json={"agent_id": first})
        assert declined.status_code == 200, declined.text
        assert declined.json()["agent"]["id"] != first
        again = c.post(f"/v1/transfers/{offer['transfer_id']}/decline", json={"agent_id": first})
        assert again.status_code == 409 and again.json()["code"] == "invalid_state"
