"""Webhook endpoints belong to their creator, need the `webhooks` scope, and reveal no ports."""

from __future__ import annotations

import socket
import time
from dataclasses import replace
from typing import Any

import httpx
import pytest

from frontdesk_app.sandbox.config import SandboxConfig
from frontdesk_app.sandbox.credentials import SCOPES
from frontdesk_app.sandbox.server import SandboxServer
from tests.integration.conftest import SandboxFactory
from tests.integration.sandbox.support import bearer, client

pytestmark = pytest.mark.integration
QUICK = SandboxConfig(webhook_retry_base_seconds=0.05, webhook_max_attempts=2)


def _register(c: httpx.Client, url: str) -> dict[str, Any]:
    response = c.post("/v1/webhook_endpoints", json={"url": url, "events": ["*"]})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_another_credential_cannot_see_read_or_delete_an_endpoint(sandbox: SandboxServer) -> None:
    other = sandbox.create_key(name="another integration").api_key
    with client(sandbox) as mine, client(sandbox, other) as theirs:
        endpoint = _register(mine, "http://127.0.0.1:9/owned")
        path = f"/v1/webhook_endpoints/{endpoint['id']}"
        listed = theirs.get("/v1/webhook_endpoints").json()["data"]
        assert endpoint["id"] not in [e["id"] for e in listed]
        assert theirs.get(path + "/deliveries").status_code == 404
        assert theirs.delete(path).status_code == 404
        assert endpoint["id"] in [e["id"] for e in mine.get("/v1/webhook_endpoints").json()["data"]]
        assert mine.get(path + "/deliveries").status_code == 200
        assert mine.delete(path).status_code == 204


def test_webhooks_need_their_scope(sandbox: SandboxServer) -> None:
    narrow = sandbox.create_key([s for s in SCOPES if s != "webhooks"]).api_key
    with httpx.Client(base_url=sandbox.base_url, headers=bearer(narrow)) as c:
        answers = [
            c.get("/v1/webhook_endpoints"),
            c.post("/v1/webhook_endpoints", json={"url": "http://127.0.0.1:9/x", "events": ["*"]}),
            c.delete("/v1/webhook_endpoints/whe_anything"),
            c.get("/v1/webhook_endpoints/whe_anything/deliveries"),
        ]
    for answer in answers:
        assert answer.status_code == 403, answer.text
        assert answer.json()["code"] == "insufficient_scope"


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.8/hook",
        "https://example.com/hook",
        "http://[::ffff:169.254.169.254]/hook",
    ],
)
def test_by_default_only_this_computer_is_accepted(sandbox: SandboxServer, url: str) -> None:
    with client(sandbox) as c:
        response = c.post("/v1/webhook_endpoints", json={"url": url, "events": ["*"]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "url"


def test_with_internet_delivery_private_and_metadata_addresses_are_still_refused(
    sandbox_factory: SandboxFactory,
) -> None:
    server = sandbox_factory(SandboxConfig(webhook_internet=True))
    with client(server) as c:
        for url in (
            "http://127.0.0.1:9/x",
            "http://localhost:9/x",
            "http://[::ffff:127.0.0.1]:9/x",
            "http://169.254.169.254/latest/meta-data/",
            "http://192.168.0.1/x",
            "http://[fd00:ec2::254]/x",
        ):
            response = c.post("/v1/webhook_endpoints", json={"url": url, "events": ["*"]})
            assert response.status_code == 422, url


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening_silent() -> socket.socket:
    """A port that accepts connections and never answers (a non-HTTP service)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    return sock


def _finished(c: httpx.Client, endpoint_id: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        data = c.get(f"/v1/webhook_endpoints/{endpoint_id}/deliveries").json()["data"]
        if data and all(d["status"] == "failed" for d in data):
            return list(data)
        time.sleep(0.05)
    raise AssertionError("the deliveries never finished")


def test_failed_attempts_do_not_tell_a_closed_port_from_a_silent_one(
    sandbox_factory: SandboxFactory,
) -> None:
    server = sandbox_factory(replace(QUICK, webhook_timeout_seconds=0.3))
    silent = _listening_silent()
    try:
        with client(server) as c:
            closed = _register(c, f"http://127.0.0.1:{_closed_port()}/x")
            listening = _register(c, f"http://127.0.0.1:{silent.getsockname()[1]}/x")
            agent = c.get("/v1/agents").json()["data"][0]
            c.put(f"/v1/agents/{agent['id']}/status", json={"status": "away"})
            seen = [
                [
                    {k: a[k] for k in ("status_code", "error", "duration_ms")}
                    for d in _finished(c, endpoint["id"])
                    for a in d["attempts"]
                ]
                for endpoint in (closed, listening)
            ]
    finally:
        silent.close()
    assert seen[0] == seen[1]
    assert seen[0][0] == {"status_code": None, "error": "not delivered", "duration_ms": None}
