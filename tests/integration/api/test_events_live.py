"""Against the real sandbox: the event stream survives the server being stopped and restarted
(same port, same store), with events written while it was down — none lost, none twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from frontdesk_app.domain import clock
from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.models import AgentStatus, Event
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.sandbox.config import SandboxConfig
from tests.integration.api.support import Identifiers, api_for
from tests.integration.conftest import SandboxFactory

pytestmark = pytest.mark.integration

STATUSES: tuple[AgentStatus, ...] = ("busy", "away", "available")


async def flip_agents(backend: Backend, times: int) -> None:
    """`times` agent status changes: each appends one event."""
    agents = await backend.list_agents()
    for n in range(times):
        agent = agents[n % len(agents)]
        await backend.set_agent_status(agent.id, STATUSES[n % len(STATUSES)])


async def last_seq(backend: Backend) -> int:
    seq = 0
    for _ in range(1000):
        page = await backend.list_events(after=seq, limit=1000)
        if not page.data:
            return seq
        seq = page.data[-1].seq
    raise AssertionError("the event log never ended")


async def take(stream: object, count: int, into: list[Event]) -> None:
    async with asyncio.timeout(30):
        while len(into) < count:
            into.append(await anext(stream))  # type: ignore[call-overload]


@pytest.mark.asyncio
async def test_the_stream_survives_a_sandbox_restart(
    sandbox_factory: SandboxFactory, log_hygiene: Identifiers
) -> None:
    server = sandbox_factory(SandboxConfig(heartbeat_seconds=1.0))
    log_hygiene.secrets.add(server.api_key)
    start = server.call(last_seq)
    got: list[Event] = []
    async with api_for(server) as api:
        stream = api.events(after_seq=start, max_backoff=0.3, read_timeout=5.0)
        # Live events while the stream is open.
        server.call(lambda b: flip_agents(b, 5))
        await take(stream, 5, got)

        # The server goes away with the stream open; the clinic goes on writing meanwhile.
        server.stop()
        offline = LocalBackend.open(server.db_path)
        try:
            await flip_agents(offline, 7)
        finally:
            await offline.aclose()
        server.start()
        server.call(lambda b: flip_agents(b, 4))
        await take(stream, 16, got)
        reconnects = stream.reconnects
        await stream.aclose()
        final = await last_seq_via(api)

    seqs = [e.seq for e in got]
    assert seqs == sorted(set(seqs)), "an event came twice or out of order"
    assert seqs == list(range(start + 1, start + 17)), "an event was lost"
    assert final == start + 16
    assert all(e.type == "agent.status_changed" for e in got)
    assert reconnects >= 1


class NoStreamTransport(httpx.AsyncHTTPTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/events/stream":
            return httpx.Response(404, json={"code": "not_found", "detail": "Not here."})
        return await super().handle_async_request(request)


async def last_seq_via(backend: Backend) -> int:
    return await last_seq(backend)


@pytest.mark.asyncio
async def test_without_the_stream_pages_deliver_the_same_events(
    sandbox_factory: SandboxFactory, log_hygiene: Identifiers
) -> None:
    server = sandbox_factory()
    log_hygiene.secrets.add(server.api_key)
    start = server.call(last_seq)
    server.call(lambda b: flip_agents(b, 3))
    got: list[Event] = []
    # A proxy that answers the stream route with 404 forces the catch-up/poll path.
    async with api_for(server, transport=NoStreamTransport()) as api:
        stream = api.events(after_seq=start, poll_interval=0.1)
        try:
            await take(stream, 3, got)
            server.call(lambda b: flip_agents(b, 2))
            await take(stream, 5, got)
            assert stream.state.value == "polling"
        finally:
            await stream.aclose()
    assert [e.seq for e in got] == list(range(start + 1, start + 6))
    assert clock.now() - got[-1].created_at < timedelta(hours=1)
