"""`Idempotency-Key` on every POST and PUT: the first answer is kept 24 h and replayed, never
re-run.

The key is scoped to the credential (an OAuth client keeps its keys across token renewals).
The same key with another request (route or body) is refused with `idempotency_key_reused`.
Two requests with one key at once never both run: a per-key lock makes the second wait for
the first and then replay its answer. Records live in the state file, so a restart keeps them.
Outcomes worth replaying are 2xx and the refusals of the clinic's rules; a 5xx or a request
refused before it ran (bad JSON, no credentials, over budget) is not kept, so a retry can
still succeed. A request runs only once its whole body has arrived (the declared length or the
chunked end): a caller that goes away halfway leaves nothing run and nothing kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk_app.domain.errors import FieldError
from frontdesk_app.sandbox.credentials import Principal
from frontdesk_app.sandbox.front import header
from frontdesk_app.sandbox.problems import PROBLEM_MEDIA_TYPE, problem_body
from frontdesk_app.sandbox.state import StateDB, idempotency, now

MAX_KEY_LENGTH = 255
# Response headers worth replaying; ids, budgets and dates belong to the new request.
_KEPT_HEADERS = (b"content-type", b"location")
_PURGE_EVERY_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class StoredResponse:
    fingerprint: str
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


def fingerprint(method: str, path: str, body: bytes) -> str:
    """The request's identity: route and body, with JSON compared by meaning, not spacing."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256()
    digest.update(f"{method} {path}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()


def backend_key(credential_id: str, key: str) -> str:
    """The key handed to the backend: scoped like ours, so two callers' keys never meet."""
    return hashlib.sha256(f"{credential_id}\n{key}".encode()).hexdigest()


class IdempotencyStore:
    """Durable records, one per (credential, key), expiring after the configured time.

    The server is the only writer of its records, so it also keeps in memory which keys it has
    (read from the file once): a key it has never seen, which is every write's first attempt,
    is answered without a trip to the file.
    """

    def __init__(self, db: StateDB, *, ttl_seconds: int) -> None:
        self._db = db
        self._ttl = ttl_seconds
        self._last_purge = 0.0
        self._known: dict[tuple[str, str], float] | None = None

    async def _known_keys(self) -> dict[tuple[str, str], float]:
        if self._known is None:
            oldest = now() - self._ttl

            def read(conn: Connection) -> dict[tuple[str, str], float]:
                rows = conn.execute(
                    select(
                        idempotency.c.credential_id, idempotency.c.key, idempotency.c.created_at
                    ).where(idempotency.c.created_at >= oldest)
                )
                return {(r.credential_id, r.key): float(r.created_at) for r in rows}

            loaded = await self._db.run(read)
            if self._known is None:
                self._known = loaded
        return self._known

    async def get(self, credential_id: str, key: str) -> StoredResponse | None:
        known = await self._known_keys()
        oldest = now() - self._ttl
        seen = known.get((credential_id, key))
        if seen is None or seen < oldest:
            return None

        def read(conn: Connection) -> StoredResponse | None:
            row = conn.execute(
                select(idempotency).where(
                    and_(
                        idempotency.c.credential_id == credential_id,
                        idempotency.c.key == key,
                        idempotency.c.created_at >= oldest,
                    )
                )
            ).first()
            if row is None:
                return None
            headers = [
                (k.encode("latin-1"), v.encode("latin-1")) for k, v in json.loads(row.headers)
            ]
            return StoredResponse(row.fingerprint, row.status, headers, bytes(row.body))

        return await self._db.run(read)

    async def put(self, credential_id: str, key: str, response: StoredResponse) -> None:
        at = now()
        purge = at - self._last_purge > _PURGE_EVERY_SECONDS
        if purge:
            self._last_purge = at
        headers = json.dumps(
            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers]
        )

        known = await self._known_keys()
        known[(credential_id, key)] = at
        if purge:
            for ident in [i for i, created in known.items() if created < at - self._ttl]:
                del known[ident]

        def write(conn: Connection) -> None:
            if purge:
                conn.execute(idempotency.delete().where(idempotency.c.created_at < at - self._ttl))
            # An expired record with this key may still be there: the new answer replaces it.
            conn.exec_driver_sql(
                "INSERT OR REPLACE INTO idempotency (credential_id, key, fingerprint, status, "
                "headers, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    credential_id,
                    key,
                    response.fingerprint,
                    response.status,
                    headers,
                    response.body,
                    at,
                ),
            )

        await self._db.run(write)


