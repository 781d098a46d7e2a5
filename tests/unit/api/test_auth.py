"""OAuth client credentials: fetch, renewal before expiry, one retry after a 401; API keys."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable
from urllib.parse import parse_qs

import httpx
import keyring
import keyring.backend
import keyring.errors
import pytest

from frontdesk_app import secrets
from frontdesk_app.api import (
    ApiBackend,
    ApiKey,
    OAuthClient,
    forget_credentials,
    load_credentials,
    save_credentials,
)
from frontdesk_app.api.auth import OAuthAuthenticator
from frontdesk_app.domain import errors as E
from tests.unit.api.conftest import FAST, Recorder, ok, problem

SECRET = "s3cr3t-client-secret-value"
PAYERS = {"data": [{"id": "payer_1", "name": "Acme Health"}], "next_cursor": None}


class TokenServer:
    """A token endpoint and a /v1 route that accepts only the newest token."""

    def __init__(self, *, expires_in: int | None = 3600) -> None:
        self.expires_in = expires_in
        self.issued: list[str] = []
        self.valid: set[str] = set()
        self.reject_client = False
        self.recorder = Recorder(self.handle)

    def revoke_all(self) -> None:
        self.valid.clear()

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            basic = request.headers.get("Authorization", "")
            user, _, password = (
                base64.b64decode(basic.removeprefix("Basic ")).decode().partition(":")
            )
            form = parse_qs(request.content.decode())
            assert form["grant_type"] == ["client_credentials"]
            if self.reject_client or (user, password) != ("cli_1", SECRET):
                return httpx.Response(401, json={"error": "invalid_client"})
            token = f"tok_{len(self.issued) + 1}"
            self.issued.append(token)
            self.valid.add(token)
            body: dict[str, object] = {"access_token": token, "token_type": "Bearer"}
            if self.expires_in is not None:
                body["expires_in"] = self.expires_in
            return httpx.Response(200, json=body, headers={"Cache-Control": "no-store"})
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.valid:
            return problem(
                401,
                "invalid_token",
                "The access token is not valid.",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return ok(PAYERS)

    def v1_tokens(self) -> list[str]:
        return [
            r.headers["Authorization"].removeprefix("Bearer ")
            for r in self.recorder.requests
            if r.url.path.startswith("/v1")
        ]


@pytest.mark.asyncio
async def test_token_is_fetched_once_and_reused(make_api: Callable[..., ApiBackend]) -> None:
    server = TokenServer()
    api = make_api(server.recorder, credentials=OAuthClient("cli_1", SECRET))
    for _ in range(3):
        assert (await api.list_payers())[0].id == "payer_1"
    assert server.issued == ["tok_1"]
    assert server.v1_tokens() == ["tok_1"] * 3


@pytest.mark.asyncio
async def test_concurrent_first_requests_share_one_token_fetch(
    make_api: Callable[..., ApiBackend],
) -> None:
    server = TokenServer()
    api = make_api(server.recorder, credentials=OAuthClient("cli_1", SECRET))
    await asyncio.gather(*(api.list_payers() for _ in range(10)))
    assert server.issued == ["tok_1"]


@pytest.mark.asyncio
async def test_a_401_renews_the_token_and_retries_once(
    make_api: Callable[..., ApiBackend],
) -> None:
    server = TokenServer()
    api = make_api(server.recorder, credentials=OAuthClient("cli_1", SECRET))
    await api.list_payers()
    server.revoke_all()  # e.g. the server restarted and forgot its tokens
    await api.list_payers()
    assert server.issued == ["tok_1", "tok_2"]
    assert server.v1_tokens() == ["tok_1", "tok_1", "tok_2"]


@pytest.mark.asyncio
async def test_a_second_401_is_authentication_failed(make_api: Callable[..., ApiBackend]) -> None:
    server = TokenServer()

    def always_401(request: httpx.Request) -> httpx.Response:
        response = server.handle(request)
        if request.url.path.startswith("/v1"):
            return problem(401, "invalid_token", "The access token is not valid.")
        return response

    recorder = Recorder(always_401)
    api = make_api(recorder, credentials=OAuthClient("cli_1", SECRET))
    with pytest.raises(E.AuthenticationFailed):
        await api.list_payers()
    v1 = [r for r in recorder.requests if r.url.path.startswith("/v1")]
    assert len(v1) == 2  # the first try and exactly one retry with a fresh token
    assert server.issued == ["tok_1", "tok_2"]


@pytest.mark.asyncio
async def test_revoked_client_is_authentication_failed(make_api: Callable[..., ApiBackend]) -> None:
    server = TokenServer()
    api = make_api(server.recorder, credentials=OAuthClient("cli_1", SECRET))
    await api.list_payers()
    server.revoke_all()
    server.reject_client = True
    with pytest.raises(E.AuthenticationFailed) as caught:
        await api.list_payers()
    assert SECRET not in str(caught.value)
    assert "client ID or secret" in caught.value.message


@pytest.mark.asyncio
async def test_api_key_401_is_final(make_api: Callable[..., ApiBackend]) -> None:
    recorder = Recorder(lambda r: problem(401, "invalid_token", "The API key was revoked."))
    api = make_api(recorder, credentials=ApiKey("fdk_test_revoked123"))
    with pytest.raises(E.AuthenticationFailed, match="revoked"):
        await api.list_payers()
    assert len(recorder.requests) == 1
    assert recorder.requests[0].headers["Authorization"] == "Bearer fdk_test_revoked123"


@pytest.mark.asyncio
async def test_token_is_renewed_before_it_expires() -> None:
    server = TokenServer(expires_in=100)
    now = [1000.0]
    async with httpx.AsyncClient(
        base_url="https://t.example", transport=server.recorder.transport
    ) as client:
        auth = OAuthAuthenticator(OAuthClient("cli_1", SECRET), client, FAST, clock=lambda: now[0])
        assert await auth.authorization() == "Bearer tok_1"
        # A tenth of the lifetime early: still the same token at 89 s, a new one at 91 s.
        now[0] += 89
        assert await auth.authorization() == "Bearer tok_1"
        now[0] += 2
        assert await auth.authorization() == "Bearer tok_2"
        assert auth.tokens_fetched == 2


@pytest.mark.asyncio
async def test_long_tokens_are_renewed_a_minute_early() -> None:
    server = TokenServer(expires_in=3600)
    now = [0.0]
    async with httpx.AsyncClient(
        base_url="https://t.example", transport=server.recorder.transport
    ) as client:
        auth = OAuthAuthenticator(OAuthClient("cli_1", SECRET), client, FAST, clock=lambda: now[0])
        await auth.authorization()
        assert auth.renew_at == 3540.0


@pytest.mark.asyncio
async def test_a_token_without_lifetime_is_used_until_a_401() -> None:
    server = TokenServer(expires_in=None)
    now = [0.0]
    async with httpx.AsyncClient(
        base_url="https://t.example", transport=server.recorder.transport
    ) as client:
        auth = OAuthAuthenticator(OAuthClient("cli_1", SECRET), client, FAST, clock=lambda: now[0])
        first = await auth.authorization()
        now[0] += 1e6
        assert await auth.authorization() == first
        renewed = await auth.renew(first)
        assert renewed == "Bearer tok_2"
        # A renew for a token that was already replaced reuses the replacement.
        assert await auth.renew(first) == "Bearer tok_2"


@pytest.mark.asyncio
async def test_token_endpoint_trouble_is_retried() -> None:
    server = TokenServer()
    script = [503, 502]

    def flaky(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token" and script:
            return httpx.Response(script.pop(0))
        return server.handle(request)

    recorder = Recorder(flaky)
    async with httpx.AsyncClient(
        base_url="https://t.example", transport=recorder.transport
    ) as client:
        auth = OAuthAuthenticator(OAuthClient("cli_1", SECRET), client, FAST)
        assert await auth.authorization() == "Bearer tok_1"
    assert len(recorder.requests) == 3


def test_credentials_never_show_their_secrets() -> None:
    key = ApiKey("fdk_live_supersecret")
    client = OAuthClient("cli_1", SECRET)
    assert "supersecret" not in repr(key) and "supersecret" not in str(key)
    assert SECRET not in repr(client)
    assert "cli_1" in repr(client)


@pytest.mark.parametrize("bad", ["", " fdk_test_x", "fdk_test_x\r\nX-Evil: 1", "fdk\ttest"])
def test_malformed_secrets_are_refused_without_echo(bad: str) -> None:
    with pytest.raises(ValueError) as caught:
        ApiKey(bad)
    assert bad.strip() == "" or bad.strip() not in str(caught.value)


def test_keyring_round_trip() -> None:
    save_credentials(ApiKey("fdk_test_kr1"), environment="sandbox")
    save_credentials(OAuthClient("cli_9", "sec_9"), environment="production")
    assert load_credentials(environment="sandbox", auth_method="api_key") == ApiKey("fdk_test_kr1")
    loaded = load_credentials(environment="production", auth_method="oauth", client_id="cli_9")
    assert loaded == OAuthClient("cli_9", "sec_9")
    assert load_credentials(environment="production", auth_method="api_key") is None
    assert load_credentials(environment="production", auth_method="oauth", client_id="") is None
    forget_credentials(environment="production", client_id="cli_9")
    forget_credentials(environment="sandbox")
    assert load_credentials(environment="sandbox", auth_method="api_key") is None
    assert (
        load_credentials(environment="production", auth_method="oauth", client_id="cli_9") is None
    )
    with pytest.raises(ValueError, match="unknown auth method"):
        load_credentials(environment="sandbox", auth_method="password")


class _NoKeyring(keyring.backend.KeyringBackend):
    priority = 0  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.NoKeyringError("no backend")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.NoKeyringError("no backend")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.NoKeyringError("no backend")


def test_without_a_keyring_the_person_is_told(monkeypatch: pytest.MonkeyPatch) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(_NoKeyring())
    try:
        with pytest.raises(secrets.SecretStoreUnavailable, match="no password store"):
            save_credentials(ApiKey("fdk_test_nokr"), environment="sandbox")
        with pytest.raises(secrets.SecretStoreUnavailable):
            load_credentials(environment="sandbox", auth_method="api_key")
    finally:
        keyring.set_keyring(previous)


@pytest.mark.asyncio
async def test_no_secret_or_token_in_logs(
    make_api: Callable[..., ApiBackend], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = TokenServer()
    api = make_api(server.recorder, credentials=OAuthClient("cli_1", SECRET))
    await api.list_payers()
    server.revoke_all()
    await api.list_payers()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "401, retrying once with a fresh token" in text
    for secret in (SECRET, "tok_1", "tok_2", "Bearer", "Basic"):
        assert secret not in text
