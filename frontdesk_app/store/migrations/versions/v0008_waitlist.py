"""The waitlist (ASAP list): patients who want an earlier time, with what they asked for.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from frontdesk_app.store.tables import TIMESTAMP_WIDTH

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "waitlist",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("patient_id", sa.String(40), nullable=False),
        sa.Column("provider_id", sa.String(40), nullable=True),
        sa.Column("type", sa.String(30), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("day_parts", sa.JSON(), nullable=False),
        sa.Column("earliest", sa.Date(), nullable=True),
        sa.Column("latest", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("appointment_id", sa.String(40), nullable=True),
        sa.Column("created_at", sa.String(TIMESTAMP_WIDTH), nullable=False),
        sa.Column("updated_at", sa.String(TIMESTAMP_WIDTH), nullable=False),
    )
    op.create_index("ix_waitlist_status_created_at", "waitlist", ["status", "created_at"])
    op.create_index("ix_waitlist_patient_id", "waitlist", ["patient_id"])


def downgrade() -> None:
    op.drop_table("waitlist")
