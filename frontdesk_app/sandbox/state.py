"""The sandbox's own SQLite file: clients, keys, tokens, idempotency records, webhooks.

Sandbox-only bookkeeping, so a small SQLAlchemy Core schema created on start is enough (the
clinic's data lives in the store, behind `LocalBackend`). Everything here is synchronous and
meant to run on one worker thread (`StateDB.run`), so the event loop never waits on the disk
and SQLite sees one writer.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    Column,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import Connection, Engine

from frontdesk_app.domain import clock

T = TypeVar("T")

metadata = MetaData()

clients = Table(
    "clients",
    metadata,
    Column("id", String, primary_key=True),
    Column("secret_hash", String, nullable=False),
    Column("name", String, nullable=False),
    Column("scopes", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String, primary_key=True),
    Column("key_hash", String, nullable=False, unique=True),
    # The first characters of the key, so a person can tell keys apart without the secret.
    Column("prefix", String, nullable=False),
    Column("name", String, nullable=False),
    Column("scopes", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float),
)

tokens = Table(
    "tokens",
    metadata,
    Column("token_hash", String, primary_key=True),
    Column("client_id", String, nullable=False, index=True),
    Column("scopes", Text, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)

idempotency = Table(
    "idempotency",
    metadata,
    Column("credential_id", String, primary_key=True),
    Column("key", String, primary_key=True),
    Column("fingerprint", String, nullable=False),
    Column("status", Integer, nullable=False),
    Column("headers", Text, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("created_at", Float, nullable=False, index=True),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", String, primary_key=True),
    Column("url", Text, nullable=False),
    Column("events", Text, nullable=False),
    # Signing key: kept as is because signing needs it (it is shown to the owner only once).
    Column("secret", String, nullable=False),
    # The creator's scopes: an endpoint receives only the events its creator may read.
    Column("scopes", Text, nullable=False),
    # The credential that registered it: the only one that sees, reads or deletes it.
    Column("owner", String, index=True),
    Column("start_seq", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("deleted_at", Float),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String, primary_key=True),
    Column("endpoint_id", String, nullable=False, index=True),
    Column("event_id", String, nullable=False),
    Column("event_seq", Integer, nullable=False),
    Column("event_type", String, nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String, nullable=False, index=True),
    Column("attempt_count", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float),
    Column("created_at", Float, nullable=False),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("delivery_id", String, primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("at", Float, nullable=False),
    Column("status_code", Integer),
    Column("error", String),
    # Only when the receiver answered (a failure's timing would tell a port's state).
    Column("duration_ms", Float),
)

meta = Table(
    "meta",
    metadata,
    Column("name", String, primary_key=True),
    Column("value", Text, nullable=False),
)


def _upgrade(conn: Connection) -> None:
    """Bring a state file written by an earlier version up to this schema."""
    columns = {row[1] for row in conn.exec_driver_sql("PRAGMA table_info(webhook_endpoints)")}
    if "owner" not in columns:
        conn.exec_driver_sql("ALTER TABLE webhook_endpoints ADD COLUMN owner VARCHAR")
        conn.exec_driver_sql(
            "CREATE INDEX IF NOT EXISTS ix_webhook_endpoints_owner ON webhook_endpoints (owner)"
        )
        # Endpoints from before ownership belong to no credential: retired, not inherited.
        conn.execute(
            webhook_endpoints.update()
            .where(webhook_endpoints.c.deleted_at.is_(None))
            .values(deleted_at=now())
        )


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the CLI add a key while the server runs. NORMAL survives a process crash,
    # which is what "a restart keeps it" needs; only a power cut could lose the last write.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def dump_scopes(scopes: frozenset[str] | set[str] | tuple[str, ...]) -> str:
    return " ".join(sorted(scopes))


def load_scopes(text: str) -> frozenset[str]:
    return frozenset(text.split())


class StateDB:
    """One SQLite file and one worker thread that does all its I/O."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(
            f"sqlite:///{self.path}",
            connect_args={"check_same_thread": False},
        )
        event.listen(self.engine, "connect", _on_connect)
        metadata.create_all(self.engine)
        self.transaction(_upgrade)
        self._executor: ThreadPoolExecutor | None = None

    # --- running work ------------------------------------------------------------------------

    def transaction(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one transaction on the calling thread."""
        with self.engine.begin() as conn:
            return work(conn)

    async def run(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one transaction on the state thread, without blocking the loop."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-state")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.transaction, work)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        self.engine.dispose()

    # --- small helpers -------------------------------------------------------------------------

    @staticmethod
    def get_meta(conn: Connection, name: str) -> str | None:
        row = conn.execute(meta.select().where(meta.c.name == name)).first()
        return None if row is None else str(row.value)

    @staticmethod
    def set_meta(conn: Connection, name: str, value: str) -> None:
        if conn.execute(meta.select().where(meta.c.name == name)).first() is None:
            conn.execute(meta.insert().values(name=name, value=value))
        else:
            conn.execute(meta.update().where(meta.c.name == name).values(value=value))


def now() -> float:
    """Wall-clock seconds; the state file stores Unix times."""
    return clock.now_timestamp()


def dump_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
