"""Sending one API request: auth, pacing, the in-flight cap, retries, and typed failures.

All requests go through one `httpx.AsyncClient` (keep-alive; the transport is injectable for
tests). At most `max_in_flight` requests are in flight at once: past about eight, one client's
throughput falls and its tail latency explodes. Log lines name the method, the path (ids only,
never the query string, which may hold a patient search) and the status.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from frontdesk_app import __version__
from frontdesk_app.api.auth import Authenticator, Credentials
from frontdesk_app.api.environments import is_loopback_host, validate_base_url
from frontdesk_app.api.errors import error_from_response, offline_error
from frontdesk_app.api.ratelimit import RateLimiter
from frontdesk_app.api.retry import (
    RETRYABLE_STATUSES,
    RetryableFailure,
    RetryPolicy,
    call_with_retries,
)
from frontdesk_app.domain import clock, threads

log = logging.getLogger(__name__)

Params = Mapping[str, str | int | None]

DEFAULT_TIMEOUT = 10.0
# Above the event stream's 15 s heartbeat, so a quiet but healthy stream is not cut.
STREAM_READ_TIMEOUT = 45.0


async def _not_on_the_gui_thread(_request: httpx.Request) -> None:
    """HTTP runs on the sync engine's thread, never the GUI's (see domain/threads.py)."""
    threads.check_not_gui("HTTP")


class _NoQueryStrings(logging.Filter):
    """Strips the query string from URLs httpx logs: a patient search is health data."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                arg.copy_with(query=None) if isinstance(arg, httpx.URL) and arg.query else arg
                for arg in record.args
            )
        return True


def _guard_httpx_logs() -> None:
    # httpx logs every request's full URL at INFO ("HTTP Request: GET …?q=…").
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _NoQueryStrings) for f in logger.filters):
        logger.addFilter(_NoQueryStrings())


_guard_httpx_logs()


def tls_verification(base_url: str) -> ssl.SSLContext | bool:
    """How a client for `base_url` verifies TLS. An https:// API: the system's trusted
    certificates (httpx loads them, ~20-40 ms a client). Plain http:// (only ever to this
    computer, see `validate_base_url`; redirects are not followed) never makes a TLS
    connection: its client gets a context that verifies as strictly but trusts no
    certificate at all, so it costs nothing to build and could never accept one."""
    if httpx.URL(base_url).scheme == "https":
        return True
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def new_idempotency_key() -> str:
    """A fresh key for a write whose caller gave none (the server de-duplicates by it)."""
    return f"idem_{uuid.uuid4().hex}"


@dataclass(frozen=True, slots=True)
class _Call:
    """One API call as the retry loop repeats it: the same key on every try."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    name: str


class HttpSession:
    """The sending half of `ApiBackend`: one client, one authenticator, one rate limiter."""

    def __init__(
        self,
        *,
        base_url: str,
        credentials: Credentials,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_in_flight: int = 6,
        retry: RetryPolicy | None = None,
        rate_window: float = 60.0,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.base_url = validate_base_url(base_url)
        self.retry = retry or RetryPolicy()
        self.client = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            timeout=httpx.Timeout(timeout),
            # Two spare connections for event streams, which hold theirs for hours.
            limits=httpx.Limits(
                max_connections=max_in_flight + 2, max_keepalive_connections=max_in_flight + 2
            ),
            headers={"User-Agent": f"FrontDesk/{__version__}", "Accept": "application/json"},
            verify=tls_verification(self.base_url),
            follow_redirects=False,
            # A clinic's proxy settings (HTTPS_PROXY …) apply to a remote API, never to the
            # sandbox on this computer.
            trust_env=not is_loopback_host(httpx.URL(self.base_url).host),
            # Every request, token and stream requests included, passes the thread check.
            event_hooks={"request": [_not_on_the_gui_thread]},
        )
        self.limiter = RateLimiter(window=rate_window)
        self.auth: Authenticator = credentials.authenticator(self.client, self.retry)
        self._slots = asyncio.Semaphore(max_in_flight)
        self._closed = False

    async def aclose(self) -> None:
        self._closed = True
        await self.client.aclose()

    @property
    def closed(self) -> bool:
        return self._closed

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
        label: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> httpx.Response:
        """Send under the retry policy; a 2xx response, or a `FrontDeskError` raised.

        Every POST carries an `Idempotency-Key` (a fresh one when `idempotency_key` is None);
        a PUT carries the one given, if any.
        `label` names the route in logs ("GET /v1/appointments/{id}"); defaults to the path.
        `retry` replaces the session's policy for this call (the event catch-up fails fast).
        """
        method = method.upper()
        headers: dict[str, str] = {}
        if method == "POST":
            headers["Idempotency-Key"] = idempotency_key or new_idempotency_key()
        elif method == "PUT" and idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        call = _Call(
            method=method,
            path=path,
            query={k: str(v) for k, v in (params or {}).items() if v is not None},
            json=json,
            headers=headers,
            name=f"{method} {label or path}",
        )
        policy = retry or self.retry
        return await call_with_retries(
            policy,
            lambda: self._attempt(call),
            retry_safe=policy.may_retry(method, headers),
            label=call.name,
        )

    async def _attempt(self, call: _Call) -> httpx.Response:
        async with self._slots:
            authorization = await self.auth.authorization()
            response = await self._send_once(call, authorization)
            if response.status_code == 401:
                fresher = await self.auth.renew(authorization)
                if fresher is not None:
                    log.info("%s: 401, retrying once with a fresh token", call.name)
                    response = await self._send_once(call, fresher)
        self._log(call.name, response)
        status = response.status_code
        if status < 400:
            return response
        error = error_from_response(response, now=clock.now_timestamp())
        if status == 429:
            self.limiter.pause(error.retry_after)
        if status in RETRYABLE_STATUSES:
            raise RetryableFailure(error)
        raise error

    async def _send_once(self, call: _Call, authorization: str) -> httpx.Response:
        await self.limiter.acquire()
        try:
            response = await self.client.request(
                call.method,
                call.path,
                params=call.query or None,
                json=call.json,
                headers={**call.headers, "Authorization": authorization},
            )
        except httpx.TransportError as exc:
            raise RetryableFailure(offline_error(exc)) from None
        else:
            self.limiter.observe(response.headers)
            return response
        finally:
            self.limiter.release()

    def _log(self, name: str, response: httpx.Response) -> None:
        if not log.isEnabledFor(logging.DEBUG):
            return
        replayed = " (replayed)" if response.headers.get("idempotent-replayed") == "true" else ""
        log.debug(
            "%s -> %d%s in %.0f ms [%s]",
            name,
            response.status_code,
            replayed,
            response.elapsed.total_seconds() * 1000 if _has_elapsed(response) else -1,
            response.headers.get("x-request-id", "-"),
        )


def _has_elapsed(response: httpx.Response) -> bool:
    try:
        response.elapsed  # noqa: B018 - raises until the response is closed
    except RuntimeError:
        return False
    return True
