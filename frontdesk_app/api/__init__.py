"""The FrontDeskOS API client (`ApiBackend`), also usable on its own as the Python SDK."""

from __future__ import annotations

from frontdesk_app.api.auth import (
    ApiKey,
    Credentials,
    OAuthClient,
    forget_credentials,
    load_credentials,
    save_credentials,
)
from frontdesk_app.api.client import ApiBackend
from frontdesk_app.api.environments import (
    PRODUCTION_URL,
    SANDBOX_URL,
    base_url_for,
    bundled_url,
    validate_base_url,
)
from frontdesk_app.api.errors import InsecureBaseUrl, ProtocolError
from frontdesk_app.api.events import EventStream
from frontdesk_app.api.observable import Observable
from frontdesk_app.api.ratelimit import RateBudget
from frontdesk_app.api.retry import RetryPolicy

__all__ = [
    "PRODUCTION_URL",
    "SANDBOX_URL",
    "ApiBackend",
    "ApiKey",
    "Credentials",
    "EventStream",
    "InsecureBaseUrl",
    "OAuthClient",
    "Observable",
    "ProtocolError",
    "RateBudget",
    "RetryPolicy",
    "base_url_for",
    "bundled_url",
    "forget_credentials",
    "load_credentials",
    "save_credentials",
    "validate_base_url",
]
