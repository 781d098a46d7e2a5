"""RFC 9457 problem details for every refusal, from domain errors and from the HTTP layer.

A body says what went wrong in words a receptionist can read, with the API's stable `code`
and the request id; never a stack trace, SQL, or anything a caller sent (which may be a
patient's details).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from frontdesk_app.domain.errors import FieldError, FrontDeskError

PROBLEM_TYPE_BASE = "https://api.frontdeskos.co/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("frontdesk_app.sandbox.errors")

_STATUS_TITLES = {
    400: "Bad request",
    401: "Sign-in failed",
    403: "Not permitted",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Some details need correcting",
    429: "Too many requests",
    500: "The service had a problem",
    503: "The service is unavailable",
}
_STATUS_CODES = {
    401: "invalid_token",
    403: "insufficient_scope",
    404: "not_found",
    409: "invalid_state",
    429: "rate_limited",
    500: "service_unavailable",
    503: "service_unavailable",
}


class ProblemFieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """The error body of every `/v1` route."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[ProblemFieldError] = []
    request_id: str | None = None


def request_id_of(scope_state: dict[str, Any] | None) -> str | None:
    return None if scope_state is None else scope_state.get("request_id")


def problem_body(
    *,
    status: int,
    code: str,
    detail: str,
    title: str | None = None,
    errors: Iterable[FieldError] = (),
    request_id: str | None = None,
) -> bytes:
    body = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title or _STATUS_TITLES.get(status, "Request failed"),
        "status": status,
        "detail": detail,
        "code": code,
        "errors": [{"field": e.field, "message": e.message} for e in errors],
        "request_id": request_id,
    }
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def problem_response(
    *,
    status: int,
    code: str,
    detail: str,
    title: str | None = None,
    errors: Iterable[FieldError] = (),
    request_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        problem_body(
            status=status,
            code=code,
            detail=detail,
            title=title,
            errors=errors,
            request_id=request_id,
        ),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def error_response(error: FrontDeskError, request_id: str | None) -> Response:
    """The problem response for a domain refusal, with retry guidance where it has one."""
    headers: dict[str, str] = {}
    if error.retry_after is not None:
        headers["Retry-After"] = str(max(1, round(error.retry_after)))
    if error.code == "invalid_token":
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    elif error.code == "insufficient_scope":
        headers["WWW-Authenticate"] = 'Bearer error="insufficient_scope"'
    status = error.status if 400 <= error.status <= 599 else 500
    return problem_response(
        status=status,
        code=error.code,
        title=error.title,
        detail=error.message,
        errors=error.errors,
        request_id=request_id,
        headers=headers,
    )


def _field_name(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        where, rest = parts[0], parts[1:]
        if where == "header" and rest:
            return rest[0]
        return ".".join(rest) if rest else where
    return ".".join(parts) or "body"


def field_errors(errors: Sequence[Any]) -> list[FieldError]:
    """Pydantic's messages name the rule, never the value, so they are safe to echo."""
    out: list[FieldError] = []
    for err in errors:
        loc = err.get("loc", ()) if isinstance(err, dict) else ()
        message = err.get("msg", "Invalid value.") if isinstance(err, dict) else "Invalid value."
        # Our own validators' sentences come as "Value error, …": the sentence is the message.
        out.append(FieldError(_field_name(loc), str(message).removeprefix("Value error, ")))
    return out


def _not_stored(request: Request) -> None:
    # A request refused before anything ran is not an outcome worth replaying: the client
    # may fix the body and retry with the same Idempotency-Key.
    request.state.idempotent_outcome = False


async def _on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FrontDeskError)
    return error_response(exc, request_id_of(request.scope.get("state")))


async def _on_request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    _not_stored(request)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem_response(
            status=400,
            code="validation_failed",
            detail="The request body is not valid JSON.",
            errors=[FieldError("body", "Send a JSON object.")],
            request_id=request_id_of(request.scope.get("state")),
        )
    fields = field_errors(errors)
    return problem_response(
        status=422,
        code="validation_failed",
        detail="Some details need correcting: " + ", ".join(f.field for f in fields) + ".",
        errors=fields,
        request_id=request_id_of(request.scope.get("state")),
    )


async def _on_model_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ValidationError)
    _not_stored(request)
    fields = field_errors(exc.errors(include_input=False, include_url=False))
    return problem_response(
        status=422,
        code="validation_failed",
        detail="Some details need correcting: " + ", ".join(f.field for f in fields) + ".",
        errors=fields,
        request_id=request_id_of(request.scope.get("state")),
    )


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    _not_stored(request)
    status = exc.status_code
    code = _STATUS_CODES.get(status, "validation_failed")
    detail = {
        404: "There is nothing at this address.",
        405: "This address does not accept that method.",
    }.get(status, _STATUS_TITLES.get(status, "The request was refused."))
    return problem_response(
        status=status,
        code=code,
        detail=detail,
        request_id=request_id_of(request.scope.get("state")),
        headers=dict(exc.headers or {}),
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Every refusal leaves as a problem document; unexpected errors are the front's job."""
    app.add_exception_handler(FrontDeskError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(ValidationError, _on_model_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
