"""The first schema: clinic, directory, payers, appointments, calls, transfers and events.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# Times are fixed-width UTC text (`2025-03-15T10:00:00.000000Z`, see tables.UtcTimestamp).
TS = sa.String(27)


def _ts(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, TS, nullable=nullable)


def _id(name: str = "id") -> sa.Column[str]:
    return sa.Column(name, sa.String(40), nullable=False)


def upgrade() -> None:
    op.create_table(
        "clinic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_clinic"),
    )
    op.create_table(
        "providers",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("specialty", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_providers"),
    )
    op.create_table(
        "provider_hours",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        _id("provider_id"),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start", sa.Time(), nullable=False),
        sa.Column("end", sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name="fk_provider_hours_provider_id_providers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_provider_hours"),
    )
    op.create_index(
        "ix_provider_hours_provider_id_weekday", "provider_hours", ["provider_id", "weekday"]
    )
    op.create_table(
        "provider_blocks",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        _id("provider_id"),
        _ts("start_time"),
        _ts("end_time"),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name="fk_provider_blocks_provider_id_providers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_provider_blocks"),
    )
    op.create_index(
        "ix_provider_blocks_provider_id_start_time",
        "provider_blocks",
        ["provider_id", "start_time"],
    )
    op.create_table(
        "payers",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("retry_after_seconds", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_payers"),
    )
    op.create_table(
        "payer_services",
        _id("payer_id"),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("covered", sa.Boolean(), nullable=False),
        sa.Column("requires_prior_auth", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["payer_id"],
            ["payers.id"],
            name="fk_payer_services_payer_id_payers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("payer_id", "code", name="pk_payer_services"),
    )
    op.create_table(
        "patients",
        _id(),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("phone_digits", sa.String(40), nullable=False),
        sa.Column("email", sa.String(200), nullable=True),
        sa.Column("payer_id", sa.String(40), nullable=True),
        sa.Column("member_id", sa.String(40), nullable=True),
        sa.ForeignKeyConstraint(["payer_id"], ["payers.id"], name="fk_patients_payer_id_payers"),
        sa.PrimaryKeyConstraint("id", name="pk_patients"),
    )
    op.create_index("ix_patients_last_name_first_name", "patients", ["last_name", "first_name"])
    op.create_index("ix_patients_date_of_birth", "patients", ["date_of_birth"])
    op.create_table(
        "payer_members",
        _id("payer_id"),
        sa.Column("member_id", sa.String(40), nullable=False),
        sa.Column("patient_id", sa.String(40), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("coverage_start", sa.Date(), nullable=False),
        sa.Column("coverage_end", sa.Date(), nullable=True),
        sa.Column("copay", sa.Integer(), nullable=False),
        sa.Column("deductible_total", sa.Integer(), nullable=False),
        sa.Column("deductible_met", sa.Integer(), nullable=False),
        sa.Column("coinsurance_pct", sa.Integer(), nullable=False),
        sa.Column("in_network", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["payer_id"],
            ["payers.id"],
            name="fk_payer_members_payer_id_payers",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_payer_members_patient_id_patients"
        ),
        sa.PrimaryKeyConstraint("payer_id", "member_id", name="pk_payer_members"),
    )
    op.create_table(
        "eligibility_checks",
        _id(),
        _id("patient_id"),
        _id("payer_id"),
        sa.Column("member_id", sa.String(40), nullable=False),
        sa.Column("date_of_service", sa.Date(), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        _ts("verified_at"),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_eligibility_checks_patient_id_patients"
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payers.id"], name="fk_eligibility_checks_payer_id_payers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_eligibility_checks"),
    )
    op.create_index(
        "ix_eligibility_checks_patient_id_verified_at",
        "eligibility_checks",
        ["patient_id", "verified_at"],
    )
    op.create_table(
        "prescriptions",
        _id(),
        _id("patient_id"),
        sa.Column("prescriber_id", sa.String(40), nullable=True),
        sa.Column("medication", sa.String(200), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("refills_remaining", sa.Integer(), nullable=False),
        _ts("last_filled", nullable=True),
        _ts("next_refill_date", nullable=True),
        sa.Column("pharmacy_name", sa.String(200), nullable=False),
        sa.Column("pharmacy_phone", sa.String(40), nullable=False),
        _ts("created_at"),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_prescriptions_patient_id_patients"
        ),
        sa.ForeignKeyConstraint(
            ["prescriber_id"], ["providers.id"], name="fk_prescriptions_prescriber_id_providers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_prescriptions"),
    )
    op.create_index(
        "ix_prescriptions_patient_id_created_at", "prescriptions", ["patient_id", "created_at"]
    )
    op.create_table(
        "appointments",
        _id(),
        sa.Column("status", sa.String(20), nullable=False),
        _id("patient_id"),
        _id("provider_id"),
        _ts("start_time"),
        _ts("end_time"),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(30), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        _ts("previous_time", nullable=True),
        sa.Column("reschedule_reason", sa.Text(), nullable=True),
        sa.Column("reason_code", sa.String(60), nullable=True),
        _ts("cancelled_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_appointments_patient_id_patients"
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name="fk_appointments_provider_id_providers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_appointments"),
    )
    op.create_index(
        "ix_appointments_provider_id_start_time", "appointments", ["provider_id", "start_time"]
    )
    op.create_index(
        "ix_appointments_patient_id_start_time", "appointments", ["patient_id", "start_time"]
    )
    op.create_index("ix_appointments_start_time", "appointments", ["start_time"])
    op.create_table(
        "notifications",
        _id(),
        _id("appointment_id"),
        sa.Column("recipient", sa.String(20), nullable=False),
        sa.Column("recipient_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        _ts("created_at"),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name="fk_notifications_appointment_id_appointments",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
    )
    op.create_index("ix_notifications_appointment_id", "notifications", ["appointment_id"])
    op.create_table(
        "agents",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("last_routed_seq", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agents"),
    )
    op.create_table(
        "calls",
        _id(),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("caller_phone", sa.String(40), nullable=False),
        sa.Column("caller_name", sa.String(200), nullable=True),
        sa.Column("patient_id", sa.String(40), nullable=True),
        _ts("started_at"),
        sa.Column("intent_name", sa.String(60), nullable=False),
        sa.Column("intent_confidence", sa.Float(), nullable=False),
        sa.Column("sentiment_label", sa.String(20), nullable=False),
        sa.Column("sentiment_score", sa.Float(), nullable=False),
        sa.Column("transcript", sa.JSON(), nullable=False),
        sa.Column("collected_data", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_calls_patient_id_patients"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_calls"),
    )
    op.create_index("ix_calls_status_started_at", "calls", ["status", "started_at"])
    op.create_table(
        "transfers",
        _id(),
        _id("call_id"),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("agent_id", sa.String(40), nullable=True),
        sa.Column("priority", sa.String(20), nullable=False),
        sa.Column("context_summary", sa.Text(), nullable=True),
        sa.Column("context_passed", sa.Boolean(), nullable=False),
        _ts("transferred_at"),
        _ts("accepted_at", nullable=True),
        _ts("completed_at", nullable=True),
        sa.Column("disposition", sa.String(100), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name="fk_transfers_call_id_calls"),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name="fk_transfers_agent_id_agents"),
        sa.PrimaryKeyConstraint("id", name="pk_transfers"),
    )
    op.create_index("ix_transfers_agent_id_status", "transfers", ["agent_id", "status"])
    op.create_index("ix_transfers_status_transferred_at", "transfers", ["status", "transferred_at"])
    op.create_index("ix_transfers_call_id", "transfers", ["call_id"])
    op.create_table(
        "events",
        sa.Column("seq", sa.Integer(), nullable=False, autoincrement=True),
        _id(),
        sa.Column("type", sa.String(60), nullable=False),
        _ts("created_at"),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_events"),
        sa.UniqueConstraint("id", name="uq_events_id"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    for table in (
        "events",
        "transfers",
        "calls",
        "agents",
        "notifications",
        "appointments",
        "prescriptions",
        "eligibility_checks",
        "payer_members",
        "patients",
        "payer_services",
        "payers",
        "provider_blocks",
        "provider_hours",
        "providers",
        "clinic",
    ):
        op.drop_table(table)
