"""Visits: where a booked patient is on the day (arrived, in a room, with the provider, checked
out, or a no-show), each move with its time and who made it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from frontdesk_app.store.tables import TIMESTAMP_WIDTH

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "visits",
        sa.Column(
            "appointment_id", sa.String(40), sa.ForeignKey("appointments.id"), primary_key=True
        ),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("room", sa.String(40), nullable=True),
        sa.Column("updated_at", sa.String(TIMESTAMP_WIDTH), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("visits")
