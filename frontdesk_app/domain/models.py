"""Typed models of everything the FrontDeskOS API speaks, named field for field as the seed.

Requests keep open values (`type: str`, any `duration_minutes`) so that the scheduling rules,
not the parser, refuse bad values with a sentence a receptionist understands; but types are
strict (`"30"` is not 30, `0` is not false) and times are ISO 8601 within the bookable range.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from frontdesk_app.domain.timeutil import BookableTime, CalendarDate, UtcDateTime

T = TypeVar("T")

APPOINTMENT_TYPES: tuple[str, ...] = (
    "consultation",
    "follow-up",
    "new-patient",
    "procedure",
    "telehealth",
)
CANCEL_REASON_CODES: tuple[str, ...] = (
    "patient_request",
    "provider_unavailable",
    "no_show",
    "rescheduled_elsewhere",
    "weather",
    "other",
)
AppointmentStatus = Literal["confirmed", "rescheduled", "cancelled"]
AgentStatus = Literal["available", "busy", "away"]
CallStatus = Literal["ai_handling", "transferring", "connected", "completed"]
TransferStatus = Literal["queued", "connected", "accepted", "completed"]
TransferPriority = Literal["normal", "urgent", "emergency"]
PrescriptionStatus = Literal[
    "pending", "filled", "ready_for_pickup", "partially_filled", "on_hold", "cancelled", "expired"
]
EVENT_TYPES: tuple[str, ...] = (
    "appointment.created",
    "appointment.rescheduled",
    "appointment.cancelled",
    "transfer.created",
    "transfer.accepted",
    "transfer.completed",
    "agent.status_changed",
    "patient.created",
    "transfer.offer_expired",
    "visit.changed",
    "waitlist.changed",
)
# Not on the wire: the desk's own event when an appointment's sync state changes (pending,
# synced, conflict), delivered to its listeners beside the server's events.
SYNC_EVENT = "sync.appointment"


class Model(BaseModel):
    """Immutable and strict about unknown fields: a typo is an error, not a silent default."""

    # A validation error's text never quotes what was given (it may be a patient's details).
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


class Response(BaseModel):
    """A server answer: immutable, and tolerant of fields a newer server adds."""

    model_config = ConfigDict(frozen=True, extra="ignore", hide_input_in_errors=True)


class Page(Response, Generic[T]):
    data: list[T]
    next_cursor: str | None = None


# --- directory -------------------------------------------------------------------------------


class TimeRange(Response):
    """A wall-clock range in the clinic's zone, such as 08:00–12:00."""

    start: time
    end: time


class BlockedTime(Response):
    start_time: UtcDateTime
    end_time: UtcDateTime
    reason: str = "blocked"


class Provider(Response):
    id: str
    name: str
    specialty: str
    timezone: str
    # Weekday 0 = Monday … 6 = Sunday, as `date.weekday()` counts.
    weekly_hours: dict[int, list[TimeRange]]
    blocked: list[BlockedTime] = Field(default_factory=list)


class Insurance(Response):
    payer_id: str
    member_id: str


class Patient(Response):
    id: str
    first_name: str
    last_name: str
    date_of_birth: date
    phone: str
    email: str | None = None
    address: str | None = None
    insurance: Insurance | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class PatientCreate(Model):
    """Register a patient (`POST /v1/patients`); `domain.patients` checks every field.

    `allow_duplicate` is the person's answer after being shown likely duplicates: this is a
    different person who happens to share a name and date of birth, or a phone.
    """

    first_name: str
    last_name: str
    date_of_birth: date
    phone: str
    email: str | None = None
    address: str | None = None
    insurance: Insurance | None = None
    allow_duplicate: bool = False


class Payer(Response):
    id: str
    name: str
    available: bool = True


class Slot(Response):
    start_time: UtcDateTime
    end_time: UtcDateTime


class Availability(Response):
    provider_id: str
    date: date
    duration_minutes: int
    slots: list[Slot]


# --- appointments ----------------------------------------------------------------------------


# The rules refuse a length outside 5–480 minutes with their own sentence; the schema says so too.
DURATION_SCHEMA: dict[str, Any] = {"minimum": 5, "maximum": 480}


class AppointmentCreate(Model):
    patient_id: str
    provider_id: str
    start_time: BookableTime
    duration_minutes: StrictInt = Field(json_schema_extra=DURATION_SCHEMA)
    type: str = Field(json_schema_extra={"enum": list(APPOINTMENT_TYPES)})
    notes: str | None = None
    # The client's own name for this booking (a desk sends its outbox entry's id): stored on the
    # appointment and searchable, so a client unsure whether a create went through can look.
    client_reference: str | None = Field(default=None, min_length=1, max_length=255)
    # Booked from the waitlist: the entry (`wl_…`) is marked booked in the same transaction,
    # and a booking naming an entry already booked is refused (`domain/waitlist.py`).
    waitlist_entry_id: str | None = Field(default=None, min_length=1, max_length=40)


class AppointmentReschedule(Model):
    new_start_time: BookableTime
    new_duration_minutes: StrictInt | None = Field(default=None, json_schema_extra=DURATION_SCHEMA)
    reason: str | None = None


class AppointmentCancel(Model):
    reason_code: str | None = None
    notify: StrictBool = True


# What a calendar draws of an appointment, as a plain tuple (a busy week holds thousands, read
# straight from the driver): id, provider_id, patient_id, start_time, end_time, type, status,
# notes, reschedule_reason, series_id.
CalendarRow = tuple[str, str, str, datetime, datetime, str, str, str | None, str | None, str | None]


