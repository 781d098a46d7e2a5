"""`SyncDb`: the mirror database's sync work on one thread of its own, off the event loop.

One thread keeps the sync's transactions in the order they were asked for (a settled answer is
never overtaken by the next write of the same appointment) and never blocks the UI's loop.
Writes asked for while the thread is busy are committed together (group commit): each runs in
its own savepoint, so one that fails is undone alone, and a burst of settled answers during a
drain pays for one `fsync` instead of one each.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from frontdesk_app import runtime
from frontdesk_app.store.db import Store

R = TypeVar("R")
# The most writes one commit takes: bounds the time a batch holds the write lock.
MAX_BATCH = 200


@dataclass(slots=True)
class _Job:
    fn: Callable[[Session], Any]
    future: asyncio.Future[Any]
    context: contextvars.Context


class SyncDb:
    """Runs functions of a `Session` in a write or read transaction on the sync thread."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pool = ThreadPoolExecutor(
            1, thread_name_prefix="frontdesk-sync-db", initializer=runtime.background_thread
        )
        self._queue: list[_Job] = []
        self._writer: asyncio.Task[None] | None = None
        self._closed = False
        self.commits = 0  # write transactions committed (the benchmark reads it)

    async def write(self, fn: Callable[[Session], R]) -> R:
        """`fn(session)` in a `BEGIN IMMEDIATE` transaction, committed before this returns.

        An exception from `fn` undoes `fn`'s changes only and is raised here.
        """
        if self._closed:
            raise RuntimeError("the sync database is closed")
        loop = asyncio.get_running_loop()
        job = _Job(fn, loop.create_future(), contextvars.copy_context())
        self._queue.append(job)
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._drain(), name="frontdesk-sync-db-writer")
        result: R = await asyncio.shield(job.future)
        return result

    async def read(self, fn: Callable[[Session], R]) -> R:
        def work() -> R:
            with self.store.read() as session:
                return fn(session)

        return await self._submit(work)

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                outcomes = await loop.run_in_executor(self._pool, self._commit, batch)
            except BaseException as exc:
                # The commit itself failed: nothing of the batch is stored.
                for job in batch:
                    if not job.future.done():
                        job.future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for job, (ok, value) in zip(batch, outcomes, strict=True):
                if job.future.done():
                    continue
                if ok:
                    job.future.set_result(value)
                else:
                    job.future.set_exception(value)

    def _commit(self, batch: list[_Job]) -> list[tuple[bool, Any]]:
        outcomes: list[tuple[bool, Any]] = []
        with self.store.write() as session:
            for job in batch:
                runtime.GUI_TURN.step_aside()  # between two writes, while the window works
                try:
                    with session.begin_nested():
                        outcomes.append((True, job.context.run(job.fn, session)))
                except Exception as exc:
                    outcomes.append((False, exc))
                # Jobs mix ORM and Core statements: the next one loads rows afresh.
                session.expunge_all()
        self.commits += 1
        return outcomes

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
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)
        await asyncio.to_thread(self._pool.shutdown, wait=True)
