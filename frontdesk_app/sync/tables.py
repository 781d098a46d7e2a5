"""The sync tables (created by store migration 0002) as SQLAlchemy Core tables.

A metadata of their own: the store's ORM schema stays the store's, and these are only ever
read and written by `frontdesk_app.sync`.
"""

from __future__ import annotations

import sqlalchemy as sa

from frontdesk_app.store.tables import UtcTimestamp

metadata = sa.MetaData()

outbox = sa.Table(
    "sync_outbox",
    metadata,
    sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("appointment_id", sa.String(40), nullable=False),
    sa.Column("provider_id", sa.String(40), nullable=False),
    sa.Column("patient_id", sa.String(40), nullable=False),
    sa.Column("payload", sa.JSON(), nullable=False),
    sa.Column("before", sa.JSON(none_as_null=True), nullable=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False, default=0),
    sa.Column("next_attempt_at", UtcTimestamp(), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("conflict_code", sa.String(60), nullable=True),
    sa.Column("conflict_message", sa.Text(), nullable=True),
    sa.Column("conflict_at", UtcTimestamp(), nullable=True),
    sa.Column("result", sa.JSON(none_as_null=True), nullable=True),
    sa.Column("created_at", UtcTimestamp(), nullable=False),
    sa.Column("done_at", UtcTimestamp(), nullable=True),
    sa.UniqueConstraint("id", name="uq_sync_outbox_id"),
    sa.Index("ix_sync_outbox_state_seq", "state", "seq"),
    sa.Index("ix_sync_outbox_appointment_id_seq", "appointment_id", "seq"),
    sqlite_autoincrement=True,
)

meta = sa.Table(
    "sync_meta",
    metadata,
    sa.Column("key", sa.String(60), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)

cache = sa.Table(
    "sync_cache",
    metadata,
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("owner_id", sa.String(40), nullable=True),
    sa.Column("value", sa.JSON(none_as_null=True), nullable=True),
    sa.Column("fetched_at", UtcTimestamp(), nullable=True),
    sa.Column("request", sa.JSON(none_as_null=True), nullable=True),
    sa.Column("recheck", sa.Boolean(), nullable=False, default=False),
    sa.Index("ix_sync_cache_kind_owner_id", "kind", "owner_id"),
)
