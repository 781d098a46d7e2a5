"""The store's threads: writes one at a time on a dedicated thread, each in one transaction with
its events (and its audit entry), announced to listeners once committed; reads on a small pool.
The caller's event loop never waits on SQLite. `LocalBackend` runs every operation through it.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import ParamSpec, TypeVar

from sqlalchemy.orm import Session

from frontdesk_app import runtime
from frontdesk_app.domain.models import Event
from frontdesk_app.local.appointment_ops import Outcome
from frontdesk_app.store.audit import AuditTrail
from frontdesk_app.store.db import Store
from frontdesk_app.store.repositories import events as events_repo

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
Clock = Callable[[], datetime]
EventListener = Callable[[list[Event]], None]
READ_THREADS = 4
# What an audited write records: (action, patient id, object id); see `store.audit`.
AuditNote = tuple[str, str | None, str | None]


class StoreThreads:
    """The store, its writer and readers, and who hears of committed writes."""

    def __init__(self, store: Store, *, clock: Clock, audit: AuditTrail | None) -> None:
        self.store = store
        # The desk's audit trail (None in the sandbox: a server audits its own callers).
        self.audit = audit
        self._clock = clock
        self._writer = ThreadPoolExecutor(
            1, thread_name_prefix="frontdesk-store-write", initializer=runtime.background_thread
        )
        self._readers = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="frontdesk-store-read")
        self._listeners: list[EventListener] = []
        self._closed = False

    def add_event_listener(self, callback: EventListener) -> Callable[[], None]:
        """Call `callback` on the event loop right after a write commits, with its events."""
        self._listeners.append(callback)

        def unsubscribe() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return unsubscribe

    async def _run(
        self, pool: ThreadPoolExecutor, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        if self._closed:
            raise RuntimeError("the backend is closed")
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        call = functools.partial(context.run, fn, *args, **kwargs)
        return await loop.run_in_executor(pool, call)

    async def _read(self, fn: Callable[[Session], R]) -> R:
        def work() -> R:
            with self.store.read() as session:
                return fn(session)

        return await self._run(self._readers, work)

    async def _write(
        self,
        fn: Callable[[Session, datetime], Outcome[R]],
        note: Callable[[Outcome[R]], AuditNote | None] | None = None,
    ) -> R:
        """Run `fn` and append its events (and `note`'s audit entry) in one transaction, then
        tell the listeners.

        The listeners are scheduled on the caller's loop from the write thread as soon as the
        transaction commits, before the caller resumes, and even when the caller was
        cancelled meanwhile: a committed write is always announced.
        """
        loop = asyncio.get_running_loop()

        def work() -> R:
            now = self._clock()
            with self.store.write() as session:
                outcome = fn(session, now)
                appended = events_repo.append(session, outcome.events, now=now)
                noted = note(outcome) if note is not None and self.audit is not None else None
                if noted is not None and self.audit is not None:
                    action, patient_id, object_id = noted
                    self.audit.record(session, action, patient_id=patient_id, object_id=object_id)
            if appended:
                try:
                    loop.call_soon_threadsafe(self._notify, appended)
                except RuntimeError:
                    log.warning("event loop closed; %d events not announced", len(appended))
            return outcome.result

        return await self._run(self._writer, work)

    async def _note(self, action: str, patient_id: str | None, object_id: str | None) -> None:
        """Record a lookup in the audit log (on the write thread: reads never write)."""
        audit = self.audit
        if audit is None:
            return

        def work() -> None:
            with self.store.write() as session:
                audit.record(session, action, patient_id=patient_id, object_id=object_id)

        await self._run(self._writer, work)

    def _notify(self, appended: list[Event]) -> None:
        for listener in list(self._listeners):
            try:
                listener(appended)
            except Exception:
                # A listener's bug must not undo or fail a write that has already committed.
                log.exception("event listener failed")

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._listeners.clear()
        await asyncio.to_thread(self._shutdown)

    def _shutdown(self) -> None:
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        self.store.close()
