"""The SQLite schema as SQLAlchemy 2 typed ORM classes; Alembic migrations create it.

No `from __future__ import annotations` here: with real annotations SQLAlchemy reads each
column's `Mapped[...]` as an object instead of evaluating its text, a fifth of this module's
import time, which every desk's start pays.
"""

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Fixed width so that text order is time order, microseconds kept so no instant is rounded.
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
TIMESTAMP_WIDTH = 27

# Constraint names are stable so that later migrations (batch mode on SQLite) can address them.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def timestamp_text(value: datetime) -> str:
    """An aware instant as the stored UTC text; a naive one is refused (its zone is a guess)."""
    if value.tzinfo is not UTC:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("stored times must be time-zone aware")
        value = value.astimezone(UTC)
    # isoformat is several times faster than strftime, which matters for bulk inserts.
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def timestamp_value(text: str) -> datetime:
    """The aware UTC instant of a stored text (Python 3.11 reads the `Z` as UTC itself)."""
    return datetime.fromisoformat(text)


class UtcTimestamp(TypeDecorator[datetime]):
    """An aware datetime stored as fixed-width UTC text (`2025-03-15T10:00:00.000000Z`)."""

    impl = String(TIMESTAMP_WIDTH)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        return None if value is None else timestamp_text(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> datetime | None:
        return None if value is None else timestamp_value(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcTimestamp(), dict[str, Any]: JSON(), list[Any]: JSON()}


class ClinicRow(Base):
    """The single clinic this database describes (one row, id 1)."""

    __tablename__ = "clinic"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class ProviderRow(Base):
    __tablename__ = "providers"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    specialty: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))


class ProviderHoursRow(Base):
    """One working window of a weekday (0 = Monday), in the provider's wall-clock time."""

    __tablename__ = "provider_hours"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(Integer)
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)
    __table_args__ = (Index(None, "provider_id", "weekday"),)


class ProviderBlockRow(Base):
    __tablename__ = "provider_blocks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"))
    start_time: Mapped[datetime]
    end_time: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200))
    __table_args__ = (Index(None, "provider_id", "start_time"),)


class PayerRow(Base):
    __tablename__ = "payers"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    available: Mapped[bool] = mapped_column(Boolean)
    # What a down payer tells callers to wait before retrying, in seconds.
    retry_after_seconds: Mapped[int] = mapped_column(Integer)


class PayerServiceRow(Base):
    """How a payer covers one service code (CPT); codes not listed fall back to its category."""

    __tablename__ = "payer_services"
    payer_id: Mapped[str] = mapped_column(
        ForeignKey("payers.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    covered: Mapped[bool] = mapped_column(Boolean)
    requires_prior_auth: Mapped[bool] = mapped_column(Boolean)


class PayerMemberRow(Base):
    """A payer's enrolment record, the deterministic source of every eligibility answer."""

    __tablename__ = "payer_members"
    payer_id: Mapped[str] = mapped_column(
        ForeignKey("payers.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    patient_id: Mapped[str | None] = mapped_column(ForeignKey("patients.id"))
    active: Mapped[bool] = mapped_column(Boolean)
    coverage_start: Mapped[date] = mapped_column(Date)
    coverage_end: Mapped[date | None] = mapped_column(Date)
    copay: Mapped[int] = mapped_column(Integer)
    deductible_total: Mapped[int] = mapped_column(Integer)
    deductible_met: Mapped[int] = mapped_column(Integer)
    coinsurance_pct: Mapped[int] = mapped_column(Integer)
    in_network: Mapped[bool] = mapped_column(Boolean)


class PatientRow(Base):
    __tablename__ = "patients"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(40))
    # Digits only, so that "555 0142", "(555) 014-2…" and "5550142" all find the same person.
    phone_digits: Mapped[str] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    payer_id: Mapped[str | None] = mapped_column(ForeignKey("payers.id"))
    member_id: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(300))
    __table_args__ = (
        Index(None, "last_name", "first_name"),
        Index(None, "date_of_birth"),
        Index(None, "phone_digits"),
    )


class EligibilityCheckRow(Base):
    """Every eligibility answer given, kept so the desk can show the last one offline."""

    __tablename__ = "eligibility_checks"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"))
    payer_id: Mapped[str] = mapped_column(ForeignKey("payers.id"))
    member_id: Mapped[str] = mapped_column(String(40))
    date_of_service: Mapped[date] = mapped_column(Date)
    eligible: Mapped[bool] = mapped_column(Boolean)
    verified_at: Mapped[datetime]
    result: Mapped[dict[str, Any]]
    __table_args__ = (Index(None, "patient_id", "verified_at"),)


class PrescriptionRow(Base):
    __tablename__ = "prescriptions"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"))
    prescriber_id: Mapped[str | None] = mapped_column(ForeignKey("providers.id"))
    medication: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(30))
    refills_remaining: Mapped[int] = mapped_column(Integer)
    last_filled: Mapped[datetime | None]
    next_refill_date: Mapped[datetime | None]
    pharmacy_name: Mapped[str] = mapped_column(String(200))
    pharmacy_phone: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    __table_args__ = (Index(None, "patient_id", "created_at"),)


class AppointmentRow(Base):
    __tablename__ = "appointments"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"))
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"))
    start_time: Mapped[datetime]
    end_time: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(30))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    previous_time: Mapped[datetime | None]
    reschedule_reason: Mapped[str | None] = mapped_column(Text)
    reason_code: Mapped[str | None] = mapped_column(String(60))
    cancelled_at: Mapped[datetime | None]
    # The client's own name for a booking (migration 0004), looked up by a client unsure
    # whether its create went through.
    client_reference: Mapped[str | None] = mapped_column(String(255))
    # The recurring series it belongs to (migration 0009).
    series_id: Mapped[str | None] = mapped_column(String(40))
    # A provider's week and the overlap check are range scans on these two; a calendar of
    # everyone's day uses the third.
    __table_args__ = (
        Index(None, "provider_id", "start_time"),
        Index(None, "patient_id", "start_time"),
        Index(None, "start_time"),
        Index(None, "client_reference"),
        Index(None, "series_id"),
    )


