"""A token bucket per credential: bursts up to the bucket size, refilled at the budget a minute."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from frontdesk_app.domain import clock


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome for one request and the numbers its `X-RateLimit-*` headers report."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: int  # Unix seconds when the bucket is full again
    retry_after: int  # seconds until one request is allowed (0 when allowed)

    def headers(self) -> list[tuple[bytes, bytes]]:
        out = [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", str(self.reset_at).encode()),
        ]
        if not self.allowed:
            out.append((b"retry-after", str(self.retry_after).encode()))
        return out


class _Bucket:
    __slots__ = ("tokens", "updated")

    def __init__(self, tokens: float, updated: float) -> None:
        self.tokens = tokens
        self.updated = updated


class RateLimiter:
    """`limit_per_min` requests a minute per key, at most `burst` at once.

    Single-threaded by design (it lives on the server's event loop), so no lock is needed.
    """

    # Idle buckets are forgotten once full, so a stream of one-off callers cannot grow memory.
    _SWEEP_EVERY = 4096

    def __init__(
        self,
        limit_per_min: int,
        *,
        burst: int | None = None,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = clock.now_timestamp,
    ) -> None:
        if limit_per_min < 1:
            raise ValueError("the rate limit must be at least one request a minute")
        self.limit = limit_per_min
        self.capacity = float(burst if burst is not None else limit_per_min)
        if self.capacity < 1:
            raise ValueError("the burst must allow at least one request")
        if window_seconds <= 0:
            raise ValueError("the rate window must be positive")
        self.rate = limit_per_min / window_seconds  # tokens a second
        self._clock = clock
        self._wall = wall
        self._buckets: dict[str, _Bucket] = {}
        self._calls = 0

    def _refill(self, key: str, at: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(self.capacity, at)
            self._buckets[key] = bucket
        else:
            bucket.tokens = min(self.capacity, bucket.tokens + (at - bucket.updated) * self.rate)
            bucket.updated = at
        return bucket

    def hit(self, key: str) -> Decision:
        """Spend one token for `key` if there is one."""
        at = self._clock()
        self._calls += 1
        if self._calls % self._SWEEP_EVERY == 0:
            self._sweep(at)
        bucket = self._refill(key, at)
        allowed = bucket.tokens >= 1.0
        if allowed:
            bucket.tokens -= 1.0
        full_in = (self.capacity - bucket.tokens) / self.rate
        retry_after = 0 if allowed else max(1, math.ceil((1.0 - bucket.tokens) / self.rate))
        return Decision(
            allowed=allowed,
            limit=self.limit,
            remaining=max(0, math.floor(bucket.tokens)),
            reset_at=math.ceil(self._wall() + full_in),
            retry_after=retry_after,
        )

    def _sweep(self, at: float) -> None:
        for key in [
            k
            for k, b in self._buckets.items()
            if b.tokens + (at - b.updated) * self.rate >= self.capacity
        ]:
            del self._buckets[key]
