"""Wire models only the sandbox speaks: webhooks, deliveries, transfer acceptance, tokens.

Everything the clinic itself answers with is in `domain.models`; these describe the server's
own resources so that `/openapi.json` documents them too.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AnyHttpUrl, Field, field_validator

from frontdesk_app.domain.models import EVENT_TYPES, Model, Response
from frontdesk_app.domain.timeutil import UtcDateTime

DeliveryStatus = Literal["pending", "succeeded", "failed", "cancelled"]
ALL_EVENTS = "*"


class TransferAccept(Model):
    """`POST /v1/transfers/{id}/accept`: the agent taking the call."""

    agent_id: str = Field(min_length=1, max_length=64)


class WebhookEndpointCreate(Model):
    url: AnyHttpUrl
    events: list[str] = Field(
        min_length=1,
        max_length=len(EVENT_TYPES) + 1,
        json_schema_extra={"items": {"type": "string", "enum": [*EVENT_TYPES, ALL_EVENTS]}},
    )

    @field_validator("url")
    @classmethod
    def _short_url(cls, value: AnyHttpUrl) -> AnyHttpUrl:
        if len(str(value)) > 2048:
            raise ValueError("The URL may have at most 2048 characters.")
        return value

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: list[str]) -> list[str]:
        for name in value:
            if name != ALL_EVENTS and name not in EVENT_TYPES:
                raise ValueError("Use event types of the API, or * for all of them.")
        return sorted(set(value))


class WebhookEndpoint(Response):
    id: str
    url: str
    events: list[str]
    created_at: UtcDateTime


class WebhookEndpointCreated(WebhookEndpoint):
    """The only answer that carries the signing secret: keep it, it is not shown again."""

    secret: str


class DeliveryAttempt(Response):
    attempt: int
    at: UtcDateTime
    status_code: int | None
    error: str | None
    duration_ms: float | None


class Delivery(Response):
    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: UtcDateTime | None
    created_at: UtcDateTime
    attempts: list[DeliveryAttempt]


class TokenResponse(Response):
    """RFC 6749 §5.1."""

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str


class TokenError(Response):
    """RFC 6749 §5.2."""

    error: Literal[
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
    ]
    error_description: str
