"""Live clinic events for every panel, from whichever backend the window holds.

A backend with `add_event_listener` (LocalBackend, OfflineFirstBackend) pushes events after
each write; any other `Backend` is polled through `list_events` from the newest seq onwards.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.domain.models import Event

log = logging.getLogger(__name__)
EventListener = Callable[[list[Event]], None]
MAX_CATCH_UP_PAGES = 1000


@runtime_checkable
class EventPushSource(Protocol):
    def add_event_listener(self, listener: EventListener) -> Callable[[], None]: ...


class EventFeed:
    """Fans the backend's events out to panels: `unsubscribe = feed.subscribe(callback)`."""

    def __init__(self, backend: Backend, *, poll_interval: float = 2.0) -> None:
        self._backend = backend
        self._listeners: list[EventListener] = []
        self._poll_interval = poll_interval
        self._unsubscribe: Callable[[], None] | None = None
        self._task: asyncio.Task[None] | None = None
        self.last_seq = 0

    def subscribe(self, listener: EventListener) -> Callable[[], None]:
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def start(self) -> None:
        if isinstance(self._backend, EventPushSource):
            self._unsubscribe = self._backend.add_event_listener(self._dispatch)
        else:
            self._task = asyncio.ensure_future(self._poll())

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def _dispatch(self, events: list[Event]) -> None:
        if not events:
            return
        self.last_seq = max(self.last_seq, *(e.seq for e in events))
        for listener in list(self._listeners):
            try:
                listener(events)
            except Exception:  # one panel's bug must not starve the others of events
                log.exception("event listener failed")

    async def _poll(self) -> None:
        # Start from the newest event: the panels load their current state themselves.
        self.last_seq = await self._tail()
        delay = self._poll_interval
        while True:
            try:
                page = await self._backend.list_events(after=self.last_seq, limit=100)
            except FrontDeskError as exc:
                log.info("event poll failed: %s", exc.code)
                delay = min(delay * 2, 30.0)
                await asyncio.sleep(delay)
                continue
            delay = self._poll_interval
            events = [e for e in page.data if e.seq > self.last_seq]
            self._dispatch(events)
            if not page.next_cursor:
                await asyncio.sleep(self._poll_interval)

    async def _tail(self) -> int:
        seq = 0
        for _ in range(MAX_CATCH_UP_PAGES):
            try:
                page = await self._backend.list_events(after=seq, limit=100)
            except FrontDeskError:
                return seq
            if not page.data:
                return seq
            seq = max(e.seq for e in page.data)
            if not page.next_cursor:
                return seq
        return seq
