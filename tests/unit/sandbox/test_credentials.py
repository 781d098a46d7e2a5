"""Clients, keys and tokens in the state file: hashed at rest, scoped, revocable."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from frontdesk_app.sandbox.credentials import (
    MARKER_WRAP,
    SCOPES,
    CredentialStore,
    create_client,
    create_key,
    normalize_scopes,
    register_key,
    revocation_marker,
)
from frontdesk_app.sandbox.key_format import API_KEY_PREFIX, new_api_key
from frontdesk_app.sandbox.state import StateDB


@pytest.fixture
def db(tmp_path: Path) -> Iterator[StateDB]:
    made = StateDB(tmp_path / "state.sqlite")
    yield made
    made.close()


def test_scopes_default_to_all_and_unknown_ones_are_refused() -> None:
    assert normalize_scopes(None) == frozenset(SCOPES)
    assert normalize_scopes(["calls"]) == {"calls"}
    with pytest.raises(ValueError, match="unknown scope"):
        normalize_scopes(["calls", "admin"])


def test_keys_and_clients_authenticate_and_revoke(db: StateDB) -> None:
    key = create_key(db, scopes=["calls"])
    client = create_client(db)
    store = CredentialStore(db, token_ttl_seconds=60)

    async def scenario() -> None:
        principal = await store.authenticate(key.api_key)
        assert principal is not None
        assert principal.kind == "api_key"
        assert principal.scopes == {"calls"}
        assert await store.authenticate("fdk_test_" + "x" * 40) is None
        assert await store.check_client(client.client_id, client.client_secret) == set(SCOPES)
        assert await store.check_client(client.client_id, "wrong") is None
        assert await store.check_client("cli_nobody", client.client_secret) is None
        token = await store.issue_token(client.client_id, frozenset({"eligibility"}))
        assert token.expires_in == 60
        found = await store.authenticate(token.access_token)
        assert found is not None
        assert found.credential_id == client.client_id
        assert found.scopes == {"eligibility"}
        # A second server process on the same file (no cache) sees the token too.
        fresh = CredentialStore(db, token_ttl_seconds=60)
        assert await fresh.authenticate(token.access_token) == found
        assert await store.revoke_key(key.api_key)
        assert await store.authenticate(key.api_key) is None
        assert not await store.revoke_key(key.api_key + "x")

    asyncio.run(scenario())


def test_expired_tokens_are_refused(db: StateDB) -> None:
    client = create_client(db)
    store = CredentialStore(db, token_ttl_seconds=0)

    async def scenario() -> None:
        token = await store.issue_token(client.client_id, frozenset(SCOPES))
        assert await store.authenticate(token.access_token) is None

    asyncio.run(scenario())


def test_secrets_are_not_stored(db: StateDB, tmp_path: Path) -> None:
    key = create_key(db)
    client = create_client(db)
    db.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert key.api_key.encode() not in raw
    assert client.client_secret.encode() not in raw


def test_a_key_made_by_the_desk_is_taken_once_and_replaces_its_last_start(db: StateDB) -> None:
    """The desk makes its bundled sandbox's key before that child runs: the child takes it
    (every scope); the same key again is the same key; the next start's key revokes it."""
    first, second = new_api_key(), new_api_key()
    other = create_key(db, scopes=["calls"])  # a key someone made by hand stays
    key_id = register_key(db, first, name="desk key")
    assert register_key(db, first, name="desk key") == key_id
    store = CredentialStore(db, token_ttl_seconds=60)

    async def scenario() -> None:
        principal = await store.authenticate(first)
        assert principal is not None and principal.scopes == set(SCOPES)
        register_key(db, second, name="desk key")
        fresh = CredentialStore(db, token_ttl_seconds=60)
        assert await fresh.authenticate(first) is None
        assert await fresh.authenticate(second) is not None
        assert await fresh.authenticate(other.api_key) is not None

    asyncio.run(scenario())
    for wrong in ("", "fdk_test_short", "sk_live_" + "a" * 43, API_KEY_PREFIX + "é" * 43):
        with pytest.raises(ValueError, match="not a sandbox API key"):
            register_key(db, wrong, name="desk key")


def test_the_revocation_marker_stays_small_and_still_signals(db: StateDB) -> None:
    """A desk revokes its last start's key at every start: the marker beside the state file
    starts again from one byte at `MARKER_WRAP`, and a running server still forgets the key."""
    marker = revocation_marker(db.path)
    marker.write_bytes(b"." * MARKER_WRAP)
    key = create_key(db)
    store = CredentialStore(db, token_ttl_seconds=60)

    async def scenario() -> None:
        assert await store.authenticate(key.api_key) is not None  # (cached from now on)
        assert await store.revoke_key(key.api_key)
        assert marker.stat().st_size == 1
        assert await store.authenticate(key.api_key) is None
        for _ in range(3):
            assert await store.revoke_key(create_key(db).api_key)
        assert marker.stat().st_size == 4

    asyncio.run(scenario())
