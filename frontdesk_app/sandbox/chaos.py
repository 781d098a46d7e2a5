"""Opt-in faults for testing clients: 500/503 answers, delays, connections cut mid-response.

A fault strikes before the handler (nothing happened) or after it (the write happened and its
answer is lost), so a client's retries and its offline queue meet the faults that matter.
It sits inside the front layer, so faulty answers still carry a request id and budget headers,
and outside idempotency, so a lost answer is replayed when the client retries with its key.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk_app.sandbox.config import ChaosSpec
from frontdesk_app.sandbox.problems import PROBLEM_MEDIA_TYPE, problem_body

log = logging.getLogger("frontdesk_app.sandbox.chaos")
Fault = Literal["error", "delay", "drop"]
# Documentation and streams stay clean: a stream cannot be buffered to be cut "after".
_SPARED_PATHS = ("/openapi.json", "/docs", "/redoc")
_STREAM_PATHS = ("/v1/events/stream",)


class ChaosMiddleware:
    """Rolls a die per request and, now and then, misbehaves as configured."""

    def __init__(self, app: ASGIApp, *, spec: ChaosSpec) -> None:
        self.app = app
        self.spec = spec
        self.random = random.Random(spec.seed)

    def _roll(self) -> tuple[Fault | None, Literal["before", "after"]]:
        r = self.random.random()
        fault: Fault | None = None
        if r < self.spec.error:
            fault = "error"
        elif r < self.spec.error + self.spec.delay:
            fault = "delay"
        elif r < self.spec.error + self.spec.delay + self.spec.drop:
            fault = "drop"
        phase = self.spec.phase
        if phase == "both":
            return fault, ("before" if self.random.random() < 0.5 else "after")
        return fault, phase

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_SPARED_PATHS):
            await self.app(scope, receive, send)
            return
        fault, phase = self._roll()
        if scope["path"].startswith(_STREAM_PATHS):
            phase = "before"
        if fault is None:
            await self.app(scope, receive, send)
            return
        log.info("chaos: %s %s", fault, phase)
        if fault == "delay":
            if phase == "before":
                await asyncio.sleep(self.spec.delay_seconds)
                await self.app(scope, receive, send)
            else:
                status, headers, body = await _run_buffered(self.app, scope, receive)
                await asyncio.sleep(self.spec.delay_seconds)
                await _send_whole(send, status, headers, body)
            return
        if phase == "after":
            status, headers, body = await _run_buffered(self.app, scope, receive)
        else:
            status, headers, body = 200, [(b"content-type", b"application/json")], b'{"data":[]}'
        if fault == "error":
            await self._error(send, scope)
        else:
            await _cut(send, status, headers, body)

    async def _error(self, send: Send, scope: Scope) -> None:
        status = self.random.choice((500, 503))
        state = scope.get("state") or {}
        body = problem_body(
            status=status,
            code="service_unavailable",
            detail="The sandbox is simulating a fault (chaos mode); retry later.",
            request_id=state.get("request_id"),
        )
        headers = [
            (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        if status == 503:
            headers.append((b"retry-after", b"1"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _run_buffered(
    app: ASGIApp, scope: Scope, receive: Receive
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    status = 500
    headers: list[tuple[bytes, bytes]] = []
    parts: list[bytes] = []

    async def capture(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    await app(scope, receive, capture)
    return status, headers, b"".join(parts)


async def _send_whole(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _cut(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    """Promise the whole body, send half, and stop: the server then closes the connection."""
    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body) + 1).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
