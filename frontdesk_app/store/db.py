"""`Store`: one SQLite file in WAL mode, migrated by Alembic, with read and write sessions."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry

from frontdesk_app.store import encryption

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# How long a writer waits for another process's write transaction before giving up.
BUSY_TIMEOUT_MS = 10_000
_WRITE_OPTION = "frontdesk_write"


class Store:
    """A migrated SQLite database.

    `read()` gives a session in a deferred transaction (a consistent snapshot under WAL);
    `write()` gives one in `BEGIN IMMEDIATE`, so a check-then-insert done inside it cannot race
    another writer, in this process or any other.
    """

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self.engine = engine
        self._write_engine = engine.execution_options(**{_WRITE_OPTION: True})
        self._closed = False
        self._lock = threading.Lock()
        self.encrypted = False

    @classmethod
    def open(
        cls, path: str | Path, *, synchronous_full: bool = False, key: str | None = None
    ) -> Store:
        """Open (creating if needed) the database at `path` and upgrade it to the newest schema.

        `synchronous_full` trades some write speed for durability on power loss (the sync
        outbox needs it: with NORMAL a committed write can be lost). With `key` the store is
        encrypted with SQLCipher (a plain one is encrypted in place first); see `encryption`.
        A wrong or missing key raises `StoreLocked` and leaves the file as it is.
        """
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
        if key is None:
            encryption.require_plain(target)
            engine = create_engine(
                f"sqlite:///{target}", connect_args=connect_args, hide_parameters=True
            )
        else:
            encryption.prepare(target, key)
            engine = create_engine(
                f"sqlite:///{target}",
                module=encryption.dbapi(),
                connect_args=connect_args,
                # A database error's text never carries the statement's values (names, notes).
                hide_parameters=True,
            )
        _configure(engine, synchronous="FULL" if synchronous_full else "NORMAL", key=key)
        store = cls(target, engine)
        store.encrypted = key is not None
        try:
            from frontdesk_app.store.migrate import upgrade_to_head

            upgrade_to_head(store)
        except BaseException:
            engine.dispose()
            raise
        return store

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; whatever it changes is rolled back."""
        self._check_open()
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session
            session.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session in an immediate write transaction, committed when the block ends."""
        self._check_open()
        with Session(self._write_engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A Core connection inside a write transaction (bulk inserts, migrations)."""
        self._check_open()
        with self._write_engine.begin() as connection:
            yield connection

    def close(self) -> None:
        """Close every pooled connection; the store is unusable afterwards."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.engine.dispose()

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the store is closed")

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _configure(engine: Engine, *, synchronous: str, key: str | None = None) -> None:
    """Pragmas on every new connection, and our own BEGIN so writes can be IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
        if key is not None:
            # Before anything else touches the file: every page is encrypted, the first too.
            encryption.apply_key(dbapi_connection, key)
        # sqlite3 would otherwise emit its own deferred BEGIN; SQLAlchemy emits it instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        options: dict[str, Any] = dict(connection.get_execution_options())
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get(_WRITE_OPTION) else "BEGIN")
