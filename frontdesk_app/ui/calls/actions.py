"""What an agent can start from an open call, as typed requests the main window routes; no Qt.

The live-calls panel emits one of these (`CallsPanel.action_requested`) with the caller's
patient and what the AI assistant collected already filled in; the main window sends a
booking, reschedule or cancel to the calendar's dialogs, an eligibility check to the
eligibility panel and a prescription lookup to the prescriptions panel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from frontdesk_app.domain.models import Appointment, Transfer

ActionKind = Literal["book", "new_patient", "reschedule", "cancel", "eligibility", "prescription"]
ACTION_KINDS: tuple[ActionKind, ...] = (
    "book",
    "new_patient",
    "reschedule",
    "cancel",
    "eligibility",
    "prescription",
)
ACTION_LABELS: dict[ActionKind, str] = {
    "book": "Book appointment",
    "new_patient": "New patient",
    "reschedule": "Reschedule",
    "cancel": "Cancel appointment",
    "eligibility": "Check eligibility",
    "prescription": "Prescriptions",
}
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Intents after which registering the caller leads on to booking them.
BOOKING_INTENTS = frozenset({"book_appointment", "new_patient"})
# Where "morning" and "afternoon" start when a caller names only a part of the day.
PART_OF_DAY = {"morning": time(9, 0), "afternoon": time(13, 0), "evening": time(16, 0)}


@dataclass(frozen=True, slots=True)
class CallContext:
    """Which call an action came from, so the result can be tied back to it."""

    call_id: str
    transfer_id: str
    patient_id: str | None
    caller_phone: str
    collected: dict[str, Any] = field(default_factory=dict)
    summary: str = ""


@dataclass(frozen=True, slots=True)
class BookingRequest:
    context: CallContext
    patient_id: str | None
    preferred_day: date | None = None
    preferred_time: time | None = None
    notes: str = ""
    kind: ActionKind = "book"
    part_of_day: str | None = None
    reason: str | None = None
    intent: str | None = None
    new_patient: bool = False
    # The caller said their insurance changed: check the new card before booking.
    insurance_changed: bool = False


@dataclass(frozen=True, slots=True)
class RescheduleRequest:
    context: CallContext
    patient_id: str | None
    appointment_id: str | None
    preferred_day: date | None = None
    preferred_time: time | None = None
    reason: str = ""
    kind: ActionKind = "reschedule"


@dataclass(frozen=True, slots=True)
class CancelRequest:
    context: CallContext
    patient_id: str | None
    appointment_id: str | None
    reason_code: str = "patient_request"
    kind: ActionKind = "cancel"


@dataclass(frozen=True, slots=True)
class EligibilityLookup:
    context: CallContext
    patient_id: str | None
    date_of_service: date | None = None
    kind: ActionKind = "eligibility"
    # The caller has a new card: the payer and member id on file must not be used silently.
    insurance_changed: bool = False


@dataclass(frozen=True, slots=True)
class PrescriptionLookup:
    context: CallContext
    patient_id: str | None
    medication: str | None = None
    kind: ActionKind = "prescription"


@dataclass(frozen=True, slots=True)
class NewPatientRequest:
    """Register the caller: the form prefilled from what the assistant collected."""

    context: CallContext
    patient_id: str | None
    prefill: dict[str, Any] = field(default_factory=dict)
    then_book: BookingRequest | None = None
    kind: ActionKind = "new_patient"


CallAction = (
    BookingRequest
    | NewPatientRequest
    | RescheduleRequest
    | CancelRequest
    | EligibilityLookup
    | PrescriptionLookup
)


def new_patient_prefill(ctx: CallContext) -> dict[str, Any]:
    """The new-patient form's fields from the call: name, date of birth, the caller's phone,
    and insurance when the assistant took it down."""
    data = ctx.collected
    prefill: dict[str, Any] = {"phone": ctx.caller_phone}
    for key in ("patient_name", "date_of_birth", "email", "address", "payer_id", "member_id"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            prefill[key] = value.strip()
    return prefill


def context_of(transfer: Transfer) -> CallContext:
    call = transfer.call
    if call is None:
        return CallContext(
            call_id=transfer.call_id,
            transfer_id=transfer.transfer_id,
            patient_id=None,
            caller_phone="",
        )
    return CallContext(
        call_id=call.id,
        transfer_id=transfer.transfer_id,
        patient_id=call.caller.patient_id,
        caller_phone=call.caller.phone,
        collected=dict(call.collected_data),
        summary=call.summary,
    )


def next_weekday(name: object, today: date) -> date | None:
    """The next `Tuesday` after today (a week ahead when today is Tuesday), or None."""
    if not isinstance(name, str) or name.strip().lower() not in WEEKDAY_NAMES:
        return None
    target = WEEKDAY_NAMES.index(name.strip().lower())
    ahead = (target - today.weekday()) % 7 or 7
    return today + timedelta(days=ahead)


def part_of_day(name: object) -> time | None:
    return PART_OF_DAY.get(name.strip().lower()) if isinstance(name, str) else None


def pick_appointment(
    appointments: list[Appointment], weekday_name: object, zone: ZoneInfo, now: datetime
) -> Appointment | None:
    """The caller's upcoming appointment they mean: on the named weekday if given, else next."""
    upcoming = sorted(
        (a for a in appointments if a.active and a.start_time > now), key=lambda a: a.start_time
    )
    if isinstance(weekday_name, str) and weekday_name.strip().lower() in WEEKDAY_NAMES:
        target = WEEKDAY_NAMES.index(weekday_name.strip().lower())
        for appointment in upcoming:
            if appointment.start_time.astimezone(zone).weekday() == target:
                return appointment
    return upcoming[0] if upcoming else None


