"""Patients registered at the desk (address, look-up by phone digits); transfer offers that expire.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

`POST /v1/patients` takes an address; a likely duplicate is looked for by name and date of
birth (indexed since 0001) and by the phone's digits (indexed here). A transfer offered to an
agent records when (`offered_at`) and until when (`offer_expires_at`): an offer not accepted
by then passes to the next available agent or back to the queue.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("patients") as batch:
        batch.add_column(sa.Column("address", sa.String(300), nullable=True))
    op.create_index("ix_patients_phone_digits", "patients", ["phone_digits"])
    with op.batch_alter_table("transfers") as batch:
        batch.add_column(sa.Column("offered_at", sa.String(27), nullable=True))
        batch.add_column(sa.Column("offer_expires_at", sa.String(27), nullable=True))
    op.create_index(
        "ix_transfers_status_offer_expires_at", "transfers", ["status", "offer_expires_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_transfers_status_offer_expires_at", table_name="transfers")
    with op.batch_alter_table("transfers") as batch:
        batch.drop_column("offer_expires_at")
        batch.drop_column("offered_at")
    op.drop_index("ix_patients_phone_digits", table_name="patients")
    with op.batch_alter_table("patients") as batch:
        batch.drop_column("address")
