"""Simulated phone traffic: synthetic AI-handled calls arriving at a backend now and then.

`generate_call` and `SCENARIOS` (from `store.call_scripts`) make one call's transcript,
sentiment, intent and collected data; `CallSimulator` feeds such calls into a `Backend` at an
interval (the sandbox's `--simulate-calls`, the standalone demo), transferring some at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.domain.models import Call, SimulatedCallRequest
from frontdesk_app.store.call_scripts import SCENARIOS, generate_call

__all__ = ["SCENARIOS", "CallSimulator", "generate_call"]

log = logging.getLogger(__name__)


class CallSimulator:
    """Places a synthetic call every `interval` seconds (jittered) until stopped.

    `transfer_share` of the calls are transferred to a live agent as they arrive; the rest stay
    with the assistant (`ai_handling`) for the desk to transfer. `limit` bounds the number of
    calls (None: until `stop()`).
    """

    def __init__(
        self,
        backend: Backend,
        *,
        interval: float = 45.0,
        transfer_share: float = 0.5,
        limit: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self._backend = backend
        self._interval = interval
        self._transfer_share = transfer_share
        self._limit = limit
        self._rng = rng or random.Random()
        self._task: asyncio.Task[None] | None = None
        self.placed: list[Call] = []

    async def place_one(self) -> Call:
        """Place one call now."""
        request = SimulatedCallRequest(transfer=self._rng.random() < self._transfer_share)
        call = await self._backend.simulate_call(request)
        self.placed.append(call)
        return call

    async def run(self) -> None:
        """Place calls until the limit is reached or the task is cancelled."""
        while self._limit is None or len(self.placed) < self._limit:
            await asyncio.sleep(self._interval * self._rng.uniform(0.5, 1.5))
            try:
                await self.place_one()
            except FrontDeskError as exc:
                # A refusal (say, the store is busy with a migration) costs one call, not the loop.
                log.warning("simulated call refused: %s", exc.code)

    def start(self) -> asyncio.Task[None]:
        """Run in the background on the current event loop (keeps a strong reference)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.run())
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
