"""The event log over HTTP: catch-up pages and the SSE stream that resumes with Last-Event-ID."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from httpx_sse import aconnect_sse

from frontdesk_app.sandbox.config import SandboxConfig
from frontdesk_app.sandbox.server import SandboxServer
from tests.integration.conftest import SandboxFactory
from tests.integration.sandbox.support import async_client, bearer

pytestmark = pytest.mark.integration
FAST = SandboxConfig(heartbeat_seconds=0.2)


async def _last_seq(c: httpx.AsyncClient) -> int:
    last = 0
    for _ in range(1000):  # bounded catch-up
        page = (await c.get("/v1/events", params={"after": last, "limit": 1000})).json()
        if not page["data"]:
            return last
        last = page["data"][-1]["seq"]
    raise AssertionError("too many events")


async def _make_events(c: httpx.AsyncClient, count: int) -> None:
    """Each agent status change is one `agent.status_changed` event."""
    agents = (await c.get("/v1/agents")).json()["data"]
    for i in range(count):
        status = ("busy", "away", "available")[i % 3]
        response = await c.put(
            f"/v1/agents/{agents[i % len(agents)]['id']}/status", json={"status": status}
        )
        assert response.status_code == 200


async def _take(
    c: httpx.AsyncClient, count: int, *, last_event_id: int | None = None, after: int | None = None
) -> list[int]:
    """Read `count` events from the stream, then drop the connection."""
    headers = {} if last_event_id is None else {"Last-Event-ID": str(last_event_id)}
    params = {} if after is None else {"after": after}
    seqs: list[int] = []
    async with (
        asyncio.timeout(20),
        aconnect_sse(c, "GET", "/v1/events/stream", headers=headers, params=params) as source,
    ):
        assert source.response.headers["content-type"].startswith("text/event-stream")
        async for sse in source.aiter_sse():
            data = json.loads(sse.data)
            assert sse.id == str(data["seq"])
            assert sse.event == data["type"]
            seqs.append(data["seq"])
            if len(seqs) == count:
                break
    return seqs


@pytest.mark.asyncio
async def test_resume_with_last_event_id_gets_every_event_once(
    sandbox_factory: SandboxFactory,
) -> None:
    server = sandbox_factory(FAST)
    async with async_client(server) as c, async_client(server) as writer:
        start = await _last_seq(c)
        reader = asyncio.create_task(_take(c, 3, after=start))
        await asyncio.sleep(0.3)  # let it connect and wait: the events then arrive live
        await _make_events(writer, 5)
        first = await reader
        # Dropped after 3 of 5; 4 more while disconnected; resume from the last one seen.
        await _make_events(writer, 4)
        resumed = asyncio.create_task(_take(c, 6 + 2, last_event_id=first[-1]))
        await asyncio.sleep(0.3)
        await _make_events(writer, 2)
        second = await resumed
        everything = (await c.get("/v1/events", params={"after": start, "limit": 100})).json()
    seen = first + second
    assert len(seen) == len(set(seen)) == 11
    assert seen == sorted(seen)
    assert seen == [e["seq"] for e in everything["data"]]


@pytest.mark.asyncio
async def test_heartbeat_comments_keep_an_idle_stream_alive(
    sandbox_factory: SandboxFactory,
) -> None:
    server = sandbox_factory(FAST)
    async with async_client(server) as c:
        after = await _last_seq(c)
        beats = 0
        async with (
            asyncio.timeout(10),
            c.stream("GET", "/v1/events/stream", params={"after": after}) as response,
        ):
            assert response.status_code == 200
            assert response.headers["x-request-id"].startswith("req_")
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    beats += 1
                    if beats == 3:
                        break
    assert beats == 3


@pytest.mark.asyncio
async def test_stream_ends_on_stop_and_resumes_after_restart(
    sandbox_factory: SandboxFactory,
) -> None:
    server = sandbox_factory(FAST)
    async with async_client(server) as c:
        start = await _last_seq(c)
        await _make_events(c, 2)

        async def read_until_closed() -> list[int]:
            seqs: list[int] = []
            async with (
                asyncio.timeout(30),
                aconnect_sse(c, "GET", "/v1/events/stream", params={"after": start}) as source,
            ):
                try:
                    async for sse in source.aiter_sse():
                        seqs.append(int(sse.id))
                except httpx.HTTPError:
                    pass  # a cut connection is as good as a closed one here
            return seqs

        reader = asyncio.create_task(read_until_closed())
        await asyncio.sleep(0.5)
        await asyncio.to_thread(server.stop)
        before = await reader
        assert len(before) == 2
        await asyncio.to_thread(server.start)
        await _make_events(c, 2)
        after = await _take(c, 2, last_event_id=before[-1])
    assert before + after == list(range(before[0], before[0] + 4))


def test_events_page_and_scopes(sandbox: SandboxServer) -> None:
    calls_only = sandbox.create_key(["calls"]).api_key
    with httpx.Client(base_url=sandbox.base_url, timeout=30) as c:
        everything = c.get("/v1/events", params={"limit": 1000}, headers=bearer(sandbox.api_key))
        limited = c.get("/v1/events", params={"limit": 1000}, headers=bearer(calls_only))
        small = c.get("/v1/events", params={"limit": 1}, headers=bearer(sandbox.api_key))
        bad = c.get("/v1/events", params={"after": -1}, headers=bearer(sandbox.api_key))
    assert everything.status_code == limited.status_code == 200
    assert all(not e["type"].startswith("appointment.") for e in limited.json()["data"])
    assert bad.status_code == 422
    with httpx.Client(base_url=sandbox.base_url, timeout=30) as c:
        for params in ({"after": "x"}, {"after": -5}, {"after": 2**70}):
            refused = c.get("/v1/events/stream", params=params, headers=bearer(sandbox.api_key))
            assert refused.status_code == 422
            assert refused.json()["code"] == "validation_failed"
    if len(everything.json()["data"]) > 1:
        assert small.json()["next_cursor"] == str(small.json()["data"][0]["seq"])