class Appointment(Response):
    id: str
    status: AppointmentStatus
    patient_id: str
    provider_id: str
    start_time: UtcDateTime
    end_time: UtcDateTime
    duration_minutes: int
    type: str
    notes: str | None = None
    created_at: UtcDateTime
    updated_at: UtcDateTime
    previous_time: UtcDateTime | None = None
    reschedule_reason: str | None = None
    reason_code: str | None = None
    cancelled_at: UtcDateTime | None = None
    client_reference: str | None = None
    # One appointment of a recurring series (`domain/series.py`), booked with the others.
    series_id: str | None = None

    @property
    def active(self) -> bool:
        return self.status != "cancelled"


class RescheduleResult(Response):
    id: str
    status: Literal["rescheduled"]
    previous_time: UtcDateTime
    new_start_time: UtcDateTime
    new_end_time: UtcDateTime
    rescheduled_at: UtcDateTime
    provider_id: str
    patient_id: str
    duration_minutes: int
    reason: str | None = None


class CancelResult(Response):
    id: str
    status: Literal["cancelled"]
    reason_code: str | None
    cancelled_at: UtcDateTime
    refund_eligible: bool
    notify: bool = True


class AppointmentQuery(Model):
    provider_id: str | None = None
    patient_id: str | None = None
    start: UtcDateTime | None = None
    end: UtcDateTime | None = None
    status: AppointmentStatus | None = None
    client_reference: str | None = None
    limit: int = 500
    cursor: str | None = None


class Notification(Response):
    id: str
    appointment_id: str
    recipient: Literal["patient", "provider"]
    recipient_id: str
    kind: Literal["created", "rescheduled", "cancelled"]
    created_at: UtcDateTime


# --- eligibility and prescriptions ------------------------------------------------------------


class EligibilityRequest(Model):
    patient_id: str
    payer_id: str
    member_id: str
    date_of_service: CalendarDate
    service_codes: list[str] = Field(default_factory=list)


class Coverage(Response):
    copay: int
    deductible_remaining: int
    coinsurance_pct: int
    in_network: bool


class ServiceCoverage(Response):
    code: str
    covered: bool
    requires_prior_auth: bool


# Why an answer is what it is; `member_not_found` is not "not eligible": the payer has no
# member with that id (a typo, or another payer's card), so the coverage is unknown.
EligibilityReason = Literal[
    "active",
    "member_not_found",
    "member_mismatch",
    "coverage_inactive",
    "coverage_not_started",
    "coverage_ended",
]


class EligibilityResult(Response):
    eligible: bool
    payer: str
    member_id: str
    coverage: Coverage
    verified_at: UtcDateTime
    id: str
    patient_id: str
    payer_id: str
    date_of_service: date
    services: list[ServiceCoverage] = Field(default_factory=list)
    reason: EligibilityReason | None = None


class Pharmacy(Response):
    name: str
    phone: str


class Prescription(Response):
    id: str
    medication: str
    status: PrescriptionStatus
    refills_remaining: int
    last_filled: UtcDateTime | None
    next_refill_date: UtcDateTime | None
    pharmacy: Pharmacy
    patient_id: str
    prescriber_id: str | None = None


# --- calls, agents and transfers -------------------------------------------------------------


class Caller(Response):
    phone: str
    name: str | None = None
    patient_id: str | None = None


class Intent(Response):
    name: str
    confidence: float


class Sentiment(Response):
    label: Literal["positive", "neutral", "negative", "distressed"]
    score: float


class TranscriptLine(Response):
    at: UtcDateTime
    speaker: Literal["caller", "ai", "agent"]
    text: str


class Call(Response):
    id: str
    status: CallStatus
    caller: Caller
    started_at: UtcDateTime
    intent: Intent
    sentiment: Sentiment
    transcript: list[TranscriptLine]
    collected_data: dict[str, Any] = Field(default_factory=dict)
    summary: str


class Agent(Response):
    id: str
    name: str
    status: AgentStatus


class AgentRef(Response):
    id: str
    name: str


class AgentStatusUpdate(Model):
    status: AgentStatus


class TransferRequest(Model):
    target_agent_id: str | None = None
    priority: TransferPriority = "normal"
    context_summary: str | None = None


class Transfer(Response):
    """The seed's transfer object plus what an agent's queue needs (the whole call)."""

    transfer_id: str
    call_id: str
    status: TransferStatus
    agent: AgentRef | None
    context_passed: bool
    transferred_at: UtcDateTime
    priority: TransferPriority = "normal"
    context_summary: str | None = None
    accepted_at: UtcDateTime | None = None
    completed_at: UtcDateTime | None = None
    disposition: str | None = None
    notes: str | None = None
    # An offer to `agent` (status `connected`) not accepted by `offer_expires_at` passes on.
    offered_at: UtcDateTime | None = None
    offer_expires_at: UtcDateTime | None = None
    call: Call | None = None


class TransferCompletion(Model):
    disposition: str
    notes: str | None = None


class SimulatedCallRequest(Model):
    transfer: StrictBool = False
    priority: TransferPriority | None = None
    patient_id: str | None = None
    scenario: str | None = None


# --- events ----------------------------------------------------------------------------------


class Event(Response):
    id: str
    seq: int
    type: str = Field(json_schema_extra={"enum": list(EVENT_TYPES)})
    created_at: UtcDateTime
    data: dict[str, Any]
