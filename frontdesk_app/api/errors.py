"""Turn what the API answered (RFC 9457 problems, transport failures) into typed errors.

Everything a person can act on is a `frontdesk_app.domain.errors.FrontDeskError`; the API
client adds only the two bug-side classes below, which are never shown as a refusal::

    Exception
    ├── FrontDeskError (domain.errors)       a refusal or failure a receptionist can act on
    │   ├── ValidationFailed · NotFound · IdempotencyKeyReused
    │   ├── Conflict: SlotUnavailable · ProviderUnavailable · InvalidState
    │   ├── RateLimited · PayerUnavailable             (retry_after seconds when known)
    │   ├── AuthenticationFailed · InsufficientScope   401 / 403
    │   ├── ServiceUnavailable                          5xx after the retry policy gave up
    │   └── Offline                                     no answer at all (DNS, refused, timeout)
    ├── InsecureBaseUrl (ValueError)         a settings mistake: http:// to a non-loopback host
    └── ProtocolError                        the server answered something unparseable: a bug

Messages are built from the server's `detail` (the API promises it carries no patient data) or
from fixed sentences here; response bodies, URLs, query strings and credentials never reach an
exception message.
"""

from __future__ import annotations

import json
import math
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from frontdesk_app.domain.errors import (
    AuthenticationFailed,
    Conflict,
    FieldError,
    FrontDeskError,
    InsufficientScope,
    NotFound,
    Offline,
    PossibleDuplicate,
    RateLimited,
    ServiceUnavailable,
    ValidationFailed,
    error_for_code,
)

__all__ = [
    "InsecureBaseUrl",
    "ProtocolError",
    "error_from_response",
    "offline_error",
    "parse_retry_after",
    "token_error",
]

# The longest `detail` or field message we pass on; a longer one is cut, never echoed whole.
_MAX_TEXT = 500

_FALLBACK_MESSAGES: dict[int, str] = {
    400: "The request was not accepted. Check the details and try again.",
    401: "FrontDeskOS did not accept the credentials. Check the API key or client in Settings.",
    403: "These credentials are not permitted to do that. Ask an administrator for access.",
    404: "That record no longer exists.",
    409: "That is not possible with the clinic's current schedule.",
    422: "Some details need correcting.",
    429: "FrontDeskOS is busy with too many requests. Try again in a moment.",
}
_SERVER_TROUBLE = "FrontDeskOS had a problem answering. Try again in a minute."


class InsecureBaseUrl(ValueError):
    """The base URL would send credentials or health data unencrypted, or is malformed."""


class ProtocolError(Exception):
    """The server's answer does not follow the API contract: a bug on one side, not a refusal."""


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` value: delta-seconds or an HTTP date (RFC 9110).

    `now` is the current Unix time. A date in the past means "now" (0); garbage means unknown.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        # RFC 9110 dates are GMT; a zone-less parse is still GMT.
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def _problem_body(response: httpx.Response) -> dict[str, Any]:
    content_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    if not (content_type.endswith("/json") or content_type.endswith("+json")):
        return {}
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def _field_errors(raw: object) -> list[FieldError]:
    if not isinstance(raw, list):
        return []
    found: list[FieldError] = []
    for item in raw[:100]:
        if isinstance(item, dict):
            field = item.get("field")
            message = item.get("message")
            if isinstance(field, str) and isinstance(message, str):
                found.append(FieldError(field=_clip(field), message=_clip(message)))
    return found


def _class_for_status(status: int) -> type[FrontDeskError]:
    if status == 401:
        return AuthenticationFailed
    if status == 403:
        return InsufficientScope
    if status == 404:
        return NotFound
    if status == 409:
        return Conflict
    if status in (400, 422):
        return ValidationFailed
    if status == 429:
        return RateLimited
    if status >= 500:
        return ServiceUnavailable
    return FrontDeskError


def error_from_response(response: httpx.Response, *, now: float) -> FrontDeskError:
    """The typed error for a 4xx/5xx answer (problem details, or a bare status)."""
    status = response.status_code
    body = _problem_body(response)
    code = body.get("code")
    cls = error_for_code(code) if isinstance(code, str) else _class_for_status(status)
    if cls is FrontDeskError:
        # An unknown code: keep the class the status implies rather than a generic one.
        cls = _class_for_status(status)
    if status >= 500 and cls is FrontDeskError:
        cls = ServiceUnavailable
    detail = body.get("detail")
    if isinstance(detail, str) and detail.strip():
        message = _clip(detail.strip())
    elif status >= 500:
        message = _SERVER_TROUBLE
    else:
        message = _FALLBACK_MESSAGES.get(status, cls.title + ".")
    request_id = body.get("request_id")
    if not isinstance(request_id, str):
        request_id = response.headers.get("x-request-id")
    retry_after = parse_retry_after(response.headers.get("retry-after"), now=now)
    if cls is PossibleDuplicate:
        raw = body.get("candidates")
        ids = [c for c in raw if isinstance(c, str)] if isinstance(raw, list) else []
        return PossibleDuplicate(
            message,
            candidate_ids=ids[:50],
            errors=_field_errors(body.get("errors")),
            request_id=request_id,
            retry_after=retry_after,
        )
    return cls(
        message,
        errors=_field_errors(body.get("errors")),
        request_id=request_id,
        retry_after=retry_after,
    )


def token_error(response: httpx.Response, *, now: float) -> FrontDeskError:
    """The error for a failed `POST /oauth/token` (RFC 6749 §5.2 bodies carry no `detail`)."""
    status = response.status_code
    if status >= 500 or status == 429:
        return error_from_response(response, now=now)
    body = _problem_body(response)
    code = body.get("error")
    if code == "invalid_scope":
        message = "The OAuth client is not permitted the scopes FrontDesk asked for."
        return InsufficientScope(message, request_id=response.headers.get("x-request-id"))
    message = (
        "FrontDeskOS did not accept the OAuth client ID or secret. "
        "Check them in Settings, or ask for a new client."
    )
    return AuthenticationFailed(message, request_id=response.headers.get("x-request-id"))


def offline_error(exc: httpx.TransportError | TimeoutError) -> Offline:
    """An `Offline` naming the kind of failure only: httpx's own text may carry the URL."""
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        reason = "did not answer in time"
    elif isinstance(exc, httpx.ConnectError):
        reason = "could not be reached"
    else:
        reason = "dropped the connection"
    return Offline(
        f"FrontDeskOS {reason}. Check the internet connection; FrontDesk keeps working offline."
    )
