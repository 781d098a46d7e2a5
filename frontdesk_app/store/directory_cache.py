"""Providers with their hours and blocks, kept in memory between writes to those tables.

Every booking's rules need its provider (hours, blocks) and every refusal the providers'
names, and they change rarely: loading them through the ORM was the largest part of a write.
One cache per database engine holds them all; it watches every statement the engine runs, and
any INSERT, UPDATE or DELETE of `providers`, `provider_hours` or `provider_blocks` (from any
repository, a sync pull, a migration, raw SQL) makes it stale, again when that transaction
commits or rolls back. A load is kept only if nothing touched those tables while it ran, and
an entry is used only while no such write has happened since, so a reader never sees a
version older than the one its own transaction could have read. Writes by another process are
not heard: the directory is this process's to change (the sandbox, or the desk's sync).
"""

from __future__ import annotations

import itertools
import re
import threading
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from frontdesk_app.domain.models import Provider

_WRITES_DIRECTORY = re.compile(
    r"\s*(?:INSERT|UPDATE|DELETE|REPLACE)\b[^;]*?\b(?:providers|provider_hours|provider_blocks)\b",
    re.IGNORECASE | re.DOTALL,
)
_DIRTY = "frontdesk_directory_written"

Loader = Callable[[Session], list[Provider]]


class DirectoryCache:
    """All providers of one database, valid while its generation stands."""

    def __init__(self, engine: Engine) -> None:
        self._counter = itertools.count(1)
        self.generation = 0
        self._kept: tuple[int, list[Provider], dict[str, Provider]] | None = None
        self._lock = threading.Lock()
        event.listen(engine, "after_cursor_execute", self._seen)
        event.listen(engine, "commit", self._ended)
        event.listen(engine, "rollback", self._ended)

    def _bump(self) -> None:
        self.generation = next(self._counter)

    def _seen(self, conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if _WRITES_DIRECTORY.match(statement):
            conn.info[_DIRTY] = True
            self._bump()

    def _ended(self, conn: Connection) -> None:
        if conn.info.pop(_DIRTY, False):
            self._bump()

    def providers(
        self, session: Session, load: Loader
    ) -> tuple[list[Provider], dict[str, Provider]]:
        """Every provider (ordered as `load` returns them) and the same by id."""
        with self._lock:
            kept = self._kept
        if kept is not None and kept[0] == self.generation:
            return kept[1], kept[2]
        started = self.generation
        # A transaction that wrote the tables reads its own uncommitted rows: never kept.
        writing = bool(session.connection().info.get(_DIRTY))
        loaded = load(session)
        by_id = {p.id: p for p in loaded}
        if not writing and self.generation == started:
            with self._lock:
                self._kept = (started, loaded, by_id)
        return loaded, by_id


_caches: weakref.WeakKeyDictionary[Engine, DirectoryCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _root(engine: Engine) -> Engine:
    """The engine itself for an engine with other execution options (`Store.write` uses one):
    a store's reads and writes share one cache, which hears the statements of both."""
    while True:
        proxied = getattr(engine, "_proxied", None)
        if not isinstance(proxied, Engine):
            return engine
        engine = proxied


def cache_for(session: Session) -> DirectoryCache:
    bind = session.get_bind()
    engine = _root(bind.engine if isinstance(bind, Connection) else bind)
    with _caches_lock:
        cache = _caches.get(engine)
        if cache is None:
            cache = DirectoryCache(engine)
            _caches[engine] = cache
    return cache
