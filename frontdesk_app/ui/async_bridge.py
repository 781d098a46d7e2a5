"""Run backend coroutines from Qt slots on the qasync loop, never blocking the window.

Tasks are kept in a set until done (the loop holds only weak references, so an unreferenced
task can vanish mid-flight); failures go to the error sink unless the caller handles them;
anything still running after a moment turns on the busy indicator.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from frontdesk_app.ui.errors import ErrorSink

T = TypeVar("T")
log = logging.getLogger(__name__)


def _owner_of(callback: object) -> QObject | None:
    target = getattr(callback, "__self__", None)
    return target if isinstance(target, QObject) else None


class AsyncBridge(QObject):
    """`bridge.run(backend.list_providers(), on_success=self.on_providers_loaded)`."""

    busy_changed = Signal(bool, str)  # busy, label of the oldest slow task

    def __init__(self, errors: ErrorSink, *, busy_delay_ms: int = 250) -> None:
        super().__init__()
        self.errors = errors
        self._tasks: set[asyncio.Task[Any]] = set()
        self._busy: dict[asyncio.Task[Any], str] = {}
        self._shown = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(busy_delay_ms)
        self._timer.timeout.connect(self._on_timer_timeout)

    def run(
        self,
        coro: Coroutine[Any, Any, T],
        *,
        on_success: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], bool] | None = None,
        where: object | None = None,
        busy: str | None = None,
        context: str = "",
        owner: QObject | None = None,
    ) -> asyncio.Task[T]:
        """Start `coro`; `on_error` returns True when it dealt with the error itself.

        The callbacks are skipped once their `owner` (by default the QObject whose bound
        method `on_success` is) has been deleted: a dialog closed while its request was in
        flight must not be touched when the answer arrives.
        """
        task: asyncio.Task[T] = asyncio.ensure_future(coro)
        owners = [o for o in (owner, _owner_of(on_success), _owner_of(on_error)) if o is not None]
        self._tasks.add(task)
        if busy:
            self._busy[task] = busy
            if not self._timer.isActive() and not self._shown:
                self._timer.start()

        def done(finished: asyncio.Task[T]) -> None:
            self._tasks.discard(finished)
            if self._busy.pop(finished, None) is not None:
                self._update_busy()
            if finished.cancelled():
                return
            if any(not shiboken6.isValid(o) for o in owners):
                if finished.exception() is not None:
                    log.info("an answer arrived for a closed window (%s)", context or "work")
                return
            exc = finished.exception()
            if exc is not None:
                if on_error is not None and self._call_safely(on_error, exc, context):
                    return
                self.errors.report(exc, where=where, context=context)
                return
            if on_success is not None:
                self._call_safely(on_success, finished.result(), context)

        task.add_done_callback(done)
        return task

    def _call_safely(self, callback: Callable[[Any], Any], value: Any, context: str) -> bool:
        try:
            return bool(callback(value))
        except Exception as exc:  # a bug in a callback must still reach the person
            self.errors.report(exc, context=context)
            return True

    def _on_timer_timeout(self) -> None:
        self._update_busy()

    def _update_busy(self) -> None:
        busy = bool(self._busy)
        label = next(iter(self._busy.values()), "")
        if busy and not self._timer.isActive():
            self._shown = True
            self.busy_changed.emit(True, label)
        elif not busy:
            self._timer.stop()
            if self._shown:
                self._shown = False
                self.busy_changed.emit(False, "")

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    async def wait_idle(self) -> None:
        """Wait until no task is running; callers bound it with `asyncio.timeout`."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))