class _KeyLocks:
    """One lock per key in use, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    def acquire_slot(self, ident: tuple[str, str]) -> asyncio.Lock:
        lock, users = self._locks.get(ident, (asyncio.Lock(), 0))
        self._locks[ident] = (lock, users + 1)
        return lock

    def release_slot(self, ident: tuple[str, str]) -> None:
        lock, users = self._locks[ident]
        if users <= 1:
            del self._locks[ident]
        else:
            self._locks[ident] = (lock, users - 1)


def _storable(status: int, state: dict[str, Any]) -> bool:
    if state.get("idempotent_outcome") is False:
        return False
    return 200 <= status < 300 or status in (404, 409, 422)


# The writes a key de-duplicates (a PUT repeats harmlessly anyway, but its first answer is
# the one a retry should see: the entry may have been booked since).
KEYED_METHODS = frozenset({"POST", "PUT"})


class IdempotencyMiddleware:
    """Runs each (credential, key) at most once and replays its stored answer."""

    def __init__(self, app: ASGIApp, *, store: IdempotencyStore) -> None:
        self.app = app
        self.store = store
        self._locks = _KeyLocks()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in KEYED_METHODS:
            await self.app(scope, receive, send)
            return
        raw_key = header(scope, b"idempotency-key")
        state: dict[str, Any] = scope.setdefault("state", {})
        principal: Principal | None = state.get("principal")
        if raw_key is None or principal is None:
            # Without credentials the route refuses the request; nothing to remember.
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1")
        if not key or len(key) > MAX_KEY_LENGTH:
            await _send_problem(
                send,
                400,
                problem_body(
                    status=400,
                    code="validation_failed",
                    detail=f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.",
                    errors=[
                        FieldError("Idempotency-Key", f"Use 1 to {MAX_KEY_LENGTH} characters.")
                    ],
                    request_id=state.get("request_id"),
                ),
            )
            return
        body = await _read_body(receive)
        if body is None:
            # The caller went away before its body was complete: nothing runs, nothing is kept,
            # so the whole request sent again later runs as the first one.
            state["log_label"] = "(incomplete request)"
            return
        request_print = fingerprint(scope["method"], scope["path"], body)
        ident = (principal.credential_id, key)
        state["idempotency_key"] = backend_key(principal.credential_id, key)
        lock = self._locks.acquire_slot(ident)
        try:
            async with lock:
                stored = await self.store.get(*ident)
                if stored is not None:
                    state["log_label"] = "(idempotent replay)"
                    if stored.fingerprint != request_print:
                        await _send_problem(send, 422, _reused(state.get("request_id")))
                    else:
                        await _replay(send, stored)
                    return
                captured = await _run_captured(self.app, scope, body, receive)
                if _storable(captured.status, state):
                    await self.store.put(
                        *ident,
                        StoredResponse(
                            request_print,
                            captured.status,
                            [(k, v) for k, v in captured.headers if k.lower() in _KEPT_HEADERS],
                            captured.body,
                        ),
                    )
        finally:
            self._locks.release_slot(ident)
        # Sent only after the record is safe: a client that saw the answer can rely on replay.
        await _forward(send, captured)


@dataclass(slots=True)
class _Captured:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body (declared length or chunked end reached), or None if the caller left."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            return None


async def _run_captured(app: ASGIApp, scope: Scope, body: bytes, receive: Receive) -> _Captured:
    sent_body = False

    async def replay_receive() -> Message:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    captured = _Captured(500, [], b"")
    parts: list[bytes] = []

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            captured.status = message["status"]
            captured.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    await app(scope, replay_receive, capture)
    captured.body = b"".join(parts)
    return captured


async def _forward(send: Send, captured: _Captured) -> None:
    headers = [(k, v) for k, v in captured.headers if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(captured.body)).encode()))
    await send({"type": "http.response.start", "status": captured.status, "headers": headers})
    await send({"type": "http.response.body", "body": captured.body})


async def _replay(send: Send, stored: StoredResponse) -> None:
    headers = [
        *stored.headers,
        (b"content-length", str(len(stored.body)).encode()),
        (b"idempotent-replayed", b"true"),
    ]
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body})


def _reused(request_id: str | None) -> bytes:
    return problem_body(
        status=422,
        code="idempotency_key_reused",
        detail="This Idempotency-Key was already used for a different request; use a new key.",
        errors=[FieldError("Idempotency-Key", "Already used for another request.")],
        request_id=request_id,
    )


async def _send_problem(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
