"""Sorting a failed request: a refusal for a person, a transient hiccup, or no connection.

The replayer and the connectivity monitor both ask this one function, so an error that turns
an outbox entry into a conflict never also marks the whole desk offline, and vice versa.
"""

from __future__ import annotations

import asyncio
from typing import Literal

import httpx

from frontdesk_app.domain.errors import (
    AuthenticationFailed,
    Conflict,
    FrontDeskError,
    IdempotencyKeyReused,
    InsufficientScope,
    NotFound,
    Offline,
    ValidationFailed,
)

Failure = Literal["refusal", "transient", "network", "auth"]

# The server understood the write and said no: retrying the same body can only be refused
# again, so it goes to a person as a conflict.
_REFUSALS: tuple[type[FrontDeskError], ...] = (
    Conflict,
    ValidationFailed,
    NotFound,
    IdempotencyKeyReused,
)


def classify(exc: BaseException) -> Failure:
    """What a failure means for the queue (see the module docstring)."""
    if isinstance(exc, _REFUSALS):
        return "refusal"
    if isinstance(exc, AuthenticationFailed | InsufficientScope):
        return "auth"
    if isinstance(exc, Offline | httpx.TransportError | TimeoutError | asyncio.TimeoutError):
        return "network"
    if isinstance(exc, OSError):
        return "network"
    # 5xx, 429, a payer that is down, and anything unexpected: try again later, a bounded
    # number of times for one entry (the replayer counts), while others go on.
    return "transient"


def describe(exc: BaseException) -> tuple[str, str]:
    """`(code, message)` safe to keep and show: API messages never carry patient data."""
    if isinstance(exc, FrontDeskError):
        return exc.code, exc.message
    if classify(exc) == "network":
        return Offline.code, "The FrontDeskOS server could not be reached."
    # A bug: the type name is safe, the text may not be.
    return "unexpected_error", f"Unexpected error ({type(exc).__name__}); retrying later."
