"""Pacing from X-RateLimit-*: a burst stays under the budget; 429 pauses everyone."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from frontdesk_app.api import ApiBackend, Observable, RateBudget
from frontdesk_app.api.ratelimit import RateLimiter
from frontdesk_app.domain.models import AppointmentCancel
from tests.unit.api.conftest import Recorder, ok, problem


class FakeTime:
    """Monotonic and wall clocks that only move when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.wall_offset = 1_750_000_000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.wall_offset + self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def limiter(fake: FakeTime, window: float = 60.0) -> RateLimiter:
    return RateLimiter(window=window, clock=fake.clock, wall_clock=fake.wall, sleep=fake.sleep)


def headers(limit: int, remaining: int, reset_in: float | None, fake: FakeTime) -> httpx.Headers:
    values = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining)}
    if reset_in is not None:
        values["X-RateLimit-Reset"] = str(int(fake.wall() + reset_in))
    return httpx.Headers(values)


async def send(rl: RateLimiter, response_headers: httpx.Headers | None = None) -> None:
    await rl.acquire()
    if response_headers is not None:
        rl.observe(response_headers)
    rl.release()


@pytest.mark.asyncio
async def test_no_pacing_before_the_server_speaks() -> None:
    fake = FakeTime()
    rl = limiter(fake)
    for _ in range(100):
        await send(rl)
    assert fake.sleeps == []
    assert rl.budget.value == RateBudget()
    assert rl.tokens is None


@pytest.mark.asyncio
async def test_a_large_budget_is_never_waited_for() -> None:
    fake = FakeTime()
    rl = limiter(fake)
    remaining = 10_000
    for _ in range(200):
        remaining -= 1
        await send(rl, headers(10_000, remaining, 2, fake))
    assert fake.sleeps == []
    assert rl.budget.value.remaining == 9_800
    assert rl.budget.value.fraction_left == pytest.approx(0.98)


@pytest.mark.asyncio
async def test_an_exhausted_budget_spaces_requests_at_the_refill_rate() -> None:
    fake = FakeTime()
    rl = limiter(fake)
    # 60 a minute, nothing left, full again in 60 s: one request a second (a bit slower).
    await send(rl, headers(60, 0, 60, fake))
    started = fake.now
    for _ in range(10):
        await send(rl)
    elapsed = fake.now - started
    assert 10.0 <= elapsed <= 10.0 / 0.9 + 0.01
    assert all(s > 0 for s in fake.sleeps)


@pytest.mark.asyncio
async def test_the_reset_header_reveals_a_faster_window() -> None:
    fake = FakeTime()
    rl = limiter(fake)
    # 60 per 6 s: 30 missing and full again in 3 s means 10 a second, not 1.
    rl.observe(headers(60, 30, 3, fake))
    assert rl.rate == pytest.approx(10 * 0.9)
    # A reset only a second away is too coarse to trust: the per-minute reading stands.
    rl.observe(headers(60, 55, 1, fake))
    assert rl.rate == pytest.approx(1 * 0.9)


@pytest.mark.asyncio
async def test_requests_in_flight_count_as_spent() -> None:
    fake = FakeTime()
    rl = limiter(fake)
    for _ in range(5):
        await rl.acquire()  # five sent, none answered
    rl.observe(headers(100, 10, 60, fake))  # the first answer: 10 left as the server counted
    rl.release()
    assert rl.tokens == pytest.approx(6.0)  # the four others may not be counted yet


@pytest.mark.asyncio
async def test_a_429_pauses_every_sender_until_retry_after() -> None:
    fake = FakeTime()
    rl = limiter(fake)
    seen: list[RateBudget] = []
    rl.budget.subscribe(seen.append)
    rl.observe(headers(60, 0, 60, fake))
    rl.pause(5.0)
    assert rl.budget.value.rejected == 1
    assert rl.budget.value.paused_until == pytest.approx(fake.wall() + 5.0)
    await rl.acquire()
    assert fake.now >= 5.0
    assert any(b.pacing for b in seen)
    assert rl.budget.value.pacing is False
    rl.release()


@pytest.mark.asyncio
async def test_waiters_leave_in_arrival_order() -> None:
    fake = FakeTime()
    rl = limiter(fake)
    rl.observe(headers(60, 0, 60, fake))
    order: list[int] = []

    async def request(n: int) -> None:
        await rl.acquire()
        order.append(n)
        rl.release()

    await asyncio.gather(*(request(n) for n in range(8)))
    assert order == list(range(8))


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"X-RateLimit-Limit": "abc", "X-RateLimit-Remaining": "1"},
        {"X-RateLimit-Limit": "0", "X-RateLimit-Remaining": "0"},
        {"X-RateLimit-Limit": "-5", "X-RateLimit-Remaining": "3"},
    ],
)
def test_garbage_headers_are_ignored(values: dict[str, str]) -> None:
    fake = FakeTime()
    rl = limiter(fake)
    rl.observe(httpx.Headers(values))
    assert rl.tokens is None
    assert rl.budget.value == RateBudget()


def test_observable_notifies_changes_and_survives_bad_listeners(
    caplog: pytest.LogCaptureFixture,
) -> None:
    value: Observable[int] = Observable(0)
    seen: list[int] = []

    def broken(_: int) -> None:
        raise RuntimeError("listener bug")

    value.subscribe(broken)
    unsubscribe = value.subscribe(seen.append)
    value.set(1)
    value.set(1)  # unchanged: not announced again
    value.set(2)
    unsubscribe()
    unsubscribe()
    value.set(3)
    assert seen == [1, 2]
    assert value.value == 3
    assert "listener" in caplog.text


@pytest.mark.asyncio
async def test_the_backend_publishes_the_budget_and_retries_a_429(
    make_api: Callable[..., ApiBackend],
) -> None:
    remaining = iter(range(5999, 0, -1))
    script = [True]

    def handler(request: httpx.Request) -> httpx.Response:
        budget = {"X-RateLimit-Limit": "6000", "X-RateLimit-Reset": "9999999999"}
        if script:
            script.pop()
            return problem(
                429,
                "rate_limited",
                "Too many requests.",
                headers={**budget, "X-RateLimit-Remaining": "0", "Retry-After": "0.05"},
            )
        budget["X-RateLimit-Remaining"] = str(next(remaining))
        cancel = {
            "id": "apt_1",
            "status": "cancelled",
            "reason_code": None,
            "cancelled_at": "2030-01-01T00:00:00Z",
            "refund_eligible": False,
        }
        return ok(cancel, headers=budget)

    recorder = Recorder(handler)
    api = make_api(recorder)
    budgets: list[RateBudget] = []
    api.rate_budget.subscribe(budgets.append)
    await api.cancel_appointment("apt_1", AppointmentCancel())
    assert len(recorder.requests) == 2
    assert api.rate_budget.value.rejected == 1
    assert api.rate_budget.value.limit == 6000
    assert api.rate_budget.value.remaining == 5999
    assert budgets[0].remaining == 0
