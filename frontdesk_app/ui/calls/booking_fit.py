"""A booking that fits what the caller asked for; no Qt.

From the call: the provider (the reason's specialty, the patient's usual provider, someone who
works at the part of the day the caller wants), the first free time on the preferred day and
part of the day, the appointment type (a new patient gets `new-patient`), and the wrap-up's
default outcome from the intent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.models import Appointment, AppointmentQuery, Provider, Slot
from frontdesk_app.domain.timeutil import local_instant

# Keywords of a caller's reason → the specialties that see it (lower case, as prefixes).
REASON_SPECIALTIES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("rash", "skin", "mole", "acne", "eczema"), ("dermatology",)),
    (("knee", "joint", "sprain", "fracture", "back pain", "shoulder"), ("orthopedics",)),
    (("chest", "palpitation", "heart"), ("cardiology",)),
    (("blood pressure", "cholesterol"), ("internal medicine", "family medicine", "cardiology")),
    (("diabetes", "thyroid", "hormone"), ("endocrinology",)),
    (("pregnan", "prenatal", "pap smear"), ("obstetrics",)),
    (("anxiety", "depression", "sleep", "mood"), ("psychiatry",)),
    (("child", "baby", "vaccination"), ("pediatrics",)),
)
GENERAL = ("family medicine", "internal medicine")
# A part of the day as the clinic's hours understand it.
PART_WINDOWS: dict[str, tuple[time, time]] = {
    "morning": (time(7, 0), time(12, 0)),
    "afternoon": (time(12, 0), time(17, 0)),
    "evening": (time(17, 0), time(21, 0)),
}
NEW_PATIENT_MINUTES = 45
VISIT_MINUTES = 30
INTENT_OUTCOMES = {
    "book_appointment": "appointment_booked",
    "new_patient": "appointment_booked",
    "reschedule_appointment": "appointment_rescheduled",
    "cancel_appointment": "appointment_cancelled",
    "prescription_refill": "prescription_handled",
    "billing_question": "information_given",
    "insurance_question": "information_given",
    "urgent_symptoms": "escalated_clinical",
}


def outcome_for(intent: str | None) -> str:
    """The wrap-up outcome a call of this intent most likely ends with."""
    return INTENT_OUTCOMES.get(intent or "", "resolved")


def specialties_for(reason: object) -> tuple[str, ...]:
    """The specialties a reason points to; general practice when it names none."""
    text = reason.lower() if isinstance(reason, str) else ""
    for words, specialties in REASON_SPECIALTIES:
        if any(word in text for word in words):
            return specialties
    return GENERAL


def fits(provider: Provider, specialties: Iterable[str]) -> bool:
    name = provider.specialty.lower()
    return any(name.startswith(s) for s in specialties)


def works_in(provider: Provider, day: date, part: str | None) -> bool:
    """Whether the provider has hours that day overlapping the part of the day (any, if None)."""
    hours = provider.weekly_hours.get(day.weekday(), [])
    if part not in PART_WINDOWS:
        return bool(hours)
    start, end = PART_WINDOWS[part]
    return any(r.start < end and start < r.end for r in hours)


def usual_provider(appointments: Iterable[Appointment], now: datetime) -> str | None:
    """The provider the patient has seen most (past visits, not cancelled); latest on a tie."""
    seen = [a for a in appointments if a.active and a.start_time < now]
    if not seen:
        return None
    counts = Counter(a.provider_id for a in seen)
    latest = {a.provider_id: a.start_time for a in sorted(seen, key=lambda a: a.start_time)}
    return max(counts, key=lambda pid: (counts[pid], latest[pid]))


def choose_provider(
    providers: Sequence[Provider],
    *,
    reason: object,
    usual_provider_id: str | None,
    day: date | None,
    part: str | None,
) -> Provider | None:
    """Who should see the caller: the usual provider when their specialty fits the reason,
    else someone whose does; among them, those who work at the asked part of the day first,
    and a general clinic before an evening clinic outside the evening."""
    if not providers:
        return None
    wanted = specialties_for(reason)

    def available(p: Provider) -> bool:
        return day is None or works_in(p, day, part)

    def rank(p: Provider) -> tuple[int, int, int, str]:
        out_of_hours = "evening" in p.specialty.lower() and part != "evening"
        return (
            0 if available(p) else 1,
            0 if p.id == usual_provider_id else 1,
            1 if out_of_hours else 0,
            p.name,
        )

    fitting = [p for p in providers if fits(p, wanted)]
    if fitting:
        return min(fitting, key=rank)
    usual = next((p for p in providers if p.id == usual_provider_id), None)
    if usual is not None and available(usual):
        return usual
    general = [p for p in providers if fits(p, GENERAL)]
    return min(general or list(providers), key=rank)


def slot_in_part(slots: Iterable[Slot], part: str | None, zone: ZoneInfo) -> datetime | None:
    """The first free time starting in the part of the day (any part when None)."""
    window = PART_WINDOWS.get(part or "")
    for slot in sorted(slots, key=lambda s: s.start_time):
        local = slot.start_time.astimezone(zone).time()
        if window is None or window[0] <= local < window[1]:
            return slot.start_time
    return None


@dataclass(frozen=True, slots=True)
class BookingFit:
    """What the booking dialog opens with for a caller."""

    provider_id: str | None
    start: datetime | None
    appointment_type: str
    duration_minutes: int
    insurance_changed: bool


def appointment_type_for(intent: str | None, *, new_patient: bool, reason: object) -> str:
    if new_patient or intent == "new_patient":
        return "new-patient"
    if isinstance(reason, str) and "follow-up" in reason.lower():
        return "follow-up"
    return "consultation"


def weeks_of(day: date, count: int) -> list[date]:
    """The day and the same weekday in the following weeks (a full day rolls on)."""
    return [day + timedelta(weeks=n) for n in range(count)]


SEARCH_WEEKS = 3


async def fit_booking(
    backend: Backend,
    *,
    patient_id: str | None,
    reason: object,
    intent: str | None,
    new_patient: bool,
    day: date | None,
    part: str | None,
    insurance_changed: bool,
    zone: ZoneInfo,
    now: datetime,
) -> BookingFit:
    """Work the booking out from the call: provider, first free time on the preferred day and
    part of the day (the same weekday of the next weeks when that day is full), type, length."""
    providers = await backend.list_providers()
    usual = None
    if patient_id:
        history = await backend.list_appointments(
            AppointmentQuery(patient_id=patient_id, end=now, limit=200)
        )
        usual = usual_provider(history.data, now)
    provider = choose_provider(
        providers, reason=reason, usual_provider_id=usual, day=day, part=part
    )
    kind = appointment_type_for(intent, new_patient=new_patient, reason=reason)
    minutes = NEW_PATIENT_MINUTES if kind == "new-patient" else VISIT_MINUTES
    start: datetime | None = None
    if provider is not None and day is not None:
        for candidate in weeks_of(day, SEARCH_WEEKS):
            free = await backend.provider_availability(provider.id, candidate, minutes)
            start = slot_in_part(free.slots, part, zone)
            if start is not None:
                break
        if start is None:
            window = PART_WINDOWS.get(part or "", (time(9, 0), time(17, 0)))
            start = local_instant(day, window[0], zone)
    return BookingFit(
        provider_id=provider.id if provider else None,
        start=start,
        appointment_type=kind,
        duration_minutes=minutes,
        insurance_changed=insurance_changed,
    )
