"""The audit log: who looked up or changed which patient's data, when; rows can't be changed.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03

Owned by `frontdesk_app.store.audit` (its `audit_log` table mirrors this definition). Two
triggers make the table append-only for every connection, the app's included: an UPDATE or a
DELETE of an entry fails with an error instead of changing history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

TS = sa.String(27)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        # AUTOINCREMENT: a number is never reused, so a gap shows that rows went missing.
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("user", sa.String(120), nullable=False),
        sa.Column("workstation", sa.String(120), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("patient_id", sa.String(40), nullable=True),
        sa.Column("object_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_log"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_patient_id_at", "audit_log", ["patient_id", "at"])
    op.execute(
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit entries cannot be changed'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit entries cannot be deleted'); END"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    op.drop_table("audit_log")
