"""The read cache: served between writes, dropped by each write, never past a missing scope."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.types import Message

from frontdesk_app.sandbox.credentials import Principal
from frontdesk_app.sandbox.readcache import ReadCache, ReadCacheMiddleware

READER = Principal("key_reader", "api_key", frozenset({"appointments:read"}))
OTHER = Principal("key_other", "api_key", frozenset({"calls"}))


class Routes:
    """Stands in for FastAPI: counts the requests that reach it, can pause mid-read."""

    def __init__(self) -> None:
        self.calls = 0
        self.version = 0
        self.pause: asyncio.Event | None = None
        self.status = 200

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        body = f'{{"version": {self.version}}}'.encode()
        if self.pause is not None:
            await self.pause.wait()
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": body})


async def _get(app: ReadCacheMiddleware, principal: Principal, query: bytes = b"a=1") -> bytes:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/v1/appointments",
        "query_string": query,
        "state": {"principal": principal},
    }
    await app(scope, receive, send)
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


@pytest.mark.asyncio
async def test_served_from_memory_until_a_write() -> None:
    routes, cache = Routes(), ReadCache()
    app = ReadCacheMiddleware(routes, cache=cache)
    assert await _get(app, READER) == b'{"version": 0}'
    assert await _get(app, READER) == b'{"version": 0}'
    assert routes.calls == 1
    assert await _get(app, READER, b"a=2") == b'{"version": 0}'
    assert routes.calls == 2  # another query is another answer
    routes.version = 1
    cache.written()
    assert await _get(app, READER) == b'{"version": 1}'
    assert routes.calls == 3


@pytest.mark.asyncio
async def test_a_credential_without_the_scope_never_gets_a_kept_answer() -> None:
    routes, cache = Routes(), ReadCache()
    app = ReadCacheMiddleware(routes, cache=cache)
    await _get(app, READER)
    await _get(app, OTHER)
    assert routes.calls == 2  # went to the routes, which refuse it


@pytest.mark.asyncio
async def test_a_read_overtaken_by_a_write_is_not_kept() -> None:
    routes, cache = Routes(), ReadCache()
    app = ReadCacheMiddleware(routes, cache=cache)
    routes.pause = asyncio.Event()
    slow = asyncio.create_task(_get(app, READER))
    await asyncio.sleep(0)
    cache.written()  # a write commits while the read is under way
    routes.pause.set()
    assert await slow == b'{"version": 0}'
    routes.pause = None
    routes.version = 1
    assert await _get(app, READER) == b'{"version": 1}'


@pytest.mark.asyncio
async def test_refusals_are_not_kept_and_nothing_without_announced_writes() -> None:
    routes = Routes()
    routes.status = 422
    app = ReadCacheMiddleware(routes, cache=ReadCache())
    await _get(app, READER)
    await _get(app, READER)
    assert routes.calls == 2
    off = ReadCacheMiddleware(Routes(), cache=ReadCache(enabled=False))
    await _get(off, READER)
    await _get(off, READER)
    assert isinstance(off.app, Routes) and off.app.calls == 2
