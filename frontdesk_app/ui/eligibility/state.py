"""Eligibility facts the desk derives from checks: per-appointment state, ages, history; no Qt.

The calendar colours each appointment by `eligibility_state_for`, the panel lists a patient's
checks from `CheckHistory`, and every "checked 3 h ago" label comes from `format_age`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from frontdesk_app.config import DEFAULT_TIMEZONE
from frontdesk_app.domain.models import Appointment, EligibilityResult
from frontdesk_app.domain.timeutil import utc_now

EligibilityState = Literal["eligible", "not_eligible", "unknown", "stale"]
ELIGIBILITY_STATES: tuple[EligibilityState, ...] = ("eligible", "not_eligible", "unknown", "stale")

# Payers change coverage at month starts and on life events; clinics re-verify within a few
# days of the visit, so an older answer is shown but flagged for a fresh check.
STALE_AFTER = timedelta(hours=72)
# A result older than this is called "cached" rather than fresh, even while online.
FRESH_FOR = timedelta(minutes=5)

# Service codes asked about for each appointment type when the desk checks in bulk. These are
# the usual CPT office-visit codes; a receptionist can always type others in the panel.
SERVICE_CODES_BY_TYPE: dict[str, tuple[str, ...]] = {
    "consultation": ("99213",),
    "follow-up": ("99212",),
    "new-patient": ("99203",),
    "procedure": ("99213", "20610"),
    "telehealth": ("99441",),
}


# The banner tones of `widgets.Tone` (kept here as plain strings: this module has no Qt).
Tone = Literal["ok", "warn", "bad", "info"]
# Answers about the member id rather than the coverage: check the card, then check again.
MEMBER_ID_PROBLEMS = frozenset({"member_not_found", "member_mismatch"})


@dataclass(frozen=True, slots=True)
class Verdict:
    """An answer in words: the banner's tone, title and detail, and a short form for lists."""

    tone: Tone
    title: str
    detail: str
    short: str


def verdict(result: EligibilityResult) -> Verdict:
    """ "Member ID not found at Summit" is not "not eligible": say which one happened."""
    payer = result.payer
    reason = result.reason
    if result.eligible:
        return Verdict("ok", "✓ Eligible", f"Covered by {payer}", "Eligible")
    if reason == "member_not_found":
        return Verdict(
            "warn",
            f"? Member ID not found at {payer}",
            f"{payer} has no member with this ID. Check the ID on the insurance card (and "
            "that the card is from this payer), then check again.",
            "Member ID not found",
        )
    if reason == "member_mismatch":
        return Verdict(
            "warn",
            f"? Member ID is not this patient's at {payer}",
            f"{payer} has this member ID on file for someone else. Check the card.",
            "Member ID not this patient's",
        )
    if reason == "coverage_not_started":
        detail = f"{payer} coverage starts after the date of service"
    elif reason == "coverage_ended":
        detail = f"{payer} coverage ended before the date of service"
    else:
        detail = f"{payer} reports no active coverage"
    return Verdict("bad", "✕ Not eligible", detail, "Not eligible")


def service_codes_for(appointment_type: str) -> list[str]:
    """The codes a bulk check asks about for an appointment of this type."""
    return list(SERVICE_CODES_BY_TYPE.get(appointment_type, ("99213",)))


