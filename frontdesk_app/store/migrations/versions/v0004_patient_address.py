"""Patients registered at the desk: their postal address, and a look-up by phone digits.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

`POST /v1/patients` takes an address; a likely duplicate is looked for by name and date of
birth (indexed since 0001) and by the phone's digits (indexed here).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("patients") as batch:
        batch.add_column(sa.Column("address", sa.String(300), nullable=True))
    op.create_index("ix_patients_phone_digits", "patients", ["phone_digits"])


def downgrade() -> None:
    op.drop_index("ix_patients_phone_digits", table_name="patients")
    with op.batch_alter_table("patients") as batch:
        batch.drop_column("address")
