"""What the patient card shows, gathered in one go without Qt: appointments, insurance with the
last eligibility answer, prescriptions and recent calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.domain.models import (
    Appointment,
    AppointmentQuery,
    Call,
    EligibilityResult,
    Patient,
    Prescription,
    Provider,
)
from frontdesk_app.domain.pages import every_appointment

RECENT_CALLS = 5
PAST_SHOWN = 10
PAGE = 200


@dataclass(frozen=True, slots=True)
class CardData:
    """One patient's record as the card lays it out; a part that could not be read is empty
    and named in `unavailable` (offline, say), so the rest still shows."""

    patient: Patient
    upcoming: list[Appointment] = field(default_factory=list)
    past: list[Appointment] = field(default_factory=list)
    providers: dict[str, Provider] = field(default_factory=dict)
    payer_name: str | None = None
    last_check: EligibilityResult | None = None
    prescriptions: list[Prescription] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    unavailable: tuple[str, ...] = ()


async def gather(backend: Backend, patient: Patient, *, now: datetime) -> CardData:
    """Read everything the card shows about `patient`."""
    missing: list[str] = []
    appointments: list[Appointment] = []
    try:
        # Bounded: a patient has at most a few hundred appointments.
        query = AppointmentQuery(patient_id=patient.id, limit=PAGE)
        appointments = await every_appointment(backend, query, max_pages=10)
    except FrontDeskError:
        missing.append("appointments")
    upcoming = sorted(
        (a for a in appointments if a.active and a.end_time > now), key=lambda a: a.start_time
    )
    past = sorted(
        (a for a in appointments if a not in upcoming), key=lambda a: a.start_time, reverse=True
    )[:PAST_SHOWN]
    providers: dict[str, Provider] = {}
    payer_name: str | None = None
    try:
        providers = {p.id: p for p in await backend.list_providers()}
        if patient.insurance is not None:
            payers = {p.id: p.name for p in await backend.list_payers()}
            payer_name = payers.get(patient.insurance.payer_id, patient.insurance.payer_id)
    except FrontDeskError:
        missing.append("directory")
    last_check: EligibilityResult | None = None
    try:
        checks = await backend.list_eligibility_checks(patient.id, limit=1)
        last_check = checks[0] if checks else None
    except FrontDeskError:
        missing.append("eligibility")
    prescriptions: list[Prescription] = []
    try:
        prescriptions = (await backend.list_prescriptions(patient.id, limit=50)).data
    except FrontDeskError:
        missing.append("prescriptions")
    calls: list[Call] = []
    try:
        calls = [c for c in await backend.list_calls() if c.caller.patient_id == patient.id]
    except FrontDeskError:
        missing.append("calls")
    return CardData(
        patient=patient,
        upcoming=upcoming,
        past=past,
        providers=providers,
        payer_name=payer_name,
        last_check=last_check,
        prescriptions=prescriptions,
        calls=sorted(calls, key=lambda c: c.started_at, reverse=True)[:RECENT_CALLS],
        unavailable=tuple(missing),
    )
