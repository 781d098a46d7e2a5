"""Helpers for the API client's unit tests: a scripted `httpx.MockTransport` and problem bodies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest_asyncio

from frontdesk_app.api import ApiBackend, ApiKey, RetryPolicy

BASE = "https://api.test.example"
KEY = "fdk_test_unitkey0123456789"

Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]

# Fast but real backoff: the policy's arithmetic is tested on its own.
FAST = RetryPolicy(attempts=4, deadline=5.0, initial_wait=0.001, max_wait=0.005, jitter=0.0)


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body = {
        "type": f"https://api.frontdeskos.co/problems/{code}",
        "title": code.replace("_", " "),
        "status": status,
        "detail": detail,
        "code": code,
        "errors": errors or [],
        "request_id": "req_body123",
    }
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"content-type": "application/problem+json", **(headers or {})},
    )


def ok(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


class Recorder:
    """A MockTransport that records every request and answers from a handler."""

    def __init__(self, handler: Handler) -> None:
        self.requests: list[httpx.Request] = []
        self._handler = handler
        self.transport = httpx.MockTransport(self._handle)

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        result = self._handler(request)
        if isinstance(result, httpx.Response):
            return result
        return await result

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]


@pytest_asyncio.fixture
async def make_api() -> AsyncIterator[Callable[..., ApiBackend]]:
    made: list[ApiBackend] = []

    def factory(handler: Handler, **options: Any) -> ApiBackend:
        recorder = handler if isinstance(handler, Recorder) else Recorder(handler)
        options.setdefault("credentials", ApiKey(KEY))
        options.setdefault("retry", FAST)
        api = ApiBackend(base_url=BASE, transport=recorder.transport, **options)
        made.append(api)
        return api

    yield factory
    for api in made:
        await api.aclose()
