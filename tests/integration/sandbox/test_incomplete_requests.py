"""A request whose body never fully arrived runs nothing and leaves its Idempotency-Key free."""

from __future__ import annotations

import json
import logging
import random
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from frontdesk_app.sandbox.server import SandboxServer
from tests.integration.sandbox.support import book, client

pytestmark = pytest.mark.integration


class _AccessLog(logging.Handler):
    """Counts the sandbox's access-log lines, so a test can wait until a request has ended."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self._changed = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self._changed:
            self.count += 1
            self._changed.notify_all()

    def wait_beyond(self, seen: int, timeout: float = 15.0) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self.count > seen, timeout):
                raise AssertionError("the sandbox never finished the request")


@pytest.fixture
def access_log() -> Iterator[_AccessLog]:
    handler = _AccessLog()
    logger = logging.getLogger("frontdesk_app.sandbox.access")
    old_level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def _raw_request(server: SandboxServer, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: 127.0.0.1:{server.port}",
        f"Authorization: Bearer {server.api_key}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _send_and_die(server: SandboxServer, request: bytes, log: _AccessLog) -> None:
    """Send `request` (cut short) and close the connection, as a client killed mid-send."""
    seen = log.count
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        time.sleep(0.05)  # let the server read what was sent before the connection drops
    log.wait_beyond(seen)


def _all_events(c: httpx.Client) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    after = 0
    for _ in range(1000):  # bounded: a page holds 1,000
        page = c.get("/v1/events", params={"after": after, "limit": 1000}).json()
        events += page["data"]
        if not page["next_cursor"]:
            return events
        after = int(page["next_cursor"])
    raise AssertionError("the event log never ended")


# The body is JSON padded with spaces: all but the padding is itself a complete JSON document,
# so only the declared length tells the server that more was coming.
_JSON = json.dumps({"reason_code": "patient_request", "notify": False}).encode()
_PADDED = _JSON + b" " * 16


@pytest.mark.parametrize(
    "sent_of_body", [0, 7, len(_JSON)], ids=["headers-only", "short-body", "all-but-padding"]
)
@pytest.mark.parametrize("with_key", [True, False], ids=["keyed", "unkeyed"])
def test_half_sent_cancel_runs_nothing_and_the_full_resend_cancels_once(
    sandbox: SandboxServer, access_log: _AccessLog, sent_of_body: int, with_key: bool
) -> None:
    with client(sandbox) as c:
        booked = book(c, random.Random(f"half-sent-{sent_of_body}-{with_key}"))
        path = f"/v1/appointments/{booked['id']}/cancel"
        body = _PADDED
        key = {"Idempotency-Key": str(uuid.uuid4())} if with_key else {}
        whole = _raw_request(sandbox, path, body, key)
        cut = len(whole) - len(body) + sent_of_body
        _send_and_die(sandbox, whole[:cut], access_log)

        untouched = c.get(f"/v1/appointments/{booked['id']}").json()
        assert untouched["status"] == "confirmed"

        full = c.post(path, content=body, headers={"Content-Type": "application/json", **key})
        assert full.status_code == 200, full.text
        assert "idempotent-replayed" not in full.headers
        assert full.json()["reason_code"] == "patient_request"
        if with_key:
            again = c.post(path, content=body, headers={"Content-Type": "application/json", **key})
            assert again.status_code == 200
            assert again.headers["idempotent-replayed"] == "true"
        events = _all_events(c)
    cancels = [
        e
        for e in events
        if e["type"] == "appointment.cancelled" and e["data"].get("id") == booked["id"]
    ]
    assert len(cancels) == 1


def test_a_chunked_body_without_its_last_chunk_runs_nothing(
    sandbox: SandboxServer, access_log: _AccessLog
) -> None:
    with client(sandbox) as c:
        booked = book(c, random.Random("half-sent-chunked"))
        path = f"/v1/appointments/{booked['id']}/cancel"
        key = str(uuid.uuid4())
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{sandbox.port}\r\n"
            f"Authorization: Bearer {sandbox.api_key}\r\nContent-Type: application/json\r\n"
            f"Transfer-Encoding: chunked\r\nIdempotency-Key: {key}\r\n\r\n"
        ).encode()
        # The whole JSON in one chunk, but never the final zero-length chunk.
        chunk = f"{len(_JSON):x}\r\n".encode() + _JSON + b"\r\n"
        _send_and_die(sandbox, head + chunk, access_log)
        assert c.get(f"/v1/appointments/{booked['id']}").json()["status"] == "confirmed"

        full = c.post(
            path,
            content=_JSON,
            headers={"Content-Type": "application/json", "Idempotency-Key": key},
        )
    assert full.status_code == 200, full.text
    assert "idempotent-replayed" not in full.headers
