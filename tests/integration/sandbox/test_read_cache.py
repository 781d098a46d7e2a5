"""Reads kept between writes: every write, through any credential, is seen by the next read."""

from __future__ import annotations

import random

import pytest

from frontdesk_app.sandbox.server import SandboxServer
from tests.integration.sandbox.support import book, client

pytestmark = pytest.mark.integration


def test_a_cached_day_shows_each_write_at_once(sandbox: SandboxServer) -> None:
    other = sandbox.create_key(name="another desk").api_key
    with client(sandbox) as c, client(sandbox, other) as d:
        booked = book(d, random.Random(51))
        params = {
            "provider_id": booked["provider_id"],
            "start": booked["start_time"][:10] + "T00:00:00Z",
            "end": booked["end_time"][:10] + "T23:59:59Z",
        }

        def shown() -> dict[str, str]:
            answer = c.get("/v1/appointments", params=params)
            assert answer.status_code == 200
            return {a["id"]: a["status"] for a in answer.json()["data"]}

        assert shown()[booked["id"]] == "confirmed"
        assert shown()[booked["id"]] == "confirmed"  # now from memory
        cancelled = d.post(f"/v1/appointments/{booked['id']}/cancel", json={})
        assert cancelled.status_code == 200
        assert shown()[booked["id"]] == "cancelled"


def test_a_kept_answer_still_needs_the_scope(sandbox: SandboxServer) -> None:
    narrow = sandbox.create_key(["calls"]).api_key
    with client(sandbox) as c, client(sandbox, narrow) as n:
        assert c.get("/v1/appointments", params={"limit": 3}).status_code == 200
        assert c.get("/v1/appointments", params={"limit": 3}).status_code == 200
        refused = n.get("/v1/appointments", params={"limit": 3})
    assert refused.status_code == 403
    assert refused.json()["code"] == "insufficient_scope"
