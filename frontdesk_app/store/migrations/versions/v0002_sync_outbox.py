"""The offline sync's tables: the outbox of queued writes, sync facts, cached network reads.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02

Owned by `frontdesk_app.sync` (its `tables` module mirrors these definitions). They live in the
mirror database so that a local row and its outbox entry commit in one transaction.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

TS = sa.String(27)


def upgrade() -> None:
    op.create_table(
        "sync_outbox",
        # Queue order; AUTOINCREMENT never reuses a number, so order survives deletions.
        sa.Column("seq", sa.Integer(), nullable=False),
        # The entry's id is its Idempotency-Key.
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("appointment_id", sa.String(40), nullable=False),
        sa.Column("provider_id", sa.String(40), nullable=False),
        sa.Column("patient_id", sa.String(40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", TS, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("conflict_code", sa.String(60), nullable=True),
        sa.Column("conflict_message", sa.Text(), nullable=True),
        sa.Column("conflict_at", TS, nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("done_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_sync_outbox"),
        sa.UniqueConstraint("id", name="uq_sync_outbox_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_sync_outbox_state_seq", "sync_outbox", ["state", "seq"])
    op.create_index("ix_sync_outbox_appointment_id_seq", "sync_outbox", ["appointment_id", "seq"])
    op.create_table(
        "sync_meta",
        sa.Column("key", sa.String(60), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_sync_meta"),
    )
    op.create_table(
        "sync_cache",
        # `eligibility` (key: patient|payer|member) or `prescription` (key: its id).
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("owner_id", sa.String(40), nullable=True),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("fetched_at", TS, nullable=True),
        sa.Column("request", sa.JSON(), nullable=True),
        sa.Column("recheck", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("kind", "key", name="pk_sync_cache"),
    )
    op.create_index("ix_sync_cache_kind_owner_id", "sync_cache", ["kind", "owner_id"])


def downgrade() -> None:
    op.drop_table("sync_cache")
    op.drop_table("sync_meta")
    op.drop_table("sync_outbox")
