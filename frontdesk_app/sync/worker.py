"""`SyncDb`: the mirror database's sync work on one thread of its own, off the event loop.

One thread keeps the sync's transactions in the order they were asked for (a settled answer is
never overtaken by the next write of the same appointment) and never blocks the UI's loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy.orm import Session

from frontdesk_app.store.db import Store

R = TypeVar("R")


class SyncDb:
    """Runs functions of a `Session` in a write or read transaction on the sync thread."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="frontdesk-sync-db")
        self._closed = False

    async def write(self, fn: Callable[[Session], R]) -> R:
        """`fn(session)` in one `BEGIN IMMEDIATE` transaction, committed when it returns."""

        def work() -> R:
            with self.store.write() as session:
                return fn(session)

        return await self._submit(work)

    async def read(self, fn: Callable[[Session], R]) -> R:
        def work() -> R:
            with self.store.read() as session:
                return fn(session)

        return await self._submit(work)

    async def _submit(self, work: Callable[[], R]) -> R:
        if self._closed:
            raise RuntimeError("the sync database is closed")
        loop = asyncio.get_running_loop()
        call = functools.partial(contextvars.copy_context().run, work)
        return await loop.run_in_executor(self._pool, call)

    async def aclose(self) -> None:
        """Finish queued work and stop the thread (the store itself is closed by its owner)."""
        if self._closed:
            return
        self._closed = True
        await asyncio.to_thread(self._pool.shutdown, wait=True)
