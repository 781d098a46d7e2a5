"""Recurring series: the rule of each, and the series an appointment belongs to.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from frontdesk_app.store.tables import TIMESTAMP_WIDTH

revision = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "series",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("patient_id", sa.String(40), nullable=False),
        sa.Column("provider_id", sa.String(40), nullable=False),
        sa.Column("type", sa.String(30), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.String(TIMESTAMP_WIDTH), nullable=False),
    )
    op.add_column("appointments", sa.Column("series_id", sa.String(40), nullable=True))
    op.create_index("ix_appointments_series_id", "appointments", ["series_id"])


def downgrade() -> None:
    op.drop_index("ix_appointments_series_id", table_name="appointments")
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("series_id")
    op.drop_table("series")
