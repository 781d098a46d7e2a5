"""The one retry policy of the API client, run by `stamina`.

What is retried: connection failures, timeouts, dropped connections and the answers 429, 502,
503 and 504 — failures that say nothing was done, or that doing it again changes nothing.
Only for requests that are safe to repeat: GETs, and POSTs and PUTs that carry an `Idempotency-Key`
(every write this client sends carries one, so the server replays rather than acts twice).
A 500 or any other 4xx is never retried: the server decided, and asking again will not help.

How long: capped exponential backoff with random jitter (`initial_wait · 2ⁿ + U(0, jitter)`,
at most `max_wait`), but never sooner than the server's `Retry-After`; at most `attempts`
tries, and one total `deadline` per call that covers every try and every wait. A wait that
would cross the deadline is not taken: the last failure is raised instead.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import stamina

from frontdesk_app.domain.errors import FrontDeskError, Offline

T = TypeVar("T")

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Tries, waits and the total deadline of one API call (see the module docstring)."""

    attempts: int = 5
    deadline: float = 30.0
    initial_wait: float = 0.25
    max_wait: float = 8.0
    jitter: float = 0.5

    def may_retry(self, method: str, headers: Mapping[str, str]) -> bool:
        """Safe to send again: a GET, or a POST or PUT the server de-duplicates by its key."""
        method = method.upper()
        if method in SAFE_METHODS:
            return True
        return method in ("POST", "PUT") and any(k.lower() == "idempotency-key" for k in headers)

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed try number `attempt` (1-based)."""
        exponential = self.initial_wait * (2.0 ** max(0, attempt - 1))
        wait = min(self.max_wait, exponential + random.uniform(0, self.jitter))
        if retry_after is not None:
            # The server knows best when it can answer again; waiting less just draws a 429.
            wait = max(wait, retry_after)
        return wait


class RetryableFailure(Exception):
    """One try failed in a way the policy may retry; `error` is raised if it gives up."""

    def __init__(self, error: FrontDeskError, *, retry_after: float | None = None) -> None:
        super().__init__(error.code)
        self.error = error
        self.retry_after = retry_after if retry_after is not None else error.retry_after

    def __repr__(self) -> str:
        # stamina logs this repr; it must name the failure only (no URL, no body).
        return f"RetryableFailure({self.error.code!r}, retry_after={self.retry_after!r})"


async def call_with_retries(
    policy: RetryPolicy,
    attempt: Callable[[], Awaitable[T]],
    *,
    retry_safe: bool,
    label: str,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Run `attempt` under the policy; it raises `RetryableFailure` for a retryable failure.

    `label` names the call in log lines ("GET /v1/appointments/{id}"); it must hold no query
    string or patient data.
    """
    start = clock()
    tries = 0

    def decide(exc: Exception) -> bool | float:
        if not isinstance(exc, RetryableFailure):
            return False
        wait = policy.backoff(tries, exc.retry_after)
        if clock() - start + wait >= policy.deadline:
            log.info("%s: giving up after %d tries (%s)", label, tries, exc.error.code)
            return False
        log.info("%s: %s, retry %d in %.2f s", label, exc.error.code, tries, wait)
        return wait

    async def counted() -> T:
        nonlocal tries
        tries += 1
        return await attempt()

    try:
        async with asyncio.timeout(policy.deadline):
            # The first try runs on its own: stamina's machinery costs more than a request to
            # a nearby server, and is only needed once something has failed.
            try:
                return await counted()
            except RetryableFailure as exc:
                wait = decide(exc) if retry_safe and policy.attempts > 1 else False
                if wait is False:
                    raise
                await asyncio.sleep(wait)
            async for try_ in stamina.retry_context(
                on=decide,
                attempts=policy.attempts - 1,
                timeout=max(1e-3, policy.deadline - (clock() - start)),
                wait_initial=policy.initial_wait,
                wait_max=policy.max_wait,
                wait_jitter=policy.jitter,
            ):
                with try_:
                    return await counted()
    except RetryableFailure as exc:
        raise exc.error from None
    except TimeoutError:
        raise Offline(
            f"FrontDeskOS did not answer within {policy.deadline:.0f} seconds. "
            "Check the internet connection; FrontDesk keeps working offline."
        ) from None
    raise AssertionError("unreachable: stamina either returns or raises")
