"""Client-side pacing fed by `X-RateLimit-*`, so a burst of writes stays under the server's budget.

The server keeps a token bucket per credential and tells us, on every response, its size
(`X-RateLimit-Limit`), what is left (`X-RateLimit-Remaining`) and when it is full again
(`X-RateLimit-Reset`, Unix seconds). We keep a mirror of that bucket: each request spends a
token, the bucket refills at the rate the headers imply, and a request that finds it empty
waits its turn (first come, first served) instead of drawing a 429. The mirror is re-synced
from every answer, counting requests still in flight as spent, so it errs on the slow side.

A 429 (which pacing should make rare) pauses every sender until its `Retry-After`. The
current state is published as an observable `RateBudget` for the status bar.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

import httpx

from frontdesk_app.api.observable import Observable
from frontdesk_app.domain import clock

# The API's budgets are "requests a minute" (API.md): without better evidence from the reset
# header, a budget of L refills at L/60 per second.
DEFAULT_WINDOW_SECONDS = 60.0
# Pace a little under the rate the headers imply: `X-RateLimit-Reset` is rounded to a second.
_SAFETY = 0.9


@dataclass(frozen=True, slots=True)
class RateBudget:
    """What the server last said about this credential's budget, and what the client is doing."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None  # Unix seconds when the budget is full again
    paused_until: float | None = None  # Unix seconds: after a 429 nothing is sent before
    pacing: bool = False  # requests are being spaced out to stay under the limit
    rejected: int = 0  # 429 answers seen since the client started

    @property
    def known(self) -> bool:
        return self.limit is not None and self.remaining is not None

    @property
    def fraction_left(self) -> float | None:
        """0.0–1.0 of the budget left, or None before the first answer."""
        if self.limit is None or self.remaining is None or self.limit <= 0:
            return None
        return max(0.0, min(1.0, self.remaining / self.limit))


def _header_number(headers: httpx.Headers, name: str) -> float | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


class RateLimiter:
    """The local mirror of the server's token bucket; one per credential (one per ApiBackend)."""

    def __init__(
        self,
        *,
        window: float = DEFAULT_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = clock.now_timestamp,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._window = window
        self._clock = clock
        self._wall = wall_clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._tokens: float | None = None  # None until the server told us its budget
        self._capacity = 0.0
        self._rate = 0.0  # tokens per second
        self._stamp = clock()
        self._paused_until = 0.0  # monotonic
        self._outstanding = 0
        self.budget: Observable[RateBudget] = Observable(RateBudget())

    @property
    def rate(self) -> float:
        """The refill rate (requests per second) the client paces at; 0 while unknown."""
        return self._rate

    @property
    def tokens(self) -> float | None:
        """The requests the client believes it may still send at once; None while unknown."""
        if self._tokens is None:
            return None
        self._refill(self._clock())
        return self._tokens

    def _refill(self, now: float) -> None:
        if self._tokens is not None and now > self._stamp:
            self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = max(self._stamp, now)

    def _wait_needed(self, now: float) -> float:
        if self._paused_until > now:
            return self._paused_until - now
        if self._tokens is None or self._rate <= 0:
            return 0.0
        self._refill(now)
        # Rounding must not leave a waiter sleeping for 1e-17 s forever.
        if self._tokens >= 1.0 - 1e-6:
            return 0.0
        return max(1e-3, (1.0 - self._tokens) / self._rate)

    async def acquire(self) -> None:
        """Wait until a request may be sent, then count it as in flight. Pair with `release`."""
        # One waiter at a time, in arrival order, so queued writes leave in the order they
        # were made and a later request cannot overtake an earlier one in the wait.
        async with self._lock:
            while (wait := self._wait_needed(self._clock())) > 0:
                self._publish(pacing=True)
                await self._sleep(wait)
            if self._tokens is not None:
                self._tokens -= 1.0
            self._outstanding += 1
            if self.budget.value.pacing:
                self._publish(pacing=False)

    def release(self) -> None:
        """The request is over (answered or failed); it no longer counts as in flight."""
        self._outstanding = max(0, self._outstanding - 1)

    def observe(self, headers: httpx.Headers) -> None:
        """Re-sync the mirror from a response's `X-RateLimit-*` headers (before `release`)."""
        limit = _header_number(headers, "x-ratelimit-limit")
        remaining = _header_number(headers, "x-ratelimit-remaining")
        if limit is None or remaining is None or limit <= 0:
            return
        reset = _header_number(headers, "x-ratelimit-reset")
        now = self._clock()
        self._capacity = limit
        self._rate = self._estimate_rate(limit, remaining, reset)
        # Requests sent after this one and not answered yet may not be counted in `remaining`.
        self._tokens = max(0.0, remaining - max(0, self._outstanding - 1))
        self._stamp = now
        self._publish(limit=int(limit), remaining=int(remaining), reset_at=reset)

    def _estimate_rate(self, limit: float, remaining: float, reset: float | None) -> float:
        rate = limit / self._window
        if reset is None:
            return rate * _SAFETY
        deficit = limit - remaining
        to_full = reset - self._wall()
        # "Full again in t seconds with d tokens missing" means a refill of d/t per second.
        # Trusted only when t is long enough that the header's rounding to a second cannot
        # inflate it much, and only to go faster than the documented per-minute budget: a
        # reset far in the future (a wrong server clock) must not stall the client.
        if deficit >= 1 and to_full >= 2.0:
            rate = max(rate, deficit / to_full)
        return max(rate * _SAFETY, 1e-3)

    def pause(self, seconds: float | None) -> None:
        """The server answered 429: nobody sends before `Retry-After` has passed."""
        wait = 1.0 if seconds is None else max(0.0, seconds)
        now = self._clock()
        self._paused_until = max(self._paused_until, now + wait)
        if self._tokens is not None:
            self._tokens = 0.0
            self._stamp = now
        current = self.budget.value
        self.budget.set(
            replace(current, paused_until=self._wall() + wait, rejected=current.rejected + 1)
        )

    def _publish(
        self,
        *,
        pacing: bool | None = None,
        limit: int | None = None,
        remaining: int | None = None,
        reset_at: float | None = None,
    ) -> None:
        current = self.budget.value
        paused = current.paused_until
        if paused is not None and paused <= self._wall():
            paused = None
        self.budget.set(
            replace(
                current,
                pacing=current.pacing if pacing is None else pacing,
                limit=current.limit if limit is None else limit,
                remaining=current.remaining if remaining is None else remaining,
                reset_at=current.reset_at if reset_at is None else reset_at,
                paused_until=paused,
            )
        )
