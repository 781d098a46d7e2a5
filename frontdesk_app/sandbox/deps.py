"""What every route shares: the server's context, the scope guard, JSON answers, error docs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from pydantic import BaseModel
from starlette.responses import Response

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import AuthenticationFailed, InsufficientScope
from frontdesk_app.sandbox.config import SandboxConfig
from frontdesk_app.sandbox.credentials import CredentialStore, Principal
from frontdesk_app.sandbox.events import EventHub
from frontdesk_app.sandbox.front import auth_failure_message
from frontdesk_app.sandbox.idempotency import IdempotencyStore
from frontdesk_app.sandbox.problems import PROBLEM_MEDIA_TYPE
from frontdesk_app.sandbox.state import StateDB
from frontdesk_app.sandbox.webhooks import WebhookService

OAUTH_SCHEME = "oauth2"
API_KEY_SCHEME = "apiKey"
# Every /v1 operation may answer these; chaos mode can add 500 and 503 anywhere.
_ERROR_STATUSES = {
    400: "Malformed request (for example, a body that is not JSON)",
    401: "Missing, malformed, unknown or expired credentials",
    403: "The credential lacks the scope this operation needs",
    404: "No such resource",
    409: "The clinic's rules refuse it (slot_unavailable, provider_unavailable, invalid_state)",
    413: "The request body is too large",
    422: "Validation failed, or Idempotency-Key reused with another request",
    429: "Over the rate budget; see Retry-After",
    500: "The server failed (or chaos mode simulated it)",
    503: "A payer or the service is unavailable; see Retry-After",
}


@dataclass(frozen=True, slots=True)
class SandboxContext:
    """The parts of one running server that routes reach through `request.app.state`."""

    backend: Backend
    config: SandboxConfig
    db: StateDB
    credentials: CredentialStore
    idempotency: IdempotencyStore
    hub: EventHub
    webhooks: WebhookService


def context(request: Request) -> SandboxContext:
    ctx: SandboxContext = request.app.state.sandbox
    return ctx


def require(scope: str | None) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency refusing calls without valid credentials (401) or without `scope` (403)."""

    async def guard(request: Request) -> Principal:
        principal: Principal | None = getattr(request.state, "principal", None)
        if principal is None:
            # The front layer refuses these first; this guards routes mounted elsewhere.
            reason = getattr(request.state, "auth_error", "missing")
            raise AuthenticationFailed(auth_failure_message(reason))
        if scope is not None and scope not in principal.scopes:
            raise InsufficientScope(f"This credential may not do this; it needs the {scope} scope.")
        return principal

    return guard


def guarded(scope: str | None, **extra: Any) -> dict[str, Any]:
    """Route options: the guard, its security requirement in OpenAPI, the error answers."""
    scopes = [scope] if scope else []
    return {
        "dependencies": [Depends(require(scope))],
        "responses": error_responses(),
        "openapi_extra": {"security": [{OAUTH_SCHEME: scopes}, {API_KEY_SCHEME: []}]},
        **extra,
    }


def error_responses() -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "description": text,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status, text in _ERROR_STATUSES.items()
    }


def principal_of(request: Request) -> Principal:
    principal: Principal = request.state.principal
    return principal


def idempotency_key(request: Request) -> str | None:
    """The credential-scoped key the idempotency layer derived, for the backend's own dedup."""
    key: str | None = getattr(request.state, "idempotency_key", None)
    return key


def respond(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Serialize once with pydantic, skipping FastAPI's re-validation of the result."""
    return Response(
        model.model_dump_json().encode(),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )
