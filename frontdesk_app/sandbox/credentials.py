"""OAuth clients, API keys and access tokens: issued once, stored only as hashes.

Why a fast hash (SHA-256) and not argon2: every secret here is 256 bits from `secrets`, so
guessing one from its hash is out of reach however fast the hash is; slow hashes protect
low-entropy passwords, and one on every request would cost tens of milliseconds each. The
plain values are shown once, at creation, and never logged.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from frontdesk_app.domain.ids import CLIENT, new_id
from frontdesk_app.sandbox.key_format import API_KEY_PREFIX, new_api_key, well_formed
from frontdesk_app.sandbox.state import (
    StateDB,
    api_keys,
    clients,
    dump_scopes,
    load_scopes,
    now,
    tokens,
)

SCOPES: tuple[str, ...] = (
    "appointments:read",
    "appointments:write",
    "patients:write",
    "eligibility",
    "prescriptions:read",
    "calls",
    "webhooks",
)
# Prefixes, not secrets: they tell a person what kind of value they hold.
CLIENT_SECRET_PREFIX = "fdk_cs_"  # noqa: S105
TOKEN_PREFIX = "fdk_at_"  # noqa: S105
KEY_ID_PREFIX = "key"


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def normalize_scopes(scopes: Iterable[str] | None) -> frozenset[str]:
    """Every scope when none are named; an unknown scope is an error."""
    if scopes is None:
        return frozenset(SCOPES)
    chosen = frozenset(s for s in scopes if s)
    unknown = chosen - set(SCOPES)
    if unknown:
        raise ValueError("unknown scope: " + ", ".join(sorted(unknown)))
    return chosen


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the credential that budgets, idempotency and scopes hang on."""

    credential_id: str
    kind: Literal["oauth", "api_key"]
    scopes: frozenset[str]
    expires_at: float | None = None

    def expired(self, at: float) -> bool:
        return self.expires_at is not None and at >= self.expires_at


@dataclass(frozen=True, slots=True)
class NewClient:
    client_id: str
    client_secret: str
    scopes: frozenset[str]


@dataclass(frozen=True, slots=True)
class NewKey:
    key_id: str
    api_key: str
    scopes: frozenset[str]


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scopes: frozenset[str]


# --- synchronous operations on the state file (CLI, tests, the state thread) ----------------


def create_client(
    db: StateDB, *, name: str = "sandbox client", scopes: Iterable[str] | None = None
) -> NewClient:
    chosen = normalize_scopes(scopes)
    client_id = new_id(CLIENT, 16)
    secret = CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)
    db.transaction(
        lambda conn: conn.execute(
            clients.insert().values(
                id=client_id,
                secret_hash=hash_secret(secret),
                name=name,
                scopes=dump_scopes(chosen),
                created_at=now(),
            )
        )
    )
    return NewClient(client_id, secret, chosen)


def create_key(
    db: StateDB, *, name: str = "sandbox key", scopes: Iterable[str] | None = None
) -> NewKey:
    chosen = normalize_scopes(scopes)
    key = new_api_key()
    key_id = new_id(KEY_ID_PREFIX, 16)
    db.transaction(lambda conn: _insert_key(conn, key_id, key, name, chosen))
    return NewKey(key_id, key, chosen)


def register_key(db: StateDB, api_key: str, *, name: str) -> str:
    """Take a key made elsewhere (the desk makes its bundled sandbox's key before that child
    starts), with every scope; its id. The same key again is the same key; any other live key
    of that `name` is revoked, so that only the latest start's key opens the sandbox."""
    if not well_formed(api_key):
        raise ValueError("not a sandbox API key")

    def work(conn: Connection) -> tuple[str, bool]:
        digest = hash_secret(api_key)
        live = conn.execute(
            select(api_keys.c.id, api_keys.c.key_hash).where(
                api_keys.c.name == name, api_keys.c.revoked_at.is_(None)
            )
        ).all()
        kept = next((row.id for row in live if row.key_hash == digest), None)
        others = [str(row.id) for row in live if row.key_hash != digest]
        for other in others:
            _revoke_key(conn, other)
        if kept is None:
            kept = new_id(KEY_ID_PREFIX, 16)
            _insert_key(conn, kept, api_key, name, normalize_scopes(None))
        return str(kept), bool(others)

    key_id, revoked = db.transaction(work)
    if revoked:
        _mark_revocation(db)
    return key_id


def _insert_key(conn: Connection, key_id: str, key: str, name: str, scopes: frozenset[str]) -> None:
    conn.execute(
        api_keys.insert().values(
            id=key_id,
            key_hash=hash_secret(key),
            prefix=key[: len(API_KEY_PREFIX) + 4],
            name=name,
            scopes=dump_scopes(scopes),
            created_at=now(),
        )
    )


def _revoke_key(conn: Connection, key_or_id: str) -> str | None:
    """Revoke by the key itself or by its id; the id, or None if there is no live such key."""
    if key_or_id.startswith(API_KEY_PREFIX):
        match = api_keys.c.key_hash == hash_secret(key_or_id)
    else:
        match = api_keys.c.id == key_or_id
    row = conn.execute(select(api_keys.c.id).where(match, api_keys.c.revoked_at.is_(None))).first()
    if row is None:
        return None
    conn.execute(update(api_keys).where(api_keys.c.id == row.id).values(revoked_at=now()))
    return str(row.id)


def _revoke_client(conn: Connection, client_id: str) -> bool:
    done = conn.execute(
        update(clients)
        .where(clients.c.id == client_id, clients.c.revoked_at.is_(None))
        .values(revoked_at=now())
    )
    if not done.rowcount:
        return False
    conn.execute(tokens.delete().where(tokens.c.client_id == client_id))
    return True


# A running server keeps the credentials it has seen in memory. Every revocation, whichever
# process makes it (the CLI, a test, the server), also grows this file next to the state file
# by a byte; the server looks at the file on each request (one stat) and forgets every cached
# credential when it changed, so a revoked key fails from the very next request. Its size is
# the signal that does not depend on how finely the file system keeps times; at
# `MARKER_WRAP` bytes it starts again from one (a desk revokes its last key at every start).
MARKER_WRAP = 4096


def revocation_marker(state_path: Path) -> Path:
    return state_path.with_name(state_path.name + ".revoked")


def _mark_revocation(db: StateDB) -> None:
    with revocation_marker(db.path).open("ab") as marker:
        if marker.tell() >= MARKER_WRAP:
            marker.truncate(0)
        marker.write(b".")


def revoke_key(db: StateDB, key_or_id: str) -> str | None:
    """Revoke an API key (the key or its id); its id, or None if no live key matched."""
    revoked = db.transaction(lambda conn: _revoke_key(conn, key_or_id))
    if revoked is not None:
        _mark_revocation(db)
    return revoked


def revoke_client(db: StateDB, client_id: str) -> bool:
    """Revoke an OAuth client and every access token it holds."""
    revoked = db.transaction(lambda conn: _revoke_client(conn, client_id))
    if revoked:
        _mark_revocation(db)
    return revoked


def _lookup(conn: Connection, token_hash: str, is_key: bool) -> Principal | None:
    if is_key:
        row = conn.execute(
            select(api_keys.c.id, api_keys.c.scopes).where(
                api_keys.c.key_hash == token_hash, api_keys.c.revoked_at.is_(None)
            )
        ).first()
        if row is None:
            return None
        return Principal(str(row.id), "api_key", load_scopes(row.scopes))
    found = conn.execute(
        select(tokens.c.client_id, tokens.c.scopes, tokens.c.expires_at)
        .join(clients, clients.c.id == tokens.c.client_id)
        .where(tokens.c.token_hash == token_hash, clients.c.revoked_at.is_(None))
    ).first()
    if found is None:
        return None
    return Principal(
        str(found.client_id), "oauth", load_scopes(found.scopes), float(found.expires_at)
    )


def _check_client(conn: Connection, client_id: str, secret: str) -> frozenset[str] | None:
    row = conn.execute(
        select(clients.c.secret_hash, clients.c.scopes).where(
            clients.c.id == client_id, clients.c.revoked_at.is_(None)
        )
    ).first()
    if row is None or not secrets.compare_digest(row.secret_hash, hash_secret(secret)):
        return None
    return load_scopes(row.scopes)


# --- the server's view: async, with a cache of known credentials ----------------------------


class CredentialStore:
    """Resolves `Authorization: Bearer …` to a `Principal` without a disk read per request."""

    def __init__(self, db: StateDB, *, token_ttl_seconds: int) -> None:
        self._db = db
        self._ttl = token_ttl_seconds
        # hash -> principal; only positive answers are cached, so a key created by the CLI
        # while the server runs is found on its first use.
        self._cache: dict[str, Principal] = {}
        self._marker = revocation_marker(db.path)
        self._revocations = self._revocation_stamp()

    def _revocation_stamp(self) -> tuple[int, int]:
        try:
            found = os.stat(self._marker)
        except OSError:
            return (0, 0)
        return (found.st_size, found.st_mtime_ns)

    def _forget_revoked(self) -> None:
        stamp = self._revocation_stamp()
        if stamp != self._revocations:
            self._revocations = stamp
            self._cache.clear()

    async def authenticate(self, presented: str) -> Principal | None:
        """The principal behind a bearer value, or None when unknown, revoked or expired."""
        self._forget_revoked()
        token_hash = hash_secret(presented)
        principal = self._cache.get(token_hash)
        if principal is None:
            is_key = presented.startswith(API_KEY_PREFIX)
            principal = await self._db.run(lambda conn: _lookup(conn, token_hash, is_key))
            if principal is None:
                return None
            self._cache[token_hash] = principal
        if principal.expired(now()):
            self._cache.pop(token_hash, None)
            return None
        return principal

    async def check_client(self, client_id: str, secret: str) -> frozenset[str] | None:
        """The client's scopes if the id and secret match a live client."""
        return await self._db.run(lambda conn: _check_client(conn, client_id, secret))

    async def issue_token(self, client_id: str, scopes: frozenset[str]) -> IssuedToken:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_hash = hash_secret(token)
        expires_at = now() + self._ttl

        def store(conn: Connection) -> None:
            # Expired tokens are of no use to anyone: drop them as new ones are issued.
            conn.execute(tokens.delete().where(tokens.c.expires_at < now()))
            conn.execute(
                tokens.insert().values(
                    token_hash=token_hash,
                    client_id=client_id,
                    scopes=dump_scopes(scopes),
                    expires_at=expires_at,
                )
            )

        await self._db.run(store)
        self._cache[token_hash] = Principal(client_id, "oauth", scopes, expires_at)
        return IssuedToken(token, self._ttl, scopes)

    async def revoke_key(self, key_or_id: str) -> bool:
        """Revoke an API key at once, also in this server's cache."""
        revoked = await self._db.run(lambda conn: _revoke_key(conn, key_or_id))
        if revoked is not None:
            self._cache.clear()
            _mark_revocation(self._db)
            self._revocations = self._revocation_stamp()
        return revoked is not None

    async def revoke_client(self, client_id: str) -> bool:
        """Revoke an OAuth client and its tokens at once, also in this server's cache."""
        revoked = await self._db.run(lambda conn: _revoke_client(conn, client_id))
        if revoked:
            self._cache.clear()
            _mark_revocation(self._db)
            self._revocations = self._revocation_stamp()
        return revoked
