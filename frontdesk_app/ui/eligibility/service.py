"""The eligibility panel's work, without Qt: run checks, classify answers, check a whole day.

Every call is awaited on the caller's loop (qasync in the app), so nothing here blocks. A payer
that is down, or no connection, is an outcome to show in the panel, not an error dialog.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import FrontDeskError, Offline, PayerUnavailable
from frontdesk_app.domain.models import (
    Appointment,
    AppointmentQuery,
    EligibilityRequest,
    EligibilityResult,
    Patient,
    Payer,
)
from frontdesk_app.domain.pages import DAY_PAGES, PAGE, every_appointment
from frontdesk_app.domain.timeutil import local_day_bounds, utc_now
from frontdesk_app.ui.audit_menu import record_view
from frontdesk_app.ui.eligibility.freshness import Freshness, backend_offline
from frontdesk_app.ui.eligibility.state import (
    FRESH_FOR,
    MEMBER_ID_PROBLEMS,
    BatchItem,
    BatchOutcome,
    BatchSummary,
    CheckHistory,
    service_codes_for,
)

# The local event an offline-first backend sends when a check asked for offline is answered.
RECHECKED = "eligibility.rechecked"
# A bulk run keeps a few checks in flight: payers answer slowly, but a burst must stay well
# inside the API's rate budget and the HTTP client's sweet spot (DESIGN.md: 4–8 in flight).
BATCH_CONCURRENCY = 4
# Earlier checks listed for a chosen patient: a few months of visits at most.
HISTORY_LIMIT = 20
_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """What one check came to: a result (live or cached), or why there is none."""

    request: EligibilityRequest
    result: EligibilityResult | None = None
    freshness: Freshness = field(default_factory=Freshness)
    payer_down: bool = False
    retry_after: float | None = None
    message: str = ""
    payer: str = ""  # the payer's name, for "Summit Care is not answering"


def retry_text(retry_after: float | None, now: datetime, zone: ZoneInfo) -> str:
    """`Try again in about 2 min (after 14:05).` from a `Retry-After` in seconds."""
    if retry_after is None or retry_after <= 0:
        return "Try again in a few minutes."
    at = (now + timedelta(seconds=retry_after)).astimezone(zone)
    if retry_after < 90:
        return f"Try again in about {max(1, round(retry_after))} s (after {at:%H:%M})."
    return f"Try again in about {round(retry_after / 60)} min (after {at:%H:%M})."


class EligibilityService:
    """Runs eligibility checks for the panel and remembers every answer in `history`."""

    def __init__(
        self,
        backend: Backend,
        history: CheckHistory,
        *,
        zone: ZoneInfo,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.backend = backend
        self.history = history
        self.zone = zone
        self._clock = clock
        self._payers: dict[str, Payer] | None = None

    async def payers(self) -> dict[str, Payer]:
        """Payers by id, fetched once: the directory changes rarely."""
        if self._payers is None:
            self._payers = {p.id: p for p in await self.backend.list_payers()}
        return self._payers

    async def payer_name(self, payer_id: str) -> str:
        """The payer's name for the words on screen (its id if the directory is unreachable)."""
        try:
            payers = await self.payers()
        except FrontDeskError:
            return payer_id
        found = payers.get(payer_id)
        return found.name if found is not None else payer_id

    @staticmethod
    def request_for(
        patient: Patient, date_of_service: date, service_codes: list[str]
    ) -> EligibilityRequest | None:
        """The check for a patient's insurance on file, or None when they have none."""
        if patient.insurance is None:
            return None
        return EligibilityRequest(
            patient_id=patient.id,
            payer_id=patient.insurance.payer_id,
            member_id=patient.insurance.member_id,
            date_of_service=date_of_service,
            service_codes=service_codes,
        )

    async def load_known(self, patient: Patient) -> list[EligibilityResult]:
        """Bring the patient's earlier checks (this and earlier sessions, newest first) into
        the history. Offline, an offline-first backend answers with the ones it kept."""
        found = await self.backend.list_eligibility_checks(patient.id, limit=HISTORY_LIMIT)
        record_view("eligibility.history.view", patient_id=patient.id)
        for result in found:
            self.history.add(result)
        return found

    def last_known(self, request: EligibilityRequest) -> EligibilityResult | None:
        """The newest answer seen for this patient and payer, for offline or payer-down views."""
        for check in self.history.for_patient(request.patient_id):
            if check.payer_id == request.payer_id:
                return check
        return None

    async def check(self, request: EligibilityRequest) -> CheckOutcome:
        """Ask the payer; a payer that is down or no connection becomes an outcome to show."""
        now = self._clock()
        try:
            result = await self.backend.check_eligibility(request)
        except PayerUnavailable as exc:
            previous = self.last_known(request)
            payer = await self.payer_name(request.payer_id)
            return CheckOutcome(
                request,
                result=previous,
                freshness=self._freshness(previous, now, offline=False),
                payer_down=True,
                retry_after=exc.retry_after,
                message=f"{payer} is not answering eligibility checks. "
                + retry_text(exc.retry_after, now, self.zone),
                payer=payer,
            )
        except Offline:
            previous = self.last_known(request)
            message = (
                "No connection: showing the last check of this patient."
                if previous
                else "No connection, and this desk has no earlier check of this patient."
            )
            return CheckOutcome(
                request,
                result=previous,
                freshness=self._freshness(previous, now, offline=True),
                message=message,
            )
        self.history.add(result)
        offline = backend_offline(self.backend)
        freshness = self._freshness(result, now, offline=offline)
        message = "No connection: showing the last check of this patient." if offline else ""
        return CheckOutcome(request, result=result, freshness=freshness, message=message)

    def _freshness(
        self, result: EligibilityResult | None, now: datetime, *, offline: bool
    ) -> Freshness:
        if result is None:
            return Freshness(offline=offline)
        age = now - result.verified_at
        return Freshness(age=age if (offline or age > FRESH_FOR) else None, offline=offline)

    async def appointments_on(self, day: date) -> list[Appointment]:
        """Every active appointment on a clinic-local day, all pages."""
        start, end = local_day_bounds(day, self.zone)
        query = AppointmentQuery(start=start, end=end, limit=PAGE)
        read = await every_appointment(self.backend, query, max_pages=DAY_PAGES)
        found = [a for a in read if a.active]
        found.sort(key=lambda a: a.start_time)
        return found

    async def check_day(self, day: date, progress: Callable[[int, int], None]) -> BatchSummary:
        """Check every appointment of `day`; `progress(done, total)` after each one.

        A patient with several appointments that day is checked once per service code set.
        Cancelling the awaiting task stops the run; what finished stays in the history.
        """
        appointments = await self.appointments_on(day)
        total = len(appointments)
        progress(0, total)
        patients: dict[str, asyncio.Future[Patient]] = {}
        gate = asyncio.Semaphore(BATCH_CONCURRENCY)
        counts: dict[BatchOutcome, int] = {
            "eligible": 0,
            "not_eligible": 0,
            "member_not_found": 0,
            "no_insurance": 0,
            "payer_down": 0,
            "failed": 0,
        }
        attention: list[BatchItem] = []
        done = 0

        async def patient_of(patient_id: str) -> Patient:
            if patient_id not in patients:
                patients[patient_id] = asyncio.ensure_future(self.backend.get_patient(patient_id))
            return await asyncio.shield(patients[patient_id])

        async def one(appointment: Appointment) -> None:
            nonlocal done
            async with gate:
                outcome, item = await self._check_one(appointment, patient_of)
            counts[outcome] += 1
            if item is not None:
                attention.append(item)
            done += 1
            progress(done, total)

        await asyncio.gather(*(one(a) for a in appointments))
        attention.sort(key=lambda i: (i.start, i.patient_name))
        return BatchSummary(
            eligible=counts["eligible"],
            not_eligible=counts["not_eligible"],
            member_not_found=counts["member_not_found"],
            no_insurance=counts["no_insurance"],
            payer_down=counts["payer_down"],
            failed=counts["failed"],
            attention=tuple(attention),
        )

    async def _check_one(
        self, appointment: Appointment, patient_of: Callable[[str], Awaitable[Patient]]
    ) -> tuple[BatchOutcome, BatchItem | None]:
        """What one appointment's check came to, and the line to list when a person must act."""
        day = appointment.start_time.astimezone(self.zone).date()
        patient: Patient | None = None
        payer = ""

        def needs_person(outcome: BatchOutcome) -> tuple[BatchOutcome, BatchItem | None]:
            if outcome in ("eligible", "no_insurance") or patient is None:
                return outcome, None
            item = BatchItem(
                patient.id, patient.full_name, appointment.start_time, day, outcome, payer
            )
            return outcome, item

        try:
            patient = await patient_of(appointment.patient_id)
            request = self.request_for(patient, day, service_codes_for(appointment.type))
            if request is None:
                return needs_person("no_insurance")
            payer = await self.payer_name(request.payer_id)
            outcome = await self.check(request)
        except Exception as exc:
            # One bad record must not stop a run over the whole day; it is counted and shown.
            # Only the error's class is logged: its text could name the patient.
            _log.warning("bulk eligibility check failed: %s", type(exc).__name__)
            return needs_person("failed")
        if outcome.payer_down:
            return needs_person("payer_down")
        if outcome.result is None or outcome.freshness.offline:
            return needs_person("failed")
        if outcome.result.eligible:
            return needs_person("eligible")
        if outcome.result.reason in MEMBER_ID_PROBLEMS:
            return needs_person("member_not_found")
        return needs_person("not_eligible")
