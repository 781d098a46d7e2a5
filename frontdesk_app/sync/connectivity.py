"""Is the API reachable? Judged from request outcomes, confirmed by a cheap probe with backoff.

Any request that fails for lack of a connection marks the desk offline at once; while offline a
background task probes with exponential backoff (plus jitter, so that every desk of a clinic does
not knock at the same instant when the line comes back) until a probe answers.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from frontdesk_app.domain.errors import FrontDeskError, Offline
from frontdesk_app.sync.failures import classify, describe

log = logging.getLogger(__name__)

Probe = Callable[[], Awaitable[object]]
ChangeListener = Callable[[bool, str | None], None]
# Server errors in a row after which the server counts as down even though it answers.
SERVER_FAILURES_OFFLINE = 3


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential delays `initial · factor^n`, capped, each shortened by up to `jitter`."""

    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    jitter: float = 0.2

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """The wait before retry number `attempt` (0 for the first retry)."""
        base = min(self.maximum, self.initial * self.factor ** max(0, attempt))
        if self.jitter <= 0:
            return base
        spread = (rng or random).random() * self.jitter
        return base * (1.0 - spread)


class ConnectivityMonitor:
    """Tracks reachability; `report_*` feed it outcomes, a probe loop runs while offline."""

    def __init__(
        self,
        probe: Probe,
        *,
        backoff: Backoff | None = None,
        probe_timeout: float = 5.0,
        rng: random.Random | None = None,
    ) -> None:
        self._probe = probe
        self._backoff = backoff or Backoff()
        self._probe_timeout = probe_timeout
        self._rng = rng or random.Random()
        self._online = False
        self._known = False  # until the first answer or failure: then listeners hear either
        self._detail: str | None = None
        self._server_failures = 0
        self._listeners: list[ChangeListener] = []
        self._wake = asyncio.Event()
        self._online_event = asyncio.Event()
        self._down_event = asyncio.Event()  # set while found unreachable
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.probes = 0  # how many probes ran: tests check backoff bounds with it

    @property
    def online(self) -> bool:
        return self._online

    @property
    def detail(self) -> str | None:
        """Why the API is unreachable, when that is more than "no connection"."""
        return self._detail

    def add_listener(self, listener: ChangeListener) -> Callable[[], None]:
        """`listener(online, detail)` on every change; returns the unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def start(self) -> None:
        """Begin probing (at once, then with backoff while unreachable)."""
        if self._task is None and not self._closed:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="frontdesk-connectivity"
            )

    async def aclose(self) -> None:
        self._closed = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def report_success(self) -> None:
        """A request got an answer from the server (a refusal counts: the server is there)."""
        self._server_failures = 0
        self._set(online=True, detail=None)

    def report_failure(self, exc: BaseException) -> None:
        """A request failed; only failures that mean "unreachable" change the state."""
        kind = classify(exc)
        if kind == "refusal":
            self.report_success()
        elif kind == "network":
            self._set(online=False, detail=None)
        elif kind == "auth":
            _code, message = describe(exc)
            self._set(online=False, detail=message)
        elif isinstance(exc, FrontDeskError) and exc.status >= 500:
            self._server_failures += 1
            if self._server_failures >= SERVER_FAILURES_OFFLINE:
                self._set(online=False, detail="The server is having problems.")

    def check_now(self) -> None:
        """Probe at once instead of waiting out the backoff (a person pressed "retry")."""
        self._wake.set()

    async def wait_online(self, within: float | None = None) -> bool:
        """Wait until reachable, at most `within` seconds; True if online."""
        if self._online:
            return True
        try:
            await asyncio.wait_for(self._online_event.wait(), within)
        except TimeoutError:
            return self._online
        return True

    async def wait_found_down(self) -> None:
        """Until a probe or a request finds the server unreachable (at once if it is so)."""
        await self._down_event.wait()

    def _set(self, *, online: bool, detail: str | None) -> None:
        if online:
            self._online_event.set()
            self._down_event.clear()
        else:
            self._online_event.clear()
            self._down_event.set()
            if self._online:
                self._wake.set()  # just went down: the probe loop takes over
        if self._known and online == self._online and detail == self._detail:
            return
        self._online, self._detail, self._known = online, detail, True
        log.info(
            "API %s%s", "reachable" if online else "unreachable", f" ({detail})" if detail else ""
        )
        for listener in list(self._listeners):
            try:
                listener(online, detail)
            except Exception:
                log.exception("connectivity listener failed")

    async def _run(self) -> None:
        attempt = 0
        while not self._closed:
            if self._online:
                # Nothing to do while requests succeed: their outcomes keep the state honest.
                self._wake.clear()
                await self._wake.wait()
                attempt = 0
                continue
            self.probes += 1
            try:
                await asyncio.wait_for(self._probe(), self._probe_timeout)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.report_failure(exc if classify(exc) != "transient" else _as_down(exc))
            else:
                self.report_success()
                attempt = 0
                continue
            delay = self._backoff.delay(attempt, self._rng)
            attempt += 1
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
                attempt = 0  # woken on purpose: probe now and start the backoff over
            except TimeoutError:
                pass


def _as_down(exc: BaseException) -> BaseException:
    # A probe that fails with a server error keeps the desk offline: the probe is the only
    # evidence we have while nothing else is sent.
    down = Offline("The FrontDeskOS server is not answering properly.")
    down.__cause__ = exc
    return down
