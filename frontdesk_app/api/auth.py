"""Credentials (API key or OAuth 2.0 client) and the `Authorization` header they produce.

OAuth 2.0 client credentials (RFC 6749 §4.4) is one form POST to `/oauth/token`; we do it on the
client's own `httpx.AsyncClient` rather than through Authlib's `AsyncOAuth2Client`, which would
open a second connection pool and still leave the retry after a 401 to us. A token is renewed
shortly before it expires (a tenth of its lifetime early, at most a minute), once for all
concurrent requests, and again at once when the server answers 401 to a token we thought good
(clock skew, revocation, a server restart). An API key cannot be renewed: a 401 is final.

Secrets are never in a repr, a log line or an exception message; they live only in the OS
keyring (`frontdesk_app.secrets`), and `load_credentials` / `save_credentials` put them there.
"""

from __future__ import annotations

import abc
import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from frontdesk_app import secrets
from frontdesk_app.api.errors import ProtocolError, offline_error, token_error
from frontdesk_app.api.retry import (
    RETRYABLE_STATUSES,
    RetryableFailure,
    RetryPolicy,
    call_with_retries,
)
from frontdesk_app.domain import clock

log = logging.getLogger(__name__)

TOKEN_PATH = "/oauth/token"  # noqa: S105 - a route, not a secret
# Renew this share of a token's lifetime before it ends, but never more than a minute early.
_EARLY_SHARE = 0.1
_EARLY_MAX = 60.0


def _check_header_safe(value: str, what: str) -> None:
    # A newline would let a pasted secret inject headers; say so without echoing it.
    if not value or value != value.strip() or any(c in value for c in "\r\n\t\0"):
        raise ValueError(f"The {what} is empty or contains spaces or line breaks.")


class Credentials(abc.ABC):
    """Something that can sign requests to the API."""

    @abc.abstractmethod
    def authenticator(self, client: httpx.AsyncClient, policy: RetryPolicy) -> Authenticator: ...


@dataclass(frozen=True, slots=True)
class ApiKey(Credentials):
    """An API key (`fdk_test_…` for a sandbox, `fdk_live_…` for production)."""

    key: str = field(repr=False)

    def __post_init__(self) -> None:
        _check_header_safe(self.key, "API key")

    @property
    def is_test_key(self) -> bool:
        return self.key.startswith("fdk_test_")

    def authenticator(self, client: httpx.AsyncClient, policy: RetryPolicy) -> Authenticator:
        return StaticAuthenticator(f"Bearer {self.key}")


@dataclass(frozen=True, slots=True)
class OAuthClient(Credentials):
    """An OAuth 2.0 client (id and secret) that obtains access tokens by client credentials."""

    client_id: str
    client_secret: str = field(repr=False)
    scope: str | None = None
    token_path: str = TOKEN_PATH

    def __post_init__(self) -> None:
        _check_header_safe(self.client_id, "OAuth client ID")
        _check_header_safe(self.client_secret, "OAuth client secret")

    def authenticator(self, client: httpx.AsyncClient, policy: RetryPolicy) -> Authenticator:
        return OAuthAuthenticator(self, client, policy)


class Authenticator(abc.ABC):
    """Produces the `Authorization` header value, and a fresher one after a 401."""

    @abc.abstractmethod
    async def authorization(self) -> str: ...

    @abc.abstractmethod
    async def renew(self, stale: str) -> str | None:
        """A header value other than `stale`, or None when nothing fresher can exist."""


class StaticAuthenticator(Authenticator):
    def __init__(self, header: str) -> None:
        self._header = header

    async def authorization(self) -> str:
        return self._header

    async def renew(self, stale: str) -> str | None:
        return None


