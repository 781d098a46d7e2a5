"""The event subscription: resume with Last-Event-ID, page when streaming fails, never twice."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from frontdesk_app.api import ApiBackend, EventStream, OAuthClient
from frontdesk_app.domain import errors as E
from frontdesk_app.domain.models import Event
from tests.unit.api.conftest import Recorder, ok, problem

FAST = {"poll_interval": 0.01, "max_backoff": 0.01, "read_timeout": 5.0}


def event(seq: int) -> dict[str, object]:
    return {
        "id": f"evt_{seq}",
        "seq": seq,
        "type": "appointment.created",
        "created_at": "2030-01-01T10:00:00Z",
        "data": {"appointment_id": f"apt_{seq}"},
    }


def sse(seq: int) -> bytes:
    return f"id: {seq}\nevent: appointment.created\ndata: {json.dumps(event(seq))}\n\n".encode()


class EventServer:
    """Events 1..total; the stream sends `per_connection` of them, then drops the connection."""

    def __init__(self, total: int, *, per_connection: int = 3, honour_last_id: bool = True) -> None:
        self.total = total
        self.per_connection = per_connection
        self.honour_last_id = honour_last_id
        self.stream_status = 200
        self.stream_failures: list[type[Exception]] = []
        self.stream_content_type = "text/event-stream"
        self.last_event_ids: list[str] = []
        self.pages: list[int] = []
        self.recorder = Recorder(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/events/stream":
            self.last_event_ids.append(request.headers.get("Last-Event-ID", ""))
            if self.stream_failures:
                raise self.stream_failures.pop(0)("down", request=request)
            if self.stream_status != 200:
                return problem(self.stream_status, "not_found", "No stream here.")
            after = int(self.last_event_ids[-1] or 0) if self.honour_last_id else 0
            return httpx.Response(
                200,
                headers={"content-type": self.stream_content_type},
                content=self._stream(after),
            )
        if request.url.path == "/v1/events":
            after = int(request.url.params["after"])
            limit = int(request.url.params["limit"])
            self.pages.append(after)
            data = [event(s) for s in range(after + 1, min(self.total, after + limit) + 1)]
            return ok({"data": data, "next_cursor": None})
        return httpx.Response(404)

    async def _stream(self, after: int) -> AsyncIterator[bytes]:
        yield b": heartbeat\n\n"
        for seq in range(after + 1, min(self.total, after + self.per_connection) + 1):
            yield sse(seq)
        await asyncio.sleep(0)
        raise httpx.ReadError("connection reset")


async def collect(stream: EventStream, count: int) -> list[Event]:
    got: list[Event] = []
    async with asyncio.timeout(10):
        async for item in stream:
            got.append(item)
            if len(got) == count:
                break
    await stream.aclose()
    return got


@pytest.mark.asyncio
async def test_stream_resumes_after_drops_with_last_event_id(
    make_api: Callable[..., ApiBackend],
) -> None:
    server = EventServer(10, per_connection=3)
    api = make_api(server.recorder)
    stream = api.events(**FAST)
    got = await collect(stream, 10)
    assert [e.seq for e in got] == list(range(1, 11))
    assert server.last_event_ids[:4] == ["0", "3", "6", "9"]
    assert stream.reconnects == 3
    assert server.pages == []  # a working stream is reopened at once, without paging


@pytest.mark.asyncio
async def test_replayed_events_are_not_delivered_twice(make_api: Callable[..., ApiBackend]) -> None:
    # A server that ignores Last-Event-ID resends from the start on every connection.
    server = EventServer(6, per_connection=4, honour_last_id=False)
    api = make_api(server.recorder)
    stream = api.events(after_seq=2, **FAST)
    got = await collect(stream, 4)
    assert [e.seq for e in got] == [3, 4, 5, 6]
    assert stream.last_seq == 6


@pytest.mark.asyncio
async def test_pages_catch_up_while_the_stream_cannot_connect(
    make_api: Callable[..., ApiBackend],
) -> None:
    server = EventServer(5, per_connection=100)
    server.stream_failures = [httpx.ConnectError, httpx.ConnectTimeout]
    api = make_api(server.recorder)
    stream = api.events(**FAST)
    got = await collect(stream, 5)
    assert [e.seq for e in got] == [1, 2, 3, 4, 5]
    assert server.pages and server.pages[0] == 0  # the catch-up page delivered them


@pytest.mark.asyncio
@pytest.mark.parametrize("trouble", ["404", "content-type"])
async def test_without_streaming_it_polls(
    make_api: Callable[..., ApiBackend], trouble: str
) -> None:
    server = EventServer(3)
    if trouble == "404":
        server.stream_status = 404
    else:
        server.stream_content_type = "application/json"
    api = make_api(server.recorder)
    stream = api.events(**FAST)
    states: list[str] = []
    stream.state.subscribe(states.append)
    first = await collect_partial(stream, 3)
    assert [e.seq for e in first] == [1, 2, 3]
    server.total = 5  # new events appear; the poll finds them
    rest = await collect(stream, 2)
    assert [e.seq for e in rest] == [4, 5]
    assert "polling" in states
    assert len(server.last_event_ids) == 1  # the stream is not hammered while unsupported


async def collect_partial(stream: EventStream, count: int) -> list[Event]:
    got: list[Event] = []
    async with asyncio.timeout(10):
        while len(got) < count:
            got.append(await anext(stream))
    return got


@pytest.mark.asyncio
async def test_a_revoked_key_ends_the_subscription(make_api: Callable[..., ApiBackend]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return problem(401, "invalid_token", "The API key was revoked.")

    api = make_api(handler)
    with pytest.raises(E.AuthenticationFailed):
        await collect(api.events(**FAST), 1)


@pytest.mark.asyncio
async def test_the_stream_renews_an_expired_token(make_api: Callable[..., ApiBackend]) -> None:
    server = EventServer(2, per_connection=10)
    issued: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            issued.append(f"tok_{len(issued) + 1}")
            return ok({"access_token": issued[-1], "token_type": "Bearer", "expires_in": 3600})
        if request.headers["Authorization"] != f"Bearer {issued[-1]}" or len(issued) < 2:
            return problem(401, "invalid_token", "Expired.")
        return server.handle(request)

    api = make_api(handler, credentials=OAuthClient("cli_1", "secret_1"))
    got = await collect(api.events(**FAST), 2)
    assert [e.seq for e in got] == [1, 2]
    assert issued == ["tok_1", "tok_2"]


@pytest.mark.asyncio
async def test_a_malformed_event_is_a_protocol_error(make_api: Callable[..., ApiBackend]) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b'id: 1\ndata: {"not": "an event"}\n\n'

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    from frontdesk_app.api import ProtocolError

    api = make_api(handler)
    with pytest.raises(ProtocolError):
        await collect(api.events(**FAST), 1)


@pytest.mark.asyncio
async def test_closing_a_waiting_stream_is_prompt(make_api: Callable[..., ApiBackend]) -> None:
    async def quiet() -> AsyncIterator[bytes]:
        yield b": heartbeat\n\n"
        await asyncio.sleep(30)
        yield b""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=quiet())

    api = make_api(handler)
    stream = api.events(**FAST)
    task = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.05)
    assert stream.state.value == "streaming"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await stream.aclose()
    assert stream.state.value == "closed"
