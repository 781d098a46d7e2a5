"""Errors a person can act on, one class per stable API `code`.

    FrontDeskError                 (code, message for a receptionist, field errors, request id)
    ├── ValidationFailed           validation_failed       422
    ├── NotFound                   not_found               404
    ├── Conflict
    │   ├── SlotUnavailable        slot_unavailable        409
    │   ├── ProviderUnavailable    provider_unavailable    409
    │   ├── InvalidState           invalid_state           409
    │   └── PossibleDuplicate      possible_duplicate      409  (candidate_ids)
    ├── IdempotencyKeyReused       idempotency_key_reused  422
    ├── RateLimited                rate_limited            429  (retry_after seconds)
    ├── AuthenticationFailed       invalid_token           401
    ├── InsufficientScope          insufficient_scope      403
    ├── PayerUnavailable           payer_unavailable       503  (retry_after seconds)
    ├── ServiceUnavailable         service_unavailable     5xx  the server failed; retry later
    └── Offline                    offline                 —    the API could not be reached

Messages never carry patient data, tokens or keys: they name what went wrong and what to do.
A bug is any other exception; it is logged and reported, never shown as one of these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class FieldError:
    """One field the person has to correct, with the reason."""

    field: str
    message: str


class FrontDeskError(Exception):
    """A refusal or failure with a stable code and a sentence a receptionist understands."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Request failed"

    def __init__(
        self,
        message: str,
        *,
        errors: list[FieldError] | tuple[FieldError, ...] = (),
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = tuple(errors)
        self.request_id = request_id
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class ValidationFailed(FrontDeskError):
    code = "validation_failed"
    status = 422
    title = "Some details need correcting"


class NotFound(FrontDeskError):
    code = "not_found"
    status = 404
    title = "Not found"


class Conflict(FrontDeskError):
    """The request was understood but clashes with the clinic's current state."""

    status = 409


class SlotUnavailable(Conflict):
    code = "slot_unavailable"
    title = "That time is taken"


class ProviderUnavailable(Conflict):
    code = "provider_unavailable"
    title = "The provider is not working then"


class InvalidState(Conflict):
    code = "invalid_state"
    title = "Not possible in the current state"


class PossibleDuplicate(Conflict):
    """A new patient looks like one already registered; `candidate_ids` names them (ids only,
    never their details) so the person can choose one or register anyway."""

    code = "possible_duplicate"
    title = "This patient may already be registered"

    def __init__(
        self,
        message: str,
        *,
        candidate_ids: list[str] | tuple[str, ...] = (),
        errors: list[FieldError] | tuple[FieldError, ...] = (),
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, errors=errors, request_id=request_id, retry_after=retry_after)
        self.candidate_ids = tuple(candidate_ids)


class IdempotencyKeyReused(FrontDeskError):
    code = "idempotency_key_reused"
    status = 422
    title = "Idempotency key reused with a different request"


class RateLimited(FrontDeskError):
    code = "rate_limited"
    status = 429
    title = "Too many requests"


class AuthenticationFailed(FrontDeskError):
    code = "invalid_token"
    status = 401
    title = "Sign-in failed"


class InsufficientScope(FrontDeskError):
    code = "insufficient_scope"
    status = 403
    title = "Not permitted"


class PayerUnavailable(FrontDeskError):
    code = "payer_unavailable"
    status = 503
    title = "The insurance payer is not answering"


class ServiceUnavailable(FrontDeskError):
    code = "service_unavailable"
    status = 503
    title = "The service had a problem"


class Offline(FrontDeskError):
    code = "offline"
    status = 0
    title = "No connection"


ERRORS_BY_CODE: dict[str, type[FrontDeskError]] = {
    cls.code: cls
    for cls in (
        ValidationFailed,
        NotFound,
        SlotUnavailable,
        ProviderUnavailable,
        InvalidState,
        PossibleDuplicate,
        IdempotencyKeyReused,
        RateLimited,
        AuthenticationFailed,
        InsufficientScope,
        PayerUnavailable,
        ServiceUnavailable,
        Offline,
    )
}


def error_for_code(code: str) -> type[FrontDeskError]:
    """The class for an API `code`; an unknown code is a generic `FrontDeskError`."""
    return ERRORS_BY_CODE.get(code, FrontDeskError)