class OAuthAuthenticator(Authenticator):
    """Client-credentials tokens, fetched on first use and renewed before they expire."""

    def __init__(
        self,
        credentials: OAuthClient,
        client: httpx.AsyncClient,
        policy: RetryPolicy,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._credentials = credentials
        self._client = client
        self._policy = policy
        self._clock = clock
        self._lock = asyncio.Lock()
        self._header: str | None = None
        self._renew_at = 0.0
        self.tokens_fetched = 0

    @property
    def renew_at(self) -> float:
        """The monotonic time after which the current token is renewed before use."""
        return self._renew_at

    def _fresh(self) -> bool:
        return self._header is not None and self._clock() < self._renew_at

    async def authorization(self) -> str:
        if not self._fresh():
            async with self._lock:
                if not self._fresh():
                    await self._fetch()
        assert self._header is not None
        return self._header

    async def renew(self, stale: str) -> str | None:
        async with self._lock:
            if self._header is not None and self._header != stale and self._fresh():
                return self._header  # another request renewed it meanwhile
            await self._fetch()
        return self._header

    async def _fetch(self) -> None:
        creds = self._credentials
        form = {"grant_type": "client_credentials"}
        if creds.scope:
            form["scope"] = creds.scope
        started = self._clock()

        async def attempt() -> httpx.Response:
            try:
                response = await self._client.post(
                    creds.token_path,
                    data=form,
                    auth=httpx.BasicAuth(creds.client_id, creds.client_secret),
                    headers={"Accept": "application/json"},
                )
            except httpx.TransportError as exc:
                raise RetryableFailure(offline_error(exc)) from None
            if response.status_code in RETRYABLE_STATUSES:
                raise RetryableFailure(token_error(response, now=clock.now_timestamp()))
            return response

        # Asking for a token changes nothing on the server, so it is as safe to repeat as a GET.
        response = await call_with_retries(
            self._policy, attempt, retry_safe=True, label=f"POST {creds.token_path}"
        )
        if response.status_code != 200:
            raise token_error(response, now=clock.now_timestamp())
        try:
            body = response.json()
            token = body["access_token"]
            token_type = str(body.get("token_type", "Bearer"))
            expires_in = body.get("expires_in")
        except (ValueError, KeyError, TypeError):
            raise ProtocolError("the token endpoint answered without an access token") from None
        if not isinstance(token, str) or token_type.lower() != "bearer":
            raise ProtocolError("the token endpoint answered an unusable token")
        self._header = f"Bearer {token}"
        self._renew_at = started + _lifetime(expires_in)
        self.tokens_fetched += 1
        log.info("obtained an access token (valid %s s)", expires_in)


def _lifetime(expires_in: object) -> float:
    """How long to use a token: its lifetime minus the early-renewal margin."""
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
        return math.inf  # no lifetime given: use it until the server says 401
    seconds = float(expires_in)
    if not math.isfinite(seconds) or seconds <= 0:
        return 0.0
    return seconds - min(_EARLY_MAX, seconds * _EARLY_SHARE)


# --- the OS keyring ------------------------------------------------------------------------


def _key_name(environment: str) -> str:
    return f"{environment}/api_key"


def _client_name(environment: str, client_id: str) -> str:
    return f"{environment}/oauth_client/{client_id}"


def save_credentials(credentials: Credentials, *, environment: str) -> None:
    """Keep the secret in the OS keyring, or sealed in the desk's vault on a computer without
    one (raises `secrets.SecretStoreUnavailable` if neither is there)."""
    if isinstance(credentials, ApiKey):
        secrets.set_secret(_key_name(environment), credentials.key, sealed_ok=True)
    elif isinstance(credentials, OAuthClient):
        secrets.set_secret(
            _client_name(environment, credentials.client_id),
            credentials.client_secret,
            sealed_ok=True,
        )
    else:
        raise TypeError(f"cannot store {type(credentials).__name__}")


def load_credentials(
    *, environment: str, auth_method: str, client_id: str = ""
) -> Credentials | None:
    """The credentials saved for an environment, or None when none are saved.

    `auth_method` is the settings' choice: "api_key", or "oauth" with the client id from the
    settings (ids are not secret; the client secret is in the keyring).
    """
    if auth_method == "oauth":
        if not client_id:
            return None
        secret = secrets.get_secret(_client_name(environment, client_id), sealed_ok=True)
        return OAuthClient(client_id, secret) if secret else None
    if auth_method == "api_key":
        key = secrets.get_secret(_key_name(environment), sealed_ok=True)
        return ApiKey(key) if key else None
    raise ValueError(f"unknown auth method {auth_method!r}")


def forget_credentials(*, environment: str, client_id: str = "") -> None:
    """Remove the saved API key (and the client's secret, when a client id is given)."""
    secrets.delete_secret(_key_name(environment), sealed_ok=True)
    if client_id:
        secrets.delete_secret(_client_name(environment, client_id), sealed_ok=True)


__all__ = [
    "ApiKey",
    "Authenticator",
    "Credentials",
    "OAuthAuthenticator",
    "OAuthClient",
    "forget_credentials",
    "load_credentials",
    "save_credentials",
]
