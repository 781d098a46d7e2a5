"""The live event feed: every event exactly once, in `seq` order, across any disconnect.

`/v1/events/stream` (Server-Sent Events, `id:` = seq) is the fast path. httpx-sse does not
reconnect, so we do: after a drop, a server restart or a silent connection (no byte, not even
the 15 s heartbeat, within the read timeout) the stream is reopened with `Last-Event-ID` set to
the last seq delivered. While it cannot be opened, `/v1/events?after=` pages catch up instead,
and where streaming is not offered at all (a proxy that buffers, a 404) paging becomes a poll.
Both paths drop any event whose seq is not above the last one delivered, so neither a replayed
event nor an overlap between stream and pages is ever delivered twice.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Literal

import httpx
import pydantic
from httpx_sse import EventSource, SSEError

from frontdesk_app.api.errors import ProtocolError, error_from_response
from frontdesk_app.api.http import STREAM_READ_TIMEOUT, HttpSession
from frontdesk_app.api.observable import Observable
from frontdesk_app.api.retry import RetryPolicy
from frontdesk_app.domain import clock
from frontdesk_app.domain.errors import (
    AuthenticationFailed,
    FrontDeskError,
    InsufficientScope,
)
from frontdesk_app.domain.models import Event, Page

log = logging.getLogger(__name__)

StreamState = Literal["connecting", "streaming", "polling", "offline", "closed"]

STREAM_PATH = "/v1/events/stream"
PAGE_PATH = "/v1/events"
# Answers that mean "no streaming here", as opposed to "streaming failed this time".
_NO_STREAM_STATUSES = frozenset({404, 405, 406, 501})
# Catch-up pages fail fast: the reconnect loop is the retry.
_CATCH_UP_POLICY = RetryPolicy(attempts=1, deadline=30.0)
_PAGES_PER_ROUND = 1000


class _StreamUnsupported(Exception):
    """The server answered the stream request with something that is not an event stream."""


class EventStream:
    """An async iterator of `Event`s after `after_seq`; it ends only when closed.

    `last_seq` is the seq of the last event delivered (persist it to resume next time);
    `state` tells a status bar whether events arrive live, by polling, or not at all;
    `reconnects` counts the stream's re-openings after the first.
    Errors that waiting cannot fix (revoked credentials, a missing scope, an event the client
    cannot parse) end the iteration by raising.
    """

    def __init__(
        self,
        session: HttpSession,
        *,
        after_seq: int = 0,
        read_timeout: float = STREAM_READ_TIMEOUT,
        page_size: int = 100,
        poll_interval: float = 2.0,
        max_backoff: float = 10.0,
        stream_retry_interval: float = 60.0,
    ) -> None:
        self._session = session
        self.last_seq = after_seq
        self._read_timeout = read_timeout
        self._page_size = page_size
        self._poll_interval = poll_interval
        self._max_backoff = max_backoff
        self._stream_retry_interval = stream_retry_interval
        self.state: Observable[StreamState] = Observable("connecting")
        self.reconnects = 0
        self._generator: AsyncGenerator[Event, None] | None = None
        self._connected = False

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        if self._generator is None:
            self._generator = self._run()
        return await self._generator.__anext__()

    async def aclose(self) -> None:
        if self._generator is not None:
            await self._generator.aclose()
        self.state.set("closed")

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _accept(self, event: Event) -> bool:
        if event.seq <= self.last_seq:
            return False
        self.last_seq = event.seq
        return True

    async def _run(self) -> AsyncGenerator[Event, None]:
        failures = 0
        streaming_offered = True
        next_stream_try = 0.0
        opened = False
        while True:
            if streaming_offered or time.monotonic() >= next_stream_try:
                if opened:
                    self.reconnects += 1
                opened = True
                self.state.set("connecting")
                self._connected = False
                delivered = 0
                try:
                    async for event in self._stream():
                        delivered += 1
                        yield event
                except _StreamUnsupported:
                    log.info("event streaming is not offered; polling %s instead", PAGE_PATH)
                    streaming_offered = False
                    next_stream_try = time.monotonic() + self._stream_retry_interval
                except (AuthenticationFailed, InsufficientScope):
                    raise
                except (httpx.TransportError, SSEError, FrontDeskError) as exc:
                    log.info("event stream interrupted (%s); resuming", type(exc).__name__)
                if self._connected:
                    streaming_offered = True  # it works (again, if we were polling)
                if streaming_offered and self._connected and delivered:
                    # A working stream dropped: reopen it at once from the last seq.
                    failures = 0
                    continue
                if streaming_offered:
                    failures += 1
            # The stream could not be opened (or gave nothing): pages deliver what it missed.
            try:
                async for event in self._catch_up():
                    yield event
                if not streaming_offered:
                    self.state.set("polling")
            except (AuthenticationFailed, InsufficientScope):
                raise
            except FrontDeskError:
                self.state.set("offline")
            await asyncio.sleep(self._delay(failures, streaming_offered))

    def _delay(self, failures: int, streaming_offered: bool) -> float:
        if not streaming_offered:
            return self._poll_interval
        if failures <= 0:
            return 0.0
        base = min(self._max_backoff, 0.25 * 2.0 ** (failures - 1))
        return base * (0.5 + random.random() / 2)

    async def _stream(self) -> AsyncGenerator[Event, None]:
        session = self._session
        authorization = await session.auth.authorization()
        timeout = session.client.timeout
        for try_number in (1, 2):
            await session.limiter.acquire()
            released = False
            try:
                async with session.client.stream(
                    "GET",
                    STREAM_PATH,
                    headers={
                        "Accept": "text/event-stream",
                        "Cache-Control": "no-store",
                        "Last-Event-ID": str(self.last_seq),
                        "Authorization": authorization,
                    },
                    timeout=httpx.Timeout(
                        connect=timeout.connect,
                        read=self._read_timeout,
                        write=timeout.write,
                        pool=timeout.pool,
                    ),
                ) as response:
                    session.limiter.observe(response.headers)
                    session.limiter.release()
                    released = True
                    if response.status_code == 401 and try_number == 1:
                        fresher = await session.auth.renew(authorization)
                        if fresher is not None:
                            authorization = fresher
                            continue
                    if response.status_code in _NO_STREAM_STATUSES:
                        raise _StreamUnsupported
                    if response.status_code >= 400:
                        await response.aread()
                        error = error_from_response(response, now=clock.now_timestamp())
                        if response.status_code == 429:
                            session.limiter.pause(error.retry_after)
                        raise error
                    content_type = response.headers.get("content-type", "")
                    if "text/event-stream" not in content_type.lower():
                        raise _StreamUnsupported
                    self._connected = True
                    self.state.set("streaming")
                    async for sse in EventSource(response).aiter_sse():
                        if not sse.data:
                            continue
                        event = _parse(sse.data)
                        if self._accept(event):
                            yield event
                    return
            finally:
                if not released:
                    session.limiter.release()

    async def _catch_up(self) -> AsyncGenerator[Event, None]:
        for _ in range(_PAGES_PER_ROUND):
            response = await self._session.request(
                "GET",
                PAGE_PATH,
                params={"after": self.last_seq, "limit": self._page_size},
                retry=_CATCH_UP_POLICY,
            )
            page = _parse_page(response)
            delivered = 0
            for event in sorted(page.data, key=lambda e: e.seq):
                if self._accept(event):
                    delivered += 1
                    yield event
            if delivered == 0 or (page.next_cursor is None and len(page.data) < self._page_size):
                return


def _parse(data: str) -> Event:
    try:
        return Event.model_validate_json(data)
    except pydantic.ValidationError:
        raise ProtocolError("the event stream sent an event the client cannot read") from None


def _parse_page(response: httpx.Response) -> Page[Event]:
    try:
        return Page[Event].model_validate_json(response.content)
    except pydantic.ValidationError:
        raise ProtocolError("the events page is not in the expected form") from None
