"""The token bucket on a hand-moved clock."""

from __future__ import annotations

import pytest

from frontdesk_app.sandbox.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refusal_then_refill() -> None:
    clock = Clock()
    limiter = RateLimiter(60, burst=3, clock=clock, wall=clock)
    decisions = [limiter.hit("key") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert decisions[-1].retry_after == 1
    assert decisions[-1].reset_at == 1003  # three tokens at one a second
    refused = dict(decisions[-1].headers())
    assert refused[b"retry-after"] == b"1"
    assert b"retry-after" not in dict(decisions[0].headers())
    clock.now += 1.0
    assert limiter.hit("key").allowed
    assert not limiter.hit("key").allowed


def test_budgets_are_per_key_and_capped() -> None:
    clock = Clock()
    limiter = RateLimiter(120, burst=2, clock=clock, wall=clock)
    assert limiter.hit("a").allowed and limiter.hit("a").allowed
    assert not limiter.hit("a").allowed
    assert limiter.hit("b").allowed
    clock.now += 3600
    assert limiter.hit("a").remaining == 1  # never more than the bucket holds


def test_window_scales_the_refill() -> None:
    clock = Clock()
    limiter = RateLimiter(60, burst=1, window_seconds=6, clock=clock, wall=clock)
    assert limiter.hit("k").allowed
    refused = limiter.hit("k")
    assert not refused.allowed and refused.retry_after == 1
    clock.now += 0.1
    assert limiter.hit("k").allowed


def test_idle_buckets_are_forgotten() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock=clock, wall=clock)
    for i in range(RateLimiter._SWEEP_EVERY - 1):
        limiter.hit(f"caller-{i}")
    clock.now += 3600
    limiter.hit("last")
    assert len(limiter._buckets) == 1


@pytest.mark.parametrize(("limit", "burst"), [(0, None), (10, 0)])
def test_nonsense_limits_are_refused(limit: int, burst: int | None) -> None:
    with pytest.raises(ValueError):
        RateLimiter(limit, burst=burst)