class VisitRow(Base):
    """Where a booked patient is on the day (`domain/visits.py`); no row: not arrived."""

    __tablename__ = "visits"
    appointment_id: Mapped[str] = mapped_column(ForeignKey("appointments.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))
    room: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime]
    history: Mapped[list[Any]]


class WaitlistRow(Base):
    """A patient waiting for an earlier time (`domain/waitlist.py`); the desk chose its id."""

    __tablename__ = "waitlist"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # No foreign keys: a desk's copy may hold an entry before the patient or appointment it
    # names has reached it.
    patient_id: Mapped[str] = mapped_column(String(40))
    provider_id: Mapped[str | None] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(30))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    weekdays: Mapped[list[Any]]
    day_parts: Mapped[list[Any]]
    earliest: Mapped[date | None] = mapped_column(Date)
    latest: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    appointment_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    __table_args__ = (Index(None, "status", "created_at"), Index(None, "patient_id"))


class SeriesRow(Base):
    """A recurring series (`domain/series.py`): its rule; its appointments carry its id."""

    __tablename__ = "series"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    patient_id: Mapped[str] = mapped_column(String(40))
    provider_id: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(30))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    rule: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class NotificationRow(Base):
    """A notification that would have been sent (this store sends nothing)."""

    __tablename__ = "notifications"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    appointment_id: Mapped[str] = mapped_column(ForeignKey("appointments.id"))
    recipient: Mapped[str] = mapped_column(String(20))
    recipient_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    __table_args__ = (Index(None, "appointment_id"),)


class AgentRow(Base):
    __tablename__ = "agents"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    # Round-robin: the available agent routed to longest ago (never first) takes the next
    # call; a counter rather than a time, so two routings in the same second still rotate.
    last_routed_seq: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)


class CallRow(Base):
    __tablename__ = "calls"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    caller_phone: Mapped[str] = mapped_column(String(40))
    caller_name: Mapped[str | None] = mapped_column(String(200))
    patient_id: Mapped[str | None] = mapped_column(ForeignKey("patients.id"))
    started_at: Mapped[datetime]
    intent_name: Mapped[str] = mapped_column(String(60))
    intent_confidence: Mapped[float] = mapped_column(Float)
    sentiment_label: Mapped[str] = mapped_column(String(20))
    sentiment_score: Mapped[float] = mapped_column(Float)
    transcript: Mapped[list[Any]]
    collected_data: Mapped[dict[str, Any]]
    summary: Mapped[str] = mapped_column(Text)
    __table_args__ = (Index(None, "status", "started_at"),)


class TransferRow(Base):
    __tablename__ = "transfers"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id"))
    status: Mapped[str] = mapped_column(String(20))
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id"))
    priority: Mapped[str] = mapped_column(String(20))
    context_summary: Mapped[str | None] = mapped_column(Text)
    context_passed: Mapped[bool] = mapped_column(Boolean)
    transferred_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    disposition: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)
    # While offered to an agent (`connected`): since when, and until when they may accept.
    offered_at: Mapped[datetime | None]
    offer_expires_at: Mapped[datetime | None]
    __table_args__ = (
        Index(None, "agent_id", "status"),
        Index(None, "status", "transferred_at"),
        Index(None, "call_id"),
        Index(None, "status", "offer_expires_at"),
    )


class EventRow(Base):
    """The event log: `seq` only grows (AUTOINCREMENT never reuses a number)."""

    __tablename__ = "events"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime]
    data: Mapped[dict[str, Any]]
    __table_args__ = ({"sqlite_autoincrement": True},)
