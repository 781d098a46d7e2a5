"""The outermost layer of each request: id, caller, rate budget, body cap, last-resort 500, log.

A plain ASGI middleware rather than Starlette's `BaseHTTPMiddleware`, which costs a task and
a queue per request. It identifies the caller (so budgets are per credential even on errors)
but leaves refusing missing credentials to the routes, which know their scopes.
"""

from __future__ import annotations

import logging
import re
import time
import traceback
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk_app.domain.errors import FieldError
from frontdesk_app.domain.ids import REQUEST, new_id
from frontdesk_app.sandbox.credentials import CredentialStore, Principal
from frontdesk_app.sandbox.problems import PROBLEM_MEDIA_TYPE, problem_body
from frontdesk_app.sandbox.ratelimit import RateLimiter

access_log = logging.getLogger("frontdesk_app.sandbox.access")
error_log = logging.getLogger("frontdesk_app.sandbox.errors")

# Bearer values are URL-safe tokens; anything else is malformed and never reaches the database.
_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{8,512}")


class BodyTooLarge(HTTPException):
    """Raised while reading a body past the limit; FastAPI passes HTTP errors through as is."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail="The request body is too large.")


def too_large_body(limit: int, request_id: str) -> bytes:
    return problem_body(
        status=413,
        code="validation_failed",
        detail=f"The request body is larger than {limit // 1024} KiB.",
        errors=[FieldError("body", "Send a smaller request.")],
        request_id=request_id,
    )


def header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def route_template(scope: Scope) -> str:
    """`/v1/appointments/{appointment_id}`: never the concrete path, which may carry ids."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    label = (scope.get("state") or {}).get("log_label")
    return label if isinstance(label, str) else "<unmatched>"


_AUTH_MESSAGES = {
    "missing": "Sign in first: send an access token or API key as a Bearer token.",
    "malformed": "The Authorization header is not a Bearer token.",
    "unknown": "The access token or API key is not valid or has expired.",
}


def auth_failure_message(reason: str | None) -> str:
    return _AUTH_MESSAGES.get(reason or "missing", _AUTH_MESSAGES["unknown"])


class FrontMiddleware:
    """Request id, caller, rate limit headers on every response, body cap, 500 as a problem."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        credentials: CredentialStore,
        limiter: RateLimiter,
        max_body_bytes: int,
    ) -> None:
        self.app = app
        self.credentials = credentials
        self.limiter = limiter
        self.max_body_bytes = max_body_bytes

    async def _identify(self, scope: Scope) -> tuple[Principal | None, str | None]:
        raw = header(scope, b"authorization")
        if raw is None:
            return None, "missing"
        scheme, _, value = raw.decode("latin-1").strip().partition(" ")
        value = value.strip()
        if scheme.lower() != "bearer" or not _TOKEN.fullmatch(value):
            return None, "malformed"
        principal = await self.credentials.authenticate(value)
        return (principal, None) if principal is not None else (None, "unknown")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started_at = time.perf_counter()
        request_id = new_id(REQUEST, 16)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        principal, auth_error = await self._identify(scope)
        state["principal"] = principal
        state["auth_error"] = auth_error
        client = scope.get("client")
        bucket = principal.credential_id if principal else f"anon:{client[0] if client else '-'}"
        decision = self.limiter.hit(bucket)
        extra = [(b"x-request-id", request_id.encode()), *decision.headers()]
        status = 0

        async def send_front(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ] + extra
            await send(message)

        received = 0

        async def receive_capped() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge
            return message

        try:
            if not decision.allowed:
                state["log_label"] = "(rate limited)"
                await self._problem(
                    send_front, 429, self._rate_limited(decision.retry_after, request_id)
                )
                return
            if principal is None and (scope["path"] + "/").startswith("/v1/"):
                # Before routing and body parsing: no credentials, no further answer.
                state["log_label"] = "(no valid credentials)"
                await self._unauthorized(send_front, auth_error, request_id)
                return
            length = header(scope, b"content-length")
            if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
                await self._problem(
                    send_front, 413, too_large_body(self.max_body_bytes, request_id)
                )
                return
            await self.app(scope, receive_capped, send_front)
        except BodyTooLarge:
            if status:
                raise
            await self._problem(send_front, 413, too_large_body(self.max_body_bytes, request_id))
        except Exception as exc:
            # Type and frames only: an exception's message may quote what the caller sent.
            error_log.error(
                "unhandled %s in %s %s [%s]\n%s",
                type(exc).__name__,
                scope["method"],
                route_template(scope),
                request_id,
                "".join(traceback.format_tb(exc.__traceback__)),
            )
            if status:
                raise
            body = problem_body(
                status=500,
                code="service_unavailable",
                detail="The sandbox had a problem with this request; please try again.",
                request_id=request_id,
            )
            await self._problem(send_front, 500, body)
        finally:
            access_log.info(
                "%s %s %d %.1fms %s",
                scope["method"],
                route_template(scope),
                status,
                (time.perf_counter() - started_at) * 1000.0,
                request_id,
            )

    @staticmethod
    async def _unauthorized(send: Send, reason: str | None, request_id: str) -> None:
        body = problem_body(
            status=401,
            code="invalid_token",
            title="Sign-in failed",
            detail=auth_failure_message(reason),
            request_id=request_id,
        )
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Bearer error="invalid_token"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _rate_limited(retry_after: int, request_id: str) -> bytes:
        return problem_body(
            status=429,
            code="rate_limited",
            detail=f"Too many requests for this credential; retry in {retry_after} s.",
            request_id=request_id,
        )

    @staticmethod
    async def _problem(send: Send, status: int, body: bytes) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
