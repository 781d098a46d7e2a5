"""Webhooks: Standard Webhooks signatures checked by a loopback receiver, retries, deliveries."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from frontdesk_app.sandbox.config import SandboxConfig
from frontdesk_app.sandbox.server import SandboxServer
from tests.integration.conftest import SandboxFactory
from tests.integration.sandbox.support import client

pytestmark = pytest.mark.integration
QUICK_RETRIES = SandboxConfig(webhook_retry_base_seconds=0.05, webhook_max_attempts=3)


class Receiver:
    """A loopback HTTP server that records each POST and answers `fail_first` times with 500."""

    def __init__(self, fail_first: int = 0) -> None:
        self.requests: queue.Queue[tuple[dict[str, str], bytes]] = queue.Queue()
        self.fail_first = fail_first
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                outer.requests.put(({k.lower(): v for k, v in self.headers.items()}, body))
                failing = outer.fail_first > 0
                outer.fail_first -= 1
                self.send_response(500 if failing else 204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def next(self, timeout: float = 15.0) -> tuple[dict[str, str], bytes]:
        return self.requests.get(timeout=timeout)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    made.thread.start()
    yield made
    made.server.shutdown()
    made.server.server_close()


def _register(c: httpx.Client, url: str, events: list[str]) -> dict[str, Any]:
    response = c.post("/v1/webhook_endpoints", json={"url": url, "events": events})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _agent_event(c: httpx.Client, status: str = "away") -> str:
    agent = c.get("/v1/agents").json()["data"][-1]
    assert c.put(f"/v1/agents/{agent['id']}/status", json={"status": status}).status_code == 200
    return str(agent["id"])


def _deliveries(c: httpx.Client, endpoint_id: str, until: str, count: int = 1) -> list[Any]:
    """Poll the deliveries until `count` of them reach status `until` (bounded)."""
    deadline = time.monotonic() + 20
    while True:
        data = c.get(f"/v1/webhook_endpoints/{endpoint_id}/deliveries").json()["data"]
        if sum(d["status"] == until for d in data) >= count or time.monotonic() > deadline:
            return list(data)
        time.sleep(0.05)


def test_signed_delivery_verifies_and_tampering_fails(
    sandbox: SandboxServer, receiver: Receiver
) -> None:
    with client(sandbox) as c:
        endpoint = _register(c, receiver.url, ["agent.status_changed"])
        assert endpoint["secret"].startswith("whsec_")
        listed = c.get("/v1/webhook_endpoints").json()["data"]
        mine = next(e for e in listed if e["id"] == endpoint["id"])
        assert "secret" not in mine
        agent_id = _agent_event(c)
        headers, body = receiver.next()
        c.delete(f"/v1/webhook_endpoints/{endpoint['id']}")
    hook = Webhook(endpoint["secret"])
    payload = hook.verify(body, headers)
    assert payload["type"] == "agent.status_changed"
    assert payload["data"]["id"] == agent_id
    assert headers["webhook-id"] == payload["id"]
    assert headers["content-type"] == "application/json"

    tampered = body.replace(b'"away"', b'"busy"')
    assert tampered != body
    with pytest.raises(WebhookVerificationError):
        hook.verify(tampered, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB").verify(body, headers)
    stale = {**headers, "webhook-timestamp": str(int(time.time()) - 600)}
    with pytest.raises(WebhookVerificationError, match="too old"):
        hook.verify(body, stale)


def test_failing_receiver_is_retried_with_backoff(
    sandbox_factory: SandboxFactory, receiver: Receiver
) -> None:
    server = sandbox_factory(QUICK_RETRIES)
    receiver.fail_first = 2
    with client(server) as c:
        endpoint = _register(c, receiver.url, ["*"])
        _agent_event(c)
        delivery = _deliveries(c, endpoint["id"], "succeeded")[0]
    attempts = [receiver.next(), receiver.next(), receiver.next()]
    assert delivery["status"] == "succeeded"
    assert delivery["attempt_count"] == 3
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 204]
    assert delivery["attempts"][0]["error"] == "HTTP 500"
    # The same message each time, freshly signed; the receiver can deduplicate by webhook-id.
    assert len({h["webhook-id"] for h, _ in attempts}) == 1
    assert len({body for _, body in attempts}) == 1
    for headers, body in attempts:
        Webhook(endpoint["secret"]).verify(body, headers)


def test_delivery_gives_up_after_the_last_attempt(
    sandbox_factory: SandboxFactory, receiver: Receiver
) -> None:
    server = sandbox_factory(QUICK_RETRIES)
    receiver.fail_first = 100
    with client(server) as c:
        endpoint = _register(c, receiver.url, ["agent.status_changed"])
        _agent_event(c)
        delivery = _deliveries(c, endpoint["id"], "failed")[0]
    assert delivery["status"] == "failed"
    assert [a["attempt"] for a in delivery["attempts"]] == [1, 2, 3]
    assert delivery["next_attempt_at"] is None


def test_only_subscribed_events_and_not_after_delete(
    sandbox_factory: SandboxFactory, receiver: Receiver
) -> None:
    server = sandbox_factory(QUICK_RETRIES)
    with client(server) as c:
        endpoint = _register(c, receiver.url, ["transfer.created"])
        _agent_event(c)  # not subscribed
        call = c.post("/v1/sandbox/calls", json={"transfer": True}).json()
        _, body = receiver.next()
        assert json.loads(body)["type"] == "transfer.created"
        assert json.loads(body)["data"]["call"]["id"] == call["id"]
        assert c.delete(f"/v1/webhook_endpoints/{endpoint['id']}").status_code == 204
        assert c.delete(f"/v1/webhook_endpoints/{endpoint['id']}").status_code == 404
        c.post("/v1/sandbox/calls", json={"transfer": True})
        time.sleep(0.5)
    assert receiver.requests.empty()


@pytest.mark.parametrize(
    "body",
    [
        {"url": "not a url", "events": ["*"]},
        {"url": "ftp://127.0.0.1/x", "events": ["*"]},
        {"url": "http://127.0.0.1/x", "events": []},
        {"url": "http://127.0.0.1/x", "events": ["appointment.exploded"]},
        {"url": "http://127.0.0.1/x", "events": ["*"], "extra": 1},
    ],
)
def test_bad_endpoints_are_refused(sandbox: SandboxServer, body: dict[str, Any]) -> None:
    with client(sandbox) as c:
        response = c.post("/v1/webhook_endpoints", json=body)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
