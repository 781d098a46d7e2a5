"""Against the real sandbox: OAuth tokens expire and are renewed mid-session; revoked keys fail."""

from __future__ import annotations

import asyncio
import time

import pytest

from frontdesk_app.api import ApiKey, OAuthClient
from frontdesk_app.api.auth import OAuthAuthenticator
from frontdesk_app.domain import errors as E
from frontdesk_app.sandbox.config import SandboxConfig
from tests.integration.api.support import Identifiers, api_for
from tests.integration.conftest import SandboxFactory

pytestmark = pytest.mark.integration


@pytest.mark.asyncio
async def test_tokens_are_renewed_before_they_expire(
    sandbox_factory: SandboxFactory, log_hygiene: Identifiers
) -> None:
    server = sandbox_factory(SandboxConfig(token_ttl_seconds=2))
    client = server.create_client()
    log_hygiene.secrets.update({client.client_secret, server.api_key})
    async with api_for(server, OAuthClient(client.client_id, client.client_secret)) as api:
        auth = api.session.auth
        assert isinstance(auth, OAuthAuthenticator)
        deadline = time.monotonic() + 4.5
        calls = 0
        # Requests keep flowing across two token lifetimes; none may fail.
        while time.monotonic() < deadline:
            assert await api.list_payers()
            calls += 1
            await asyncio.sleep(0.1)
        log_hygiene.secrets.add((await auth.authorization()).removeprefix("Bearer "))
    assert calls >= 10
    assert auth.tokens_fetched >= 3  # the first, then renewals before each expiry


@pytest.mark.asyncio
async def test_an_expired_token_gets_one_retry_with_a_fresh_one(
    sandbox_factory: SandboxFactory, log_hygiene: Identifiers
) -> None:
    server = sandbox_factory(SandboxConfig(token_ttl_seconds=1))
    client = server.create_client()
    log_hygiene.secrets.add(client.client_secret)
    async with api_for(server, OAuthClient(client.client_id, client.client_secret)) as api:
        # A client whose clock runs slow: it believes its token is still fresh, the server
        # does not, so the only way through is the retry after the 401.
        frozen = OAuthAuthenticator(
            OAuthClient(client.client_id, client.client_secret),
            api.session.client,
            api.session.retry,
            clock=lambda: 0.0,
        )
        api.session.auth = frozen
        await api.list_payers()
        first = await frozen.authorization()
        log_hygiene.secrets.add(first.removeprefix("Bearer "))
        await asyncio.sleep(2.2)
        assert await api.list_payers()
        assert frozen.tokens_fetched == 2
        assert await frozen.authorization() != first
        log_hygiene.secrets.add((await frozen.authorization()).removeprefix("Bearer "))


@pytest.mark.asyncio
async def test_a_revoked_key_is_authentication_failed(
    sandbox_factory: SandboxFactory, log_hygiene: Identifiers
) -> None:
    server = sandbox_factory()
    key = server.create_key().api_key
    log_hygiene.secrets.update({key, server.api_key})
    async with api_for(server, ApiKey(key)) as api:
        assert await api.list_providers()
        assert server.revoke_key(key)
        with pytest.raises(E.AuthenticationFailed) as caught:
            await api.list_providers()
        assert key not in str(caught.value)
        assert caught.value.request_id and caught.value.request_id.startswith("req_")
        # The event stream gives up too: waiting cannot fix a revoked key.
        with pytest.raises(E.AuthenticationFailed):
            async with asyncio.timeout(10):
                await anext(api.events(max_backoff=0.1))


@pytest.mark.asyncio
async def test_a_wrong_client_secret_is_authentication_failed(
    sandbox_factory: SandboxFactory, log_hygiene: Identifiers
) -> None:
    server = sandbox_factory()
    client = server.create_client()
    log_hygiene.secrets.update({client.client_secret, "not-the-secret-at-all"})
    async with api_for(server, OAuthClient(client.client_id, "not-the-secret-at-all")) as api:
        with pytest.raises(E.AuthenticationFailed, match="client ID or secret"):
            await api.list_payers()


@pytest.mark.asyncio
async def test_a_narrow_key_is_insufficient_scope(
    sandbox_factory: SandboxFactory, log_hygiene: Identifiers
) -> None:
    server = sandbox_factory()
    key = server.create_key(scopes=["prescriptions:read"]).api_key
    log_hygiene.secrets.add(key)
    async with api_for(server, ApiKey(key)) as api:
        with pytest.raises(E.InsufficientScope):
            await api.list_providers()
