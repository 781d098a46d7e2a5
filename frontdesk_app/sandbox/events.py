"""The event log as a catch-up page and as a Server-Sent Events stream that resumes by seq.

Streams always read from the backend's event table; the backend's listener only wakes them.
So an event committed while a stream was busy, or before it connected, is never missed, and
resuming after `Last-Event-ID` never repeats one (seq is the table's monotonic order).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterable

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import FieldError, ValidationFailed
from frontdesk_app.domain.models import Event

# What a credential must hold to see an event of a type (by the type's first word).
_EVENT_SCOPES = {
    "appointment": "appointments:read",
    "patient": "appointments:read",
    "transfer": "calls",
    "agent": "calls",
}
STREAM_PAGE = 200


def required_scope(event_type: str) -> str | None:
    return _EVENT_SCOPES.get(event_type.partition(".")[0])


def visible(event: Event, scopes: frozenset[str]) -> bool:
    needed = required_scope(event.type)
    return needed is None or needed in scopes


def filter_visible(events: Iterable[Event], scopes: frozenset[str]) -> list[Event]:
    return [e for e in events if visible(e, scopes)]


class EventHub:
    """Wakes every waiting stream (and the webhook dispatcher) when the backend commits events."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Event] = set()
        self._closed = asyncio.Event()
        self._unsubscribe: Callable[[], None] | None = None

    def attach(
        self, add_listener: Callable[[Callable[[list[Event]], None]], Callable[[], None]]
    ) -> None:
        self._unsubscribe = add_listener(self._on_events)

    def _on_events(self, _events: list[Event]) -> None:
        for waiter in self._waiters:
            waiter.set()

    def register(self) -> asyncio.Event:
        waiter = asyncio.Event()
        self._waiters.add(waiter)
        return waiter

    def unregister(self, waiter: asyncio.Event) -> None:
        self._waiters.discard(waiter)

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self) -> None:
        """End every stream (server stopping): clients resume elsewhere with Last-Event-ID."""
        self._closed.set()
        for waiter in self._waiters:
            waiter.set()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


def format_sse(event: Event) -> bytes:
    data = json.dumps(event.model_dump(mode="json"), separators=(",", ":"))
    return f"id: {event.seq}\nevent: {event.type}\ndata: {data}\n\n".encode()


class BadLastEventId(ValidationFailed):
    """`Last-Event-ID` that is not an event seq: refused, never read as 0 (the whole stream)."""

    status = 400


def parse_last_event_id(value: str | None) -> int | None:
    """`Last-Event-ID` as a seq; absent or empty (an SSE client's reset) means none."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise BadLastEventId(
            "Last-Event-ID must be the seq of an event: a whole number, 0 or more.",
            errors=[FieldError("Last-Event-ID", "Use a whole number, 0 or more.")],
        )
    return int(text)


async def stream_events(
    backend: Backend,
    hub: EventHub,
    *,
    after: int,
    scopes: frozenset[str],
    heartbeat_seconds: float,
) -> AsyncIterator[bytes]:
    """SSE frames: every event after `after` the caller may see, then live ones as they come."""
    waiter = hub.register()
    last = after
    try:
        # Comments end with one newline, not a blank line: a blank line dispatches an event,
        # and some clients (httpx-sse) then hand out an empty one carrying the last id.
        yield b": connected\n"
        while not hub.closed:
            # Cleared before the read: a commit during the read sets it again, so no gap.
            waiter.clear()
            page = await backend.list_events(after=last, limit=STREAM_PAGE)
            for event in page.data:
                last = event.seq
                if visible(event, scopes):
                    yield format_sse(event)
            if page.data:
                continue
            try:
                await asyncio.wait_for(waiter.wait(), timeout=heartbeat_seconds)
            except TimeoutError:
                yield b": heartbeat\n"
    finally:
        hub.unregister(waiter)
