"""`/openapi.json`: FastAPI's description of the routes, plus auth schemes and the problem body."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from frontdesk_app.sandbox.credentials import SCOPES
from frontdesk_app.sandbox.deps import API_KEY_SCHEME, OAUTH_SCHEME
from frontdesk_app.sandbox.problems import PROBLEM_MEDIA_TYPE

DESCRIPTION = """\
The FrontDeskOS API v1 as served by the bundled sandbox (see API.md).

* Authenticate with OAuth 2.0 client credentials (`POST /oauth/token`) or an API key
  (`Authorization: Bearer fdk_test_…`).
* Every response carries `X-Request-Id` and `X-RateLimit-Limit/Remaining/Reset`; over budget
  the answer is 429 with `Retry-After`.
* Every POST and PUT accepts `Idempotency-Key` (up to 255 characters, kept 24 hours per credential).
* Errors are RFC 9457 problem details (`application/problem+json`) with a stable `code`.
"""

SCOPE_TEXT = {
    "appointments:read": "Read appointments and the directory (providers, patients, payers)",
    "appointments:write": "Create, reschedule and cancel appointments",
    "patients:write": "Register new patients",
    "eligibility": "Run insurance eligibility checks",
    "prescriptions:read": "Read prescription status",
    "calls": "Calls, agents, transfers and the call simulator",
    "webhooks": "Register, list and delete this credential's own webhook endpoints",
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code", "errors"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "request_id": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
}


# Where a route's function name does not read well as an operation.
_OPERATION_NAMES = {
    "provider_availability": "getProviderAvailability",
    "stream": "streamEvents",
    "list_notifications": "listSandboxNotifications",
    "create_endpoint": "createWebhookEndpoint",
    "list_endpoints": "listWebhookEndpoints",
    "delete_endpoint": "deleteWebhookEndpoint",
    "list_deliveries": "listWebhookDeliveries",
    "token": "issueToken",
}


def operation_id(route: APIRoute) -> str:
    """`createAppointment` for `create_appointment`: the name a generated client's method gets."""
    if route.name in _OPERATION_NAMES:
        return _OPERATION_NAMES[route.name]
    head, *rest = route.name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _wall_clock_times(node: Any) -> None:
    """`TimeRange` values are clinic wall-clock times without a zone ("08:00:00"), which JSON
    Schema's `format: time` (RFC 3339, offset required) does not allow: describe them by pattern."""
    if isinstance(node, dict):
        if node.get("format") == "time" and node.get("type") == "string":
            del node["format"]
            node["pattern"] = r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"
            node.setdefault("description", "Wall-clock time in the clinic's time zone")
        for value in node.values():
            _wall_clock_times(value)
    elif isinstance(node, list):
        for value in node:
            _wall_clock_times(value)


_COMMON_HEADERS: dict[str, Any] = {
    "X-Request-Id": {
        "description": "This request's id (req_…); quote it when reporting a problem.",
        "required": True,
        "schema": {"type": "string", "pattern": "^req_[0-9a-z]+$"},
    },
    "X-RateLimit-Limit": {
        "description": "Requests a minute this credential may make.",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    },
    "X-RateLimit-Remaining": {
        "description": "Requests left in the budget now.",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    "X-RateLimit-Reset": {
        "description": "Unix time (seconds) when the budget is full again.",
        "required": True,
        "schema": {"type": "integer"},
    },
}
_RETRY_AFTER = {
    "description": "Seconds to wait before retrying.",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}


_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes a retry safe: the first answer to this key (per credential) is kept "
    "24 hours and replayed; the same key with another request is 422 idempotency_key_reused.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
_REPLAYED = {
    "description": "`true` when this is the kept answer to an earlier request with the same "
    "Idempotency-Key (nothing ran again).",
    "required": False,
    "schema": {"type": "string", "enum": ["true"]},
}
_WWW_AUTHENTICATE = {
    "description": 'Why the credential was refused: Bearer error="invalid_token" or '
    '"insufficient_scope" (RFC 6750).',
    "required": True,
    "schema": {"type": "string", "pattern": '^Bearer error="(invalid_token|insufficient_scope)"$'},
}
_MAYBE_RETRY_AFTER = {**_RETRY_AFTER, "required": False}


def _document_headers(paths: dict[str, Any]) -> None:
    """Every answer carries the request id and budget headers; a 429 also says when to retry;
    a refused credential says why; a POST or PUT takes an Idempotency-Key and may be a replay."""
    for path, item in paths.items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            keyed = method in ("post", "put") and path.startswith("/v1/")
            if keyed:
                operation.setdefault("parameters", []).append(_IDEMPOTENCY_KEY)
            for status, response in operation["responses"].items():
                headers = response.setdefault("headers", {})
                headers.update(_COMMON_HEADERS)
                if status == "429":
                    headers["Retry-After"] = _RETRY_AFTER
                elif status == "503":
                    headers["Retry-After"] = _MAYBE_RETRY_AFTER
                elif status in ("401", "403") and path.startswith("/v1/"):
                    headers["WWW-Authenticate"] = _WWW_AUTHENTICATE
                if keyed:
                    headers["Idempotent-Replayed"] = _REPLAYED


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def build_openapi(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title="FrontDeskOS API (sandbox)",
        version="1.0.0",
        description=DESCRIPTION,
        routes=app.routes,
    )
    components = schema.setdefault("components", {})
    _wall_clock_times(components.get("schemas", {}))
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    components["securitySchemes"] = {
        OAUTH_SCHEME: {
            "type": "oauth2",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/oauth/token",
                    "scopes": {s: SCOPE_TEXT[s] for s in SCOPES},
                }
            },
        },
        API_KEY_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key such as fdk_test_… (or an access token).",
        },
        "clientBasic": {"type": "http", "scheme": "basic"},
    }
    token = schema["paths"].get("/oauth/token", {}).get("post")
    if token is not None:
        # The front layer answers an oversize body or a spent budget as a problem document.
        for status in ("413", "429"):
            token["responses"][status] = {
                "description": "Too large" if status == "413" else "Over the rate budget",
                "content": _problem_content(),
            }
    _document_headers(schema["paths"])
    return schema


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
