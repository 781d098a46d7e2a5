"""The calendar's reads, answered from memory between writes.

Desks ask for the same provider days and the same directory over and over, and the answers
change only when something is written. The answer to a `GET` of a cached route is kept, keyed
by its exact query string, and every entry is dropped the moment the backend announces a
committed write (its event listener runs before the writer's own answer is sent, so a client
always reads its own writes). A read that was under way while a write committed is not kept:
each entry is stored only if no write was announced since its read began. Access is checked
as always (the credential's scope) before an answer leaves the cache; refusals and errors are
never kept. Without a backend that announces its writes, nothing is cached.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk_app.domain.models import Event

# Route → the scope it needs. Only routes whose answers depend on stored data that changes by
# announced writes alone belong here: not availability (it depends on the time of the request)
# and not the directory (providers and payers change without events, by the demo's tools).
CACHED_ROUTES: dict[str, str] = {"/v1/appointments": "appointments:read"}
MAX_ENTRIES = 1024
MAX_BODY_BYTES = 1024 * 1024


class ReadCache:
    """Answers by (path, query string); all dropped on each announced write."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.generation = 0
        self._entries: OrderedDict[tuple[str, bytes], tuple[list[tuple[bytes, bytes]], bytes]]
        self._entries = OrderedDict()

    def written(self, _events: list[Event] | None = None) -> None:
        """A write committed: nothing kept before it may be answered again."""
        self.generation += 1
        self._entries.clear()

    def get(self, key: tuple[str, bytes]) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(
        self,
        key: tuple[str, bytes],
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        generation: int,
    ) -> None:
        if generation != self.generation or len(body) > MAX_BODY_BYTES:
            return
        self._entries[key] = (headers, body)
        self._entries.move_to_end(key)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)


class ReadCacheMiddleware:
    """Serves cached reads before routing; fills the cache from the routes' 200 answers."""

    def __init__(self, app: ASGIApp, *, cache: ReadCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        needed = CACHED_ROUTES.get(scope["path"]) if scope["type"] == "http" else None
        state: dict[str, Any] = scope.get("state") or {}
        principal = state.get("principal")
        if (
            needed is None
            or scope["method"] != "GET"
            or not self.cache.enabled
            or principal is None
            or needed not in principal.scopes
        ):
            await self.app(scope, receive, send)
            return
        key = (scope["path"], bytes(scope.get("query_string", b"")))
        kept = self.cache.get(key)
        if kept is not None:
            state["log_label"] = scope["path"]
            await send({"type": "http.response.start", "status": 200, "headers": kept[0]})
            await send({"type": "http.response.body", "body": kept[1]})
            return
        generation = self.cache.generation
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        parts: list[bytes] = []
        complete = False

        async def keep(message: Message) -> None:
            nonlocal status, headers, complete
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
                complete = not message.get("more_body", False)
            await send(message)

        await self.app(scope, receive, keep)
        if status == 200 and complete:
            self.cache.put(key, headers, b"".join(parts), generation)
