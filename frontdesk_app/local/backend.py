"""`LocalBackend`: the `Backend` interface over the embedded SQLite store and the domain rules.

Each operation is one `local.*_ops` function run through `StoreThreads` (`local/store_threads`):
writes one at a time on a dedicated thread, each in one `BEGIN IMMEDIATE` transaction that
checks the rules, changes the rows and appends the events together; reads on a small pool of
threads. The caller's event loop never waits on SQLite.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.models import (
    Agent,
    AgentStatus,
    Appointment,
    AppointmentCancel,
    AppointmentCreate,
    AppointmentQuery,
    AppointmentReschedule,
    Availability,
    CalendarRow,
    Call,
    CallStatus,
    CancelResult,
    EligibilityRequest,
    EligibilityResult,
    Event,
    Notification,
    Page,
    Patient,
    PatientCreate,
    Payer,
    Prescription,
    Provider,
    RescheduleResult,
    SimulatedCallRequest,
    Transfer,
    TransferCompletion,
    TransferRequest,
    TransferStatus,
)
from frontdesk_app.domain.scheduling import free_slots, validate_fields
from frontdesk_app.domain.series import (
    Series,
    SeriesCancel,
    SeriesCancelResult,
    SeriesCheck,
    SeriesCheckRequest,
    SeriesCreate,
    SeriesReschedule,
    SeriesRescheduleResult,
)
from frontdesk_app.domain.timeutil import local_day_bounds, utc_now
from frontdesk_app.domain.visits import Visit, VisitChange
from frontdesk_app.domain.waitlist import WaitlistEntry, WaitlistRequest, WaitlistStatus
from frontdesk_app.local import (
    appointment_ops,
    call_ops,
    eligibility_ops,
    patient_ops,
    series_ops,
    visit_ops,
    waitlist_ops,
)
from frontdesk_app.local.appointment_ops import Outcome
from frontdesk_app.local.store_threads import AuditNote, Clock, R, StoreThreads
from frontdesk_app.store.audit import WRITE_ACTIONS, AuditTrail
from frontdesk_app.store.db import Store
from frontdesk_app.store.repositories import appointments as appointments_repo
from frontdesk_app.store.repositories import calls as calls_repo
from frontdesk_app.store.repositories import care, directory
from frontdesk_app.store.repositories import events as events_repo
from frontdesk_app.store.repositories import series as series_repo
from frontdesk_app.store.repositories import waitlist as waitlist_repo

log = logging.getLogger(__name__)


class LocalBackend(StoreThreads, Backend):
    """The clinic in a local SQLite file: the offline store, standalone mode and the sandbox.

    `idempotency_key` arguments are accepted and ignored: every call here acts exactly once
    and there is no network to retry over. The sandbox server implements HTTP idempotency
    (`Idempotency-Key`) in front of this class, and the sync outbox relies on the server's.

    Beyond `Backend`: `add_event_listener`, `last_event_seq()`, `last_eligibility(patient)`,
    `calendar_rows(start, end)` and `store` (the open `Store`). How transfers pick and occupy
    agents is in `local.call_ops`; the eligibility rules are in `local.eligibility`.
    """

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock = utc_now,
        rng: random.Random | None = None,
        audit: AuditTrail | None = None,
        offer_timeout_s: float = call_ops.DEFAULT_OFFER_TIMEOUT_S,
    ) -> None:
        super().__init__(store, clock=clock, audit=audit)
        # How long a transfer offered to an agent rings before it passes on (`call_ops`).
        self.offer_timeout_s = offer_timeout_s
        # Only the call simulator draws from it, on the single write thread.
        self._rng = rng or random.Random()

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        demo: bool = False,
        clock: Clock = utc_now,
        synchronous_full: bool = False,
        key: str | None = None,
        audit: AuditTrail | None = None,
        offer_timeout_s: float = call_ops.DEFAULT_OFFER_TIMEOUT_S,
    ) -> LocalBackend:
        """Open (or create) the store at `path`; with `demo`, fill an empty one with the demo
        clinic, or bring the demo clinic it holds up to date (`store/demo_catch_up.py`).

        With `key` the store is encrypted (`Store.open`); with `audit` lookups and writes of
        patient data are recorded in its audit log.
        """
        store = Store.open(path, synchronous_full=synchronous_full, key=key)
        try:
            if demo:
                from frontdesk_app.store.demo_catch_up import bring_up_to_date
                from frontdesk_app.store.demo_data import build_demo_clinic, is_empty

                now = clock()
                if is_empty(store):
                    tz = ZoneInfo(directory.DEFAULT_TIMEZONE)
                    build_demo_clinic(store, today=now.astimezone(tz).date(), now=now)
                else:  # opened on a later day than it was built: its days keep coming
                    bring_up_to_date(store, now=now)
        except BaseException:
            store.close()
            raise
        return cls(store, clock=clock, audit=audit, offer_timeout_s=offer_timeout_s)

    # --- appointments ----------------------------------------------------------------------

    async def create_appointment(
        self, request: AppointmentCreate, *, idempotency_key: str | None = None
    ) -> Appointment:
        return await self._write(
            lambda s, now: appointment_ops.create(s, request, now=now), _appointment_note
        )

    async def reschedule_appointment(
        self,
        appointment_id: str,
        request: AppointmentReschedule,
        *,
        idempotency_key: str | None = None,
    ) -> RescheduleResult:
        return await self._write(
            lambda s, now: appointment_ops.reschedule(s, appointment_id, request, now=now),
            _appointment_note,
        )

    async def cancel_appointment(
        self,
        appointment_id: str,
        request: AppointmentCancel,
        *,
        idempotency_key: str | None = None,
    ) -> CancelResult:
        return await self._write(
            lambda s, now: appointment_ops.cancel(s, appointment_id, request, now=now),
            _appointment_note,
        )

    async def get_appointment(self, appointment_id: str) -> Appointment:
        return await self._read(lambda s: appointments_repo.get(s, appointment_id))

    async def list_appointments(self, query: AppointmentQuery) -> Page[Appointment]:
        return await self._read(lambda s: appointments_repo.list_page(s, query))

    async def calendar_rows(self, start: datetime, end: datetime) -> list[CalendarRow]:
        """The appointments intersecting [start, end) as plain tuples, for a calendar's
        thousands (`appointments_repo.calendar_rows`): the same rows as `list_appointments`."""
        return await self._read(lambda s: appointments_repo.calendar_rows(s, start, end))

    # --- recurring series ------------------------------------------------------------------

    async def check_series(self, request: SeriesCheckRequest) -> SeriesCheck:
        return await self._read(lambda s: series_ops.check(s, request, now=self._clock()))

    async def save_series(
        self, series_id: str, request: SeriesCreate, *, idempotency_key: str | None = None
    ) -> Series:
        return await self._write(
            lambda s, now: series_ops.create(s, series_id, request, now=now),
            lambda outcome: ("series.book", outcome.result.patient_id, outcome.result.id),
        )

    async def get_series(self, series_id: str) -> Series:
        return await self._read(lambda s: series_repo.get(s, series_id))

    async def cancel_series(
        self, series_id: str, request: SeriesCancel, *, idempotency_key: str | None = None
    ) -> SeriesCancelResult:
        return await self._write(
            lambda s, now: series_ops.cancel(s, series_id, request, now=now),
            lambda outcome: ("series.cancel", None, outcome.result.series_id),
        )

    async def reschedule_series(
        self, series_id: str, request: SeriesReschedule, *, idempotency_key: str | None = None
    ) -> SeriesRescheduleResult:
        return await self._write(
            lambda s, now: series_ops.reschedule(s, series_id, request, now=now),
            lambda outcome: ("series.reschedule", None, outcome.result.series_id),
        )

    # --- visits ----------------------------------------------------------------------------

    async def change_visit(
        self,
        appointment_id: str,
        request: VisitChange,
        *,
        idempotency_key: str | None = None,
        by: str | None = None,
    ) -> Visit:
        """Move the patient's visit on; `by` (else the signed-in person) when the request
        does not name who did it."""
        person = self.audit.person if self.audit is not None else None
        who = by or (person.name if person is not None else None)
        return await self._write(
            lambda s, now: visit_ops.change(s, appointment_id, request, now=now, by=who)
        )

    async def get_visit(self, appointment_id: str) -> Visit:
        return await self._read(lambda s: visit_ops.get(s, appointment_id))

    async def list_visits(self, start: datetime, end: datetime) -> list[Visit]:
        return await self._read(lambda s: visit_ops.between(s, start, end))

    # --- the waitlist ----------------------------------------------------------------------

    async def save_waitlist_entry(
        self, entry_id: str, request: WaitlistRequest, *, idempotency_key: str | None = None
    ) -> WaitlistEntry:
        return await self._write(
            lambda s, now: waitlist_ops.save(s, entry_id, request, now=now),
            lambda outcome: ("waitlist.save", outcome.result.patient_id, outcome.result.id),
        )

    async def get_waitlist_entry(self, entry_id: str) -> WaitlistEntry:
        return await self._read(lambda s: waitlist_repo.get(s, entry_id))

    async def list_waitlist(self, status: WaitlistStatus | None = "waiting") -> list[WaitlistEntry]:
        return await self._read(lambda s: waitlist_ops.listed(s, status))

    # --- directory -------------------------------------------------------------------------

    async def list_providers(self) -> list[Provider]:
        return await self._read(directory.list_providers)

    async def get_provider(self, provider_id: str) -> Provider:
        return await self._read(lambda s: directory.get_provider(s, provider_id))

    async def provider_availability(
        self, provider_id: str, day: date, duration_minutes: int
    ) -> Availability:
        validate_fields(duration_minutes=duration_minutes, appointment_type=None)
        now = self._clock()

        def work(session: Session) -> Availability:
            zone = ZoneInfo(directory.provider_timezone(session, provider_id))
            start, end = local_day_bounds(day, zone)
            provider = directory.get_provider(
                session, provider_id, blocks_from=start, blocks_to=end
            )
            booked = appointments_repo.active_overlapping(
                session, provider_id=provider_id, start=start, end=end
            )
            slots = free_slots(provider, day, duration_minutes, appointments=booked, now=now)
            return Availability(
                provider_id=provider_id, date=day, duration_minutes=duration_minutes, slots=slots
            )

        return await self._read(work)

    async def search_patients(
        self, q: str | None = None, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Patient]:
        return await self._read(
            lambda s: directory.search_patients(s, q, limit=limit, cursor=cursor)
        )

    async def get_patient(self, patient_id: str) -> Patient:
        return await self._read(lambda s: directory.get_patient(s, patient_id))

    async def create_patient(
        self, request: PatientCreate, *, idempotency_key: str | None = None
    ) -> Patient:
        return await self._write(
            lambda s, now: patient_ops.create(s, request, now=now),
            lambda o: ("patient.create", o.result.id, o.result.id),
        )

    async def list_payers(self) -> list[Payer]:
        return await self._read(directory.list_payers)

    # --- eligibility and prescriptions -----------------------------------------------------

    async def check_eligibility(
        self, request: EligibilityRequest, *, idempotency_key: str | None = None
    ) -> EligibilityResult:
        return await self._write(
            lambda s, now: eligibility_ops.check(s, request, now=now),
            lambda o: ("eligibility.check", o.result.patient_id, o.result.id),
        )

    async def get_prescription(self, prescription_id: str) -> Prescription:
        found = await self._read(lambda s: care.get_prescription(s, prescription_id))
        await self._note("prescription.view", found.patient_id, found.id)
        return found

    async def list_prescriptions(
        self, patient_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Prescription]:
        page = await self._read(
            lambda s: care.list_prescriptions(s, patient_id, limit=limit, cursor=cursor)
        )
        await self._note("prescription.list", patient_id, None)
        return page

    async def list_eligibility_checks(
        self, patient_id: str, *, limit: int = 20
    ) -> list[EligibilityResult]:
        """Every answer this store gave for the patient, newest first, across sessions.

        Not an audited lookup: these are the desk's own answers, each recorded as
        `eligibility.check` when it was given, and the calendar reads them for its badges.
        """
        return await self._read(lambda s: care.list_checks(s, patient_id, limit=limit))

    async def last_eligibility(self, patient_id: str) -> EligibilityResult | None:
        """The newest eligibility answer stored for a patient (for showing while offline)."""
        return await self._read(lambda s: care.last_check(s, patient_id))

    # --- calls, agents, transfers ----------------------------------------------------------

    async def list_calls(self, status: CallStatus | None = None) -> list[Call]:
        return await self._read(lambda s: calls_repo.list_calls(s, status))

    async def get_call(self, call_id: str) -> Call:
        return await self._read(
            lambda s: calls_repo.call_to_model(calls_repo.get_call_row(s, call_id))
        )

    async def transfer_call(
        self, call_id: str, request: TransferRequest, *, idempotency_key: str | None = None
    ) -> Transfer:
        return await self._write(
            self._expiring(
                lambda s, now: call_ops.transfer(
                    s, call_id, request, now=now, offer_timeout_s=self.offer_timeout_s
                )
            )
        )

    async def list_agents(self) -> list[Agent]:
        return await self._read(calls_repo.list_agents)

    async def set_agent_status(self, agent_id: str, status: AgentStatus) -> Agent:
        return await self._write(lambda s, now: call_ops.set_agent_status(s, agent_id, status))

    async def list_transfers(
        self, *, agent_id: str | None = None, status: TransferStatus | None = None
    ) -> list[Transfer]:
        # Never list an offer that has already rung out (a write only when one has).
        now = self._clock()
        if await self._read(lambda s: call_ops.has_expired_offers(s, now=now)):
            await self.expire_offers()
        return await self._read(
            lambda s: calls_repo.list_transfers(s, agent_id=agent_id, status=status)
        )

    async def accept_transfer(
        self, transfer_id: str, agent_id: str, *, idempotency_key: str | None = None
    ) -> Transfer:
        return await self._write(
            self._expiring(lambda s, now: call_ops.accept(s, transfer_id, agent_id, now=now)),
            lambda o: ("transfer.accept", call_ops.caller_patient(o.result), o.result.transfer_id),
        )

    async def decline_transfer(
        self, transfer_id: str, agent_id: str, *, idempotency_key: str | None = None
    ) -> Transfer:
        return await self._write(
            self._expiring(
                lambda s, now: call_ops.decline(
                    s, transfer_id, agent_id, now=now, timeout_s=self.offer_timeout_s
                )
            )
        )

    async def complete_transfer(
        self,
        transfer_id: str,
        request: TransferCompletion,
        *,
        idempotency_key: str | None = None,
    ) -> Transfer:
        return await self._write(
            lambda s, now: call_ops.complete(s, transfer_id, request, now=now),
            lambda o: (
                "transfer.complete",
                call_ops.caller_patient(o.result),
                o.result.transfer_id,
            ),
        )

    # --- events and the sandbox's extras ---------------------------------------------------

    async def list_events(self, *, after: int = 0, limit: int = 100) -> Page[Event]:
        return await self._read(lambda s: events_repo.list_after(s, after=after, limit=limit))

    async def last_event_seq(self) -> int:
        """The newest event's seq (0 when none), where a live stream starts."""
        return await self._read(events_repo.last_seq)

    async def simulate_call(
        self, request: SimulatedCallRequest, *, idempotency_key: str | None = None
    ) -> Call:
        return await self._write(
            self._expiring(
                lambda s, now: call_ops.simulate(
                    s, request, now=now, rng=self._rng, offer_timeout_s=self.offer_timeout_s
                )
            )
        )

    async def expire_offers(self) -> list[Transfer]:
        """Pass every offer that rang out to the next available agent or back to the queue
        (`transfer.offer_expired`); the sandbox runs this on a timer."""
        return await self._write(
            lambda s, now: call_ops.expire_offers(s, now=now, timeout_s=self.offer_timeout_s)
        )

    def _expiring(
        self, fn: Callable[[Session, datetime], Outcome[R]]
    ) -> Callable[[Session, datetime], Outcome[R]]:
        """`fn` after expiring the offers that rang out, in the same transaction."""

        def work(session: Session, now: datetime) -> Outcome[R]:
            expired = call_ops.expire_offers(session, now=now, timeout_s=self.offer_timeout_s)
            outcome = fn(session, now)
            return Outcome(outcome.result, expired.events + outcome.events)

        return work

    async def list_notifications(self, *, appointment_id: str | None = None) -> list[Notification]:
        return await self._read(
            lambda s: appointments_repo.list_notifications(s, appointment_id=appointment_id)
        )


def _appointment_note(outcome: Outcome[Any]) -> AuditNote | None:
    """The audit entry of an appointment write, from the event it emits (ids only)."""
    for kind, data in outcome.events:
        action = WRITE_ACTIONS.get(kind)
        if action is not None:
            return action, data.get("patient_id"), data.get("id")
    return None
