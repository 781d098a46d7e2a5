"""The audit log names the signed-in person, links an offline booking to its server id, and is
hash-chained (each entry holds the previous entry's hash and its own).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

Entries written before this revision are chained here, in order (the update trigger is lifted
for that one pass and put back).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from frontdesk_app.store.audit_chain import GENESIS, entry_hash

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

_NO_UPDATE = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit entries cannot be changed'); END"
)


def upgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    op.add_column("audit_log", sa.Column("person_id", sa.String(40), nullable=True))
    op.add_column("audit_log", sa.Column("person", sa.String(120), nullable=True))
    op.add_column("audit_log", sa.Column("linked_id", sa.String(64), nullable=True))
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(64), nullable=True))
    op.add_column("audit_log", sa.Column("hash", sa.String(64), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT seq, at, user, workstation, action, patient_id, object_id "
            "FROM audit_log ORDER BY seq"
        )
    ).fetchall()
    previous = GENESIS
    for row in rows:
        fields = dict(row._mapping)
        own = entry_hash(previous, fields)
        bind.execute(
            sa.text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE seq = :s"),
            {"p": previous, "h": own, "s": row.seq},
        )
        previous = own
    op.execute(_NO_UPDATE)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    for column in ("hash", "prev_hash", "linked_id", "person", "person_id"):
        op.drop_column("audit_log", column)
    op.execute(_NO_UPDATE)
