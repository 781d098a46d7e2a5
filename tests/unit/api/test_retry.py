"""The one retry policy: what is retried, how often, how long, and with which key."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from frontdesk_app.api import ApiBackend, RetryPolicy
from frontdesk_app.api.retry import RetryableFailure, call_with_retries
from frontdesk_app.domain import errors as E
from frontdesk_app.domain.models import AppointmentCancel
from tests.unit.api.conftest import Recorder, ok, problem

PROVIDER = {
    "id": "prov_1",
    "name": "Dr. Test",
    "specialty": "Family medicine",
    "timezone": "America/New_York",
    "weekly_hours": {"0": [{"start": "08:00:00", "end": "12:00:00"}]},
}
CANCEL = {
    "id": "apt_1",
    "status": "cancelled",
    "reason_code": None,
    "cancelled_at": "2025-03-14T20:00:00Z",
    "refund_eligible": True,
}


def failing_then(statuses: list[int | type[Exception]], final: httpx.Response) -> Recorder:
    """Answers each of `statuses` in turn (or raises the exception), then `final`."""
    script = list(statuses)

    def handler(request: httpx.Request) -> httpx.Response:
        if script:
            step = script.pop(0)
            if isinstance(step, int):
                if step == 429:
                    return problem(429, "rate_limited", "Slow.", headers={"Retry-After": "0"})
                return httpx.Response(step, text="server trouble")
            raise step("boom", request=request)
        return final

    return Recorder(handler)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "failure",
    [429, 502, 503, 504, httpx.ConnectError, httpx.ReadTimeout, httpx.RemoteProtocolError],
)
async def test_get_is_retried_on_transient_failures(
    make_api: Callable[..., ApiBackend], failure: int | type[Exception]
) -> None:
    recorder = failing_then([failure, failure], ok(PROVIDER))
    api = make_api(recorder)
    provider = await api.get_provider("prov_1")
    assert provider.id == "prov_1"
    assert len(recorder.requests) == 3


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 500])
async def test_other_failures_are_never_retried(
    make_api: Callable[..., ApiBackend], status: int
) -> None:
    recorder = failing_then([status], ok(PROVIDER))
    api = make_api(recorder)
    with pytest.raises(E.FrontDeskError):
        await api.get_provider("prov_1")
    assert len(recorder.requests) == 1


@pytest.mark.asyncio
async def test_a_500_is_service_unavailable_at_once(make_api: Callable[..., ApiBackend]) -> None:
    api = make_api(failing_then([500], ok(PROVIDER)))
    with pytest.raises(E.ServiceUnavailable):
        await api.get_provider("prov_1")


@pytest.mark.asyncio
async def test_a_post_keeps_one_idempotency_key_across_retries(
    make_api: Callable[..., ApiBackend],
) -> None:
    recorder = failing_then([503, httpx.ReadTimeout, 502], ok(CANCEL))
    api = make_api(recorder)
    result = await api.cancel_appointment("apt_1", AppointmentCancel())
    assert result.status == "cancelled"
    keys = {r.headers["Idempotency-Key"] for r in recorder.requests}
    assert len(recorder.requests) == 4
    assert len(keys) == 1
    assert next(iter(keys)).startswith("idem_")


@pytest.mark.asyncio
async def test_the_callers_key_is_used(make_api: Callable[..., ApiBackend]) -> None:
    recorder = failing_then([], ok(CANCEL))
    api = make_api(recorder)
    await api.cancel_appointment("apt_1", AppointmentCancel(), idempotency_key="outbox-42")
    assert recorder.requests[0].headers["Idempotency-Key"] == "outbox-42"


@pytest.mark.asyncio
async def test_every_write_gets_a_fresh_key(make_api: Callable[..., ApiBackend]) -> None:
    recorder = failing_then([], ok(CANCEL))
    api = make_api(recorder)
    await api.cancel_appointment("apt_1", AppointmentCancel())
    await api.cancel_appointment("apt_1", AppointmentCancel())
    keys = [r.headers["Idempotency-Key"] for r in recorder.requests]
    assert len(set(keys)) == 2


@pytest.mark.asyncio
async def test_put_without_a_key_is_not_retried(make_api: Callable[..., ApiBackend]) -> None:
    recorder = failing_then([503], ok({"id": "agt_1", "name": "A", "status": "busy"}))
    api = make_api(recorder)
    with pytest.raises(E.ServiceUnavailable):
        await api.set_agent_status("agt_1", "busy")
    assert len(recorder.requests) == 1
    assert "Idempotency-Key" not in recorder.requests[0].headers


@pytest.mark.asyncio
async def test_attempts_are_capped(make_api: Callable[..., ApiBackend]) -> None:
    recorder = failing_then([503] * 10, ok(PROVIDER))
    api = make_api(recorder, retry=RetryPolicy(attempts=3, initial_wait=0.001, jitter=0))
    with pytest.raises(E.ServiceUnavailable):
        await api.get_provider("prov_1")
    assert len(recorder.requests) == 3


@pytest.mark.asyncio
async def test_connection_failures_end_as_offline(make_api: Callable[..., ApiBackend]) -> None:
    recorder = failing_then([httpx.ConnectError] * 10, ok(PROVIDER))
    api = make_api(recorder)
    with pytest.raises(E.Offline):
        await api.get_provider("prov_1")
    assert len(recorder.requests) == 4


@pytest.mark.asyncio
async def test_a_retry_after_beyond_the_deadline_is_not_waited_for(
    make_api: Callable[..., ApiBackend],
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return problem(
            503, "payer_unavailable", "The payer is down.", headers={"Retry-After": "120"}
        )

    recorder = Recorder(handler)
    api = make_api(recorder, retry=RetryPolicy(deadline=2.0))
    with pytest.raises(E.PayerUnavailable) as caught:
        await api.get_provider("prov_1")
    assert caught.value.retry_after == 120.0
    assert len(recorder.requests) == 1


@pytest.mark.asyncio
async def test_the_deadline_bounds_a_hanging_server(make_api: Callable[..., ApiBackend]) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(10)
        return ok(PROVIDER)

    api = make_api(Recorder(handler), retry=RetryPolicy(deadline=0.2))
    with pytest.raises(E.Offline, match="did not answer within"):
        await api.get_provider("prov_1")


@pytest.mark.asyncio
async def test_retry_after_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    policy = RetryPolicy(attempts=3, deadline=60, initial_wait=0.01, max_wait=0.02, jitter=0)
    calls = 0

    async def attempt() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RetryableFailure(E.RateLimited("slow"), retry_after=7.0)
        if calls == 2:
            raise RetryableFailure(E.ServiceUnavailable("down"))
        return "done"

    assert await call_with_retries(policy, attempt, retry_safe=True, label="GET /x") == "done"
    assert waits[0] == 7.0  # the server's Retry-After, not the 0.01 s backoff
    assert waits[1] == pytest.approx(0.02)  # then the capped exponential backoff


def test_backoff_is_exponential_capped_and_jittered() -> None:
    policy = RetryPolicy(initial_wait=0.25, max_wait=8.0, jitter=0.5)
    for attempt in range(1, 12):
        base = min(8.0, 0.25 * 2 ** (attempt - 1))
        for _ in range(20):
            wait = policy.backoff(attempt)
            assert base <= wait <= min(8.0, base + 0.5)
    assert policy.backoff(1, retry_after=30.0) == 30.0
    assert policy.backoff(20) <= 8.0


def test_which_requests_may_be_retried() -> None:
    policy = RetryPolicy()
    assert policy.may_retry("GET", {})
    assert policy.may_retry("get", {})
    assert policy.may_retry("POST", {"Idempotency-Key": "k"})
    assert policy.may_retry("POST", {"idempotency-key": "k"})
    assert not policy.may_retry("POST", {})
    assert policy.may_retry("PUT", {"Idempotency-Key": "k"})  # a keyed save (the waitlist)
    assert not policy.may_retry("PUT", {})  # an agent's status: not keyed
    assert not policy.may_retry("DELETE", {})


def test_retryable_failure_repr_names_only_the_code() -> None:
    failure = RetryableFailure(E.Offline("FrontDeskOS could not be reached."))
    assert repr(failure) == "RetryableFailure('offline', retry_after=None)"
