"""The sync engine's thread: one asyncio loop of its own, next to (never inside) the GUI's.

Everything that talks to the network or commits the sync database runs here (see
`domain/threads.py`): `ApiBackend`, the replayer, the event stream, the mirror puller,
connectivity. Other threads hand it coroutines with `run()` (awaitable from their own loop, as
Electrum's GUI reaches its network thread) or callables with `call_soon()`. The loop is uvloop's
where installed (faster, and its own C loop does not share Qt's event dispatch).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from frontdesk_app import runtime
from frontdesk_app.domain import threads

log = logging.getLogger(__name__)
T = TypeVar("T")
STOP_TIMEOUT = 30.0


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


class Engine:
    """`start()`, then `await run(coro)` from any other thread's loop; `await stop()` at the end."""

    def __init__(self, *, name: str = "frontdesk-engine") -> None:
        self._name = name
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("the engine is not running")
        return self._loop

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> Engine:
        if self._thread is not None:
            return self
        runtime.share_the_gil()  # the window's thread shares the GIL with this one
        self._thread = threading.Thread(target=self._main, name=self._name, daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the sync engine's thread did not start")
        return self

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run `coro` on the engine's loop; a thread-safe future of its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await `coro`, run on the engine's loop, from the caller's loop (cancelling the
        caller's await cancels it there too)."""
        return await asyncio.wrap_future(self.submit(coro))

    def call_soon(self, callback: Callable[..., object], *args: object) -> None:
        self.loop.call_soon_threadsafe(callback, *args)

    async def stop(self) -> None:
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        with contextlib.suppress(RuntimeError):  # already closed
            loop.call_soon_threadsafe(loop.stop)
        await asyncio.to_thread(thread.join, STOP_TIMEOUT)
        if thread.is_alive():
            log.error("the sync engine's thread did not stop within %s s", STOP_TIMEOUT)
        self._thread = None

    # --- the thread ---------------------------------------------------------------------------

    def _main(self) -> None:
        loop = _new_loop()
        asyncio.set_event_loop(loop)
        threads.mark("engine")
        runtime.background_thread()
        self._loop = loop
        runtime.GUI_TURN.attach(loop)  # steps aside while the window works
        self._ready.set()
        try:
            loop.run_forever()
            # Whatever is still running when the loop is asked to stop is cancelled and
            # awaited, so nothing is left half-done with a closed loop under it.
            pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            runtime.GUI_TURN.detach(loop)
            threads.unmark()
            asyncio.set_event_loop(None)
            loop.close()
