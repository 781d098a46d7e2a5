"""Appointments keep the client's own reference for a booking, searchable.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

A desk sends its outbox entry's id as `client_reference` with every create. When it cannot be
sure a create went through (its answer was lost and the server may have forgotten the
Idempotency-Key since), it looks the reference up instead of booking a second time.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("appointments", sa.Column("client_reference", sa.String(255), nullable=True))
    op.create_index("ix_appointments_client_reference", "appointments", ["client_reference"])


def downgrade() -> None:
    op.drop_index("ix_appointments_client_reference", table_name="appointments")
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("client_reference")
