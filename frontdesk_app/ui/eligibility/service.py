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
from frontdesk_app.domain.errors import Offline, PayerUnavailable
from frontdesk_app.domain.models import (
    Appointment,
    AppointmentQuery,
    EligibilityRequest,
    EligibilityResult,
    Patient,
    Payer,
)
from frontdesk_app.domain.timeutil import local_day_bounds, utc_now
from frontdesk_app.ui.audit_menu import record_view
from frontdesk_app.ui.eligibility.freshness import Freshness, backend_offline
from frontdesk_app.ui.eligibility.state import (
    FRESH_FOR,
    BatchSummary,
    CheckHistory,
    service_codes_for,
)

# A bulk run keeps a few checks in flight: payers answer slowly, but a burst must stay well
# inside the API's rate budget and the HTTP client's sweet spot (DESIGN.md: 4–8 in flight).
BATCH_CONCURRENCY = 4
PAGE_LIMIT = 500
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
            return CheckOutcome(
                request,
                result=previous,
                freshness=self._freshness(previous, now, offline=False),
                payer_down=True,
                retry_after=exc.retry_after,
                message="The payer is not answering. "
                + retry_text(exc.retry_after, now, self.zone),
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
        found: list[Appointment] = []
        cursor: str | None = None
        while True:
            page = await self.backend.list_appointments(
                AppointmentQuery(start=start, end=end, limit=PAGE_LIMIT, cursor=cursor)
            )
            found.extend(a for a in page.data if a.active)
            cursor = page.next_cursor
            if not cursor or not page.data:
                break
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
        counts = {"eligible": 0, "not_eligible": 0, "no_insurance": 0, "payer_down": 0, "failed": 0}
        done = 0

        async def patient_of(patient_id: str) -> Patient:
            if patient_id not in patients:
                patients[patient_id] = asyncio.ensure_future(self.backend.get_patient(patient_id))
            return await asyncio.shield(patients[patient_id])

        async def one(appointment: Appointment) -> None:
            nonlocal done
            async with gate:
                counts[await self._check_one(appointment, patient_of)] += 1
            done += 1
            progress(done, total)

        await asyncio.gather(*(one(a) for a in appointments))
        return BatchSummary(**counts)

    async def _check_one(
        self, appointment: Appointment, patient_of: Callable[[str], Awaitable[Patient]]
    ) -> str:
        try:
            patient = await patient_of(appointment.patient_id)
            request = self.request_for(
                patient,
                appointment.start_time.astimezone(self.zone).date(),
                service_codes_for(appointment.type),
            )
            if request is None:
                return "no_insurance"
            outcome = await self.check(request)
        except Exception as exc:
            # One bad record must not stop a run over the whole day; it is counted and shown.
            # Only the error's class is logged: its text could name the patient.
            _log.warning("bulk eligibility check failed: %s", type(exc).__name__)
            return "failed"
        if outcome.payer_down:
            return "payer_down"
        if outcome.result is None or outcome.freshness.offline:
            return "failed"
        return "eligible" if outcome.result.eligible else "not_eligible"