def build_action(
    kind: ActionKind,
    transfer: Transfer,
    *,
    today: date,
    zone: ZoneInfo,
    appointment: Appointment | None = None,
) -> CallAction:
    """The request for `kind`, filled from the call; `appointment` is the one it concerns."""
    ctx = context_of(transfer)
    data = ctx.collected
    patient_id = ctx.patient_id
    if kind == "new_patient":
        wants_booking = transfer.call is not None and transfer.call.intent.name in BOOKING_INTENTS
        then_book = (
            build_action("book", transfer, today=today, zone=zone) if wants_booking else None
        )
        return NewPatientRequest(
            ctx,
            patient_id,
            prefill=new_patient_prefill(ctx),
            then_book=then_book if isinstance(then_book, BookingRequest) else None,
        )
    if kind == "book":
        reason = data.get("reason")
        notes = f"Phone: {reason}" if isinstance(reason, str) and reason else ctx.summary
        part = data.get("preferred_time")
        return BookingRequest(
            ctx,
            patient_id,
            preferred_day=next_weekday(data.get("preferred_day"), today),
            preferred_time=part_of_day(part),
            notes=notes,
            part_of_day=part.strip().lower() if isinstance(part, str) else None,
            reason=reason if isinstance(reason, str) else None,
            intent=transfer.call.intent.name if transfer.call else None,
            new_patient=data.get("new_patient") is True or patient_id is None,
            insurance_changed=data.get("insurance_changed") is True,
        )
    appointment_id = appointment.id if appointment else None
    if kind == "reschedule":
        return RescheduleRequest(
            ctx,
            patient_id,
            appointment_id,
            preferred_day=next_weekday(data.get("requested_day"), today),
            preferred_time=part_of_day(data.get("requested_time")),
            reason="Patient asked by phone",
        )
    if kind == "cancel":
        return CancelRequest(ctx, patient_id, appointment_id)
    if kind == "eligibility":
        service_day = appointment.start_time.astimezone(zone).date() if appointment else today
        return EligibilityLookup(
            ctx,
            patient_id,
            date_of_service=service_day,
            insurance_changed=data.get("insurance_changed") is True,
        )
    medication = data.get("medication")
    return PrescriptionLookup(
        ctx, patient_id, medication=medication if isinstance(medication, str) else None
    )