def format_age(age: timedelta) -> str:
    """`just now`, `12 min ago`, `3 h ago`, `2 days ago`: how old a cached answer is."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 60:
        return "just now"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h ago"
    return f"{hours // 24} days ago"


def local_service_date(appointment: Appointment, zone: ZoneInfo) -> date:
    """The clinic-local day an appointment takes place on: its date of service."""
    return appointment.start_time.astimezone(zone).date()


def eligibility_state_for(
    appointment: Appointment,
    checks: Iterable[EligibilityResult],
    *,
    zone: ZoneInfo | None = None,
    now: datetime | None = None,
    stale_after: timedelta = STALE_AFTER,
) -> EligibilityState:
    """The latest eligibility state of an appointment's patient for its day of service.

    `unknown`: no check of this patient at all. `stale`: the latest check is older than
    `stale_after` or was made for another date of service (coverage may have changed).
    Otherwise the answer of the latest check for that day.
    """
    zone = zone or ZoneInfo(DEFAULT_TIMEZONE)
    return state_on(
        appointment.patient_id,
        local_service_date(appointment, zone),
        checks,
        now=now or utc_now(),
        stale_after=stale_after,
    )


def state_on(
    patient_id: str,
    service_day: date,
    checks: Iterable[EligibilityResult],
    *,
    now: datetime,
    stale_after: timedelta = STALE_AFTER,
) -> EligibilityState:
    """`eligibility_state_for` by patient and clinic-local day of service (the calendar's
    appointments are views, not `Appointment`s)."""
    own = [c for c in checks if c.patient_id == patient_id]
    if not own:
        return "unknown"
    same_day = [c for c in own if c.date_of_service == service_day]
    if not same_day:
        return "stale"
    latest = max(same_day, key=lambda c: c.verified_at)
    if now - latest.verified_at > stale_after or latest.reason in MEMBER_ID_PROBLEMS:
        return "stale"  # too old, or about a wrong member id: check again
    return "eligible" if latest.eligible else "not_eligible"


HistoryListener = Callable[[EligibilityResult], None]


class CheckHistory:
    """Every eligibility answer this desk has seen, newest first per patient.

    The window holds one: the panel fills it with the checks it runs and with each chosen
    patient's history (`Backend.list_eligibility_checks`, earlier sessions included), the
    calendar with the histories of the patients in view, and both repaint on `add_listener`.
    """

    def __init__(self) -> None:
        self._by_patient: dict[str, dict[str, EligibilityResult]] = {}
        self._listeners: list[HistoryListener] = []

    def add(self, result: EligibilityResult) -> None:
        """Remember a result (the same check id twice is kept once) and tell the listeners."""
        self._by_patient.setdefault(result.patient_id, {})[result.id] = result
        for listener in list(self._listeners):
            listener(result)

    def for_patient(self, patient_id: str) -> list[EligibilityResult]:
        checks = self._by_patient.get(patient_id, {}).values()
        return sorted(checks, key=lambda c: c.verified_at, reverse=True)

    def latest_for(self, patient_id: str) -> EligibilityResult | None:
        """The patient's newest check of any date of service (None when there is none)."""
        checks = self._by_patient.get(patient_id)
        return max(checks.values(), key=lambda c: c.verified_at) if checks else None

    def all(self) -> list[EligibilityResult]:
        return [c for checks in self._by_patient.values() for c in checks.values()]

    def state_for(
        self, appointment: Appointment, *, zone: ZoneInfo | None = None, now: datetime | None = None
    ) -> EligibilityState:
        """`eligibility_state_for` over what this desk has seen of the appointment's patient."""
        return eligibility_state_for(
            appointment,
            self._by_patient.get(appointment.patient_id, {}).values(),
            zone=zone,
            now=now,
        )

    def state_on(
        self, patient_id: str, service_day: date, *, now: datetime | None = None
    ) -> EligibilityState:
        """`state_on` over the patient's own checks only (a dict look-up, then a few)."""
        return state_on(
            patient_id,
            service_day,
            self._by_patient.get(patient_id, {}).values(),
            now=now or utc_now(),
        )

    def add_listener(self, listener: HistoryListener) -> Callable[[], None]:
        """Call `listener` with each new result; returns the function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe


BatchOutcome = Literal[
    "eligible", "not_eligible", "member_not_found", "no_insurance", "payer_down", "failed"
]
BATCH_WORDS: dict[BatchOutcome, str] = {
    "eligible": "Eligible",
    "not_eligible": "Not eligible",
    "member_not_found": "Member ID not found",
    "no_insurance": "No insurance on file",
    "payer_down": "Payer not answering",
    "failed": "Could not be checked",
}


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One appointment of a run that needs a person: whose, when, and what came back."""

    patient_id: str
    patient_name: str
    start: datetime
    date_of_service: date
    outcome: BatchOutcome
    payer: str = ""

    def text(self, zone: ZoneInfo) -> str:
        """`09:30 · Dana Whitfield · Not eligible (Summit Care)`."""
        words = BATCH_WORDS[self.outcome]
        payer = f" ({self.payer})" if self.payer else ""
        return f"{self.start.astimezone(zone):%H:%M} · {self.patient_name} · {words}{payer}"


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """How a run of checks over many appointments ended, for the summary line, and who needs
    a person (not eligible, member id not found, or no answer), in appointment order."""

    eligible: int = 0
    not_eligible: int = 0
    no_insurance: int = 0
    payer_down: int = 0
    failed: int = 0
    member_not_found: int = 0
    attention: tuple[BatchItem, ...] = ()

    @property
    def total(self) -> int:
        return (
            self.eligible
            + self.not_eligible
            + self.member_not_found
            + self.no_insurance
            + self.payer_down
            + self.failed
        )

    def text(self) -> str:
        """`12 checked: 10 eligible, 1 not eligible, 1 payer not answering`."""
        parts = [f"{self.eligible} eligible", f"{self.not_eligible} not eligible"]
        if self.member_not_found:
            parts.append(f"{self.member_not_found} member ID not found")
        if self.no_insurance:
            parts.append(f"{self.no_insurance} without insurance on file")
        if self.payer_down:
            parts.append(f"{self.payer_down} payer not answering")
        if self.failed:
            parts.append(f"{self.failed} could not be checked")
        noun = "appointment" if self.total == 1 else "appointments"
        return f"{self.total} {noun}: " + ", ".join(parts)
