"""`OfflineFirstBackend`: the `Backend` the UI holds — reads from the mirror, one write path.

Composed from parts over one `SyncCore` (the mirror, the API, the monitor, the replayer, the
listeners): `MirrorReads` (reads from the mirror, a span it lacks fetched first), `Writes` (the
one write path: appointments, patients, visits, the waitlist), `SeriesWrites` (recurring
series), `Conflicts` (refused writes waiting for a person), `NetworkReads` (what only the server
can answer) and `Notices` (what the replayer and the event stream report, told to listeners).
This class starts and stops them and hands each operation to its part.

What the UI calls besides `Backend`: `state`, `add_state_listener`, `add_event_listener`,
`sync_status(appointment_id)`, `sync_statuses()`, `calendar_rows`, `list_conflicts`,
`resolve_conflict`, `suggest_slots`, `cached_eligibility`, `cached_prescription`, `retry_now`.
It always has an API: a desk without a server holds `LocalBackend` itself (standalone).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from frontdesk_app.api.client import ApiBackend
from frontdesk_app.api.ratelimit import RateBudget
from frontdesk_app.api.retry import RetryPolicy
from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.changes import SyncStatus
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
    Slot,
    Transfer,
    TransferCompletion,
    TransferRequest,
    TransferStatus,
)
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
from frontdesk_app.domain.timeutil import utc_now
from frontdesk_app.domain.visits import Visit, VisitChange
from frontdesk_app.domain.waitlist import WaitlistEntry, WaitlistRequest, WaitlistStatus
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.store.audit import AuditTrail
from frontdesk_app.sync import apply, outbox
from frontdesk_app.sync.base import EventListener, SyncCore
from frontdesk_app.sync.cache import Cached
from frontdesk_app.sync.conflicts import Conflicts
from frontdesk_app.sync.connectivity import Backoff, ConnectivityMonitor
from frontdesk_app.sync.entries import SyncConflict
from frontdesk_app.sync.mirror_reads import MirrorReads
from frontdesk_app.sync.network_reads import NetworkReads
from frontdesk_app.sync.notices import Notices
from frontdesk_app.sync.pull import MirrorPuller
from frontdesk_app.sync.replayer import Replayer, precise_now
from frontdesk_app.sync.series_writes import SeriesWrites
from frontdesk_app.sync.state import SyncState
from frontdesk_app.sync.worker import SyncDb
from frontdesk_app.sync.writes import Writes

# Closed entries are forgotten after the server's own idempotency window.
KEEP_CLOSED = timedelta(hours=24)
_PROBE_POLICY = RetryPolicy(attempts=1, deadline=5.0)  # the monitor's backoff is the retry


class OfflineFirstBackend(Backend):
    """The desk's `Backend` (see the module docstring). `await start()` before use.

    It owns `local` and `api` from then on: `aclose()` closes both. `write_deadline` is how
    long an online write waits for the server before returning as pending; the window is the
    span of appointments pulled around now; `follow_events=False` pulls without the live
    stream; `probe` replaces the reachability check (default: one quick `GET /v1/payers`);
    `clock` is the rules' clock, `replay_clock` the backoff's (default: the real time).
    """

    def __init__(
        self,
        local: LocalBackend,
        api: ApiBackend,
        *,
        write_deadline: float = 3.0,
        window_before: timedelta = timedelta(days=7),
        window_after: timedelta = timedelta(days=14),
        concurrency: int = 4,
        max_attempts: int = 8,
        probe_backoff: Backoff | None = None,
        clock: Callable[[], datetime] = utc_now,
        follow_events: bool = True,
        probe: Callable[[], Awaitable[object]] | None = None,
        replay_clock: Callable[[], datetime] | None = None,
    ) -> None:
        monitor = ConnectivityMonitor(probe or self._probe, backoff=probe_backoff)
        core = SyncCore(local, api, clock=clock, monitor=monitor, write_deadline=write_deadline)
        self.core = core
        self._unsubscribers: list[Callable[[], None]] = []
        self._started = False
        self._notices = Notices(core)
        core.replayer = Replayer(
            core.db,
            api,
            monitor,
            on_notice=self._notices.on_notice,
            concurrency=concurrency,
            max_attempts=max_attempts,
            clock=replay_clock or precise_now,
        )
        self.puller = MirrorPuller(
            core.db,
            api,
            monitor,
            on_events=self._notices.on_server_events,
            window_before=window_before,
            window_after=window_after,
            follow=follow_events,
            clock=clock,
        )
        self._reads = MirrorReads(core, self.puller)
        self._writes = Writes(core, self._reads)
        self._series = SeriesWrites(core)
        self._conflicts = Conflicts(core)
        self._network_reads = NetworkReads(core)

    @classmethod
    async def open(
        cls,
        path: str | Path,
        api: ApiBackend,
        *,
        key: str | None = None,
        audit: AuditTrail | None = None,
        **options: Any,
    ) -> OfflineFirstBackend:
        """Open the mirror at `path` (`synchronous=FULL`: the outbox must survive power loss)
        and start syncing. `key` encrypts the mirror; `audit` records lookups and writes."""
        local = await asyncio.to_thread(
            functools.partial(LocalBackend.open, path, synchronous_full=True, key=key, audit=audit)
        )
        backend = cls(local, api, **options)
        await backend.start()
        return backend

    async def start(self) -> None:
        """Load the queue left by an earlier run, then start probing, sending and following."""
        if self._started:
            return
        self._started = True
        core = self.core
        cutoff = core.clock() - KEEP_CLOSED
        await core.db.write(lambda s: outbox.prune_done(s, before=cutoff))
        last = await core.db.read(lambda s: outbox.get_meta(s, apply.LAST_SYNC))
        if last:
            core.hub.update(last_sync=datetime.fromisoformat(last))
        self._unsubscribers.append(core.monitor.add_listener(self._on_connectivity))
        self._unsubscribers.append(core.api.rate_budget.subscribe(self._on_rate_budget))
        await core.replayer.start()
        core.refresh_counts()
        core.monitor.start()
        self.puller.start()

    async def aclose(self) -> None:
        core = self.core
        for unsubscribe in self._unsubscribers:
            unsubscribe()
        self._unsubscribers.clear()
        for task in list(core.background):
            task.cancel()
        await asyncio.gather(*core.background, return_exceptions=True)
        await self.puller.aclose()
        await core.replayer.aclose()
        await core.monitor.aclose()
        await core.db.aclose()
        await core.api.aclose()
        await core.local.aclose()

    def retry_now(self) -> None:
        """Probe the API and send the queue now, forgetting any backoff."""
        self.core.replayer.retry_now()

    async def wait_synced(self, within: float) -> bool:
        """Wait until everything that can be sent is (writes behind a conflict wait for a
        person); True if that happened within `within` seconds."""
        return await self.core.replayer.wait_idle(within)

    async def _probe(self) -> object:
        return await self.core.api.session.request("GET", "/v1/payers", retry=_PROBE_POLICY)

    def _on_rate_budget(self, budget: RateBudget) -> None:
        self.core.hub.update(rate_budget=budget)

    def _on_connectivity(self, online: bool, detail: str | None) -> None:
        self.core.hub.update(reachable=online, detail=detail)
        if online:
            self.core.spawn(self._network_reads.run_rechecks())

    # --- the shared plumbing, as the app and the tests reach it ------------------------------

    @property
    def local(self) -> LocalBackend:
        return self.core.local

    @property
    def api(self) -> ApiBackend:
        return self.core.api

    @property
    def monitor(self) -> ConnectivityMonitor:
        return self.core.monitor

    @property
    def replayer(self) -> Replayer:
        return self.core.replayer

    @property
    def _db(self) -> SyncDb:
        return self.core.db

    @property
    def state(self) -> SyncState:
        """Connection, pending writes, conflicts, last sync and rate budget, for a status bar."""
        return self.core.state

    @property
    def reachable(self) -> bool:
        """True when the API answered lately."""
        return self.core.reachable

    def add_state_listener(self, listener: Callable[[SyncState], None]) -> Callable[[], None]:
        """`listener(state)` on every change of `state`; returns the unsubscribe function."""
        return self.core.add_state_listener(listener)

    def add_event_listener(self, listener: EventListener) -> Callable[[], None]:
        """`listener(events)` for every change the mirror takes (see `SyncCore`)."""
        return self.core.add_event_listener(listener)

    def sync_status(self, appointment_id: str) -> SyncStatus:
        """`synced`, `pending` or `conflict`, from memory (cheap enough to call while painting)."""
        return self.core.sync_status(appointment_id)

    def sync_statuses(self) -> dict[str, SyncStatus]:
        """Every appointment that is not `synced`, with its status (for a calendar repaint)."""
        return self.core.sync_statuses()

    # --- appointments: `Writes` and `MirrorReads` --------------------------------------------

    async def create_appointment(
        self, request: AppointmentCreate, *, idempotency_key: str | None = None
    ) -> Appointment:
        return await self._writes.create_appointment(request, idempotency_key=idempotency_key)

    async def reschedule_appointment(
        self,
        appointment_id: str,
        request: AppointmentReschedule,
        *,
        idempotency_key: str | None = None,
    ) -> RescheduleResult:
        return await self._writes.reschedule_appointment(
            appointment_id, request, idempotency_key=idempotency_key
        )

    async def cancel_appointment(
        self,
        appointment_id: str,
        request: AppointmentCancel,
        *,
        idempotency_key: str | None = None,
    ) -> CancelResult:
        return await self._writes.cancel_appointment(
            appointment_id, request, idempotency_key=idempotency_key
        )

    async def get_appointment(self, appointment_id: str) -> Appointment:
        return await self._reads.get_appointment(appointment_id)

    async def list_appointments(self, query: AppointmentQuery) -> Page[Appointment]:
        return await self._reads.list_appointments(query)

    async def calendar_rows(self, start: datetime, end: datetime) -> list[CalendarRow]:
        return await self._reads.calendar_rows(start, end)

    # --- recurring series: `SeriesWrites` ----------------------------------------------------

    async def check_series(self, request: SeriesCheckRequest) -> SeriesCheck:
        return await self._series.check_series(request)

    async def save_series(
        self, series_id: str, request: SeriesCreate, *, idempotency_key: str | None = None
    ) -> Series:
        return await self._series.save_series(series_id, request, idempotency_key=idempotency_key)

    async def get_series(self, series_id: str) -> Series:
        return await self._reads.get_series(series_id)

    async def cancel_series(
        self, series_id: str, request: SeriesCancel, *, idempotency_key: str | None = None
    ) -> SeriesCancelResult:
        return await self._series.cancel_series(series_id, request, idempotency_key=idempotency_key)

    async def reschedule_series(
        self, series_id: str, request: SeriesReschedule, *, idempotency_key: str | None = None
    ) -> SeriesRescheduleResult:
        return await self._series.reschedule_series(
            series_id, request, idempotency_key=idempotency_key
        )

    # --- visits and the waitlist -------------------------------------------------------------

    async def change_visit(
        self, appointment_id: str, request: VisitChange, *, idempotency_key: str | None = None
    ) -> Visit:
        return await self._writes.change_visit(
            appointment_id, request, idempotency_key=idempotency_key
        )

    async def get_visit(self, appointment_id: str) -> Visit:
        return await self._reads.get_visit(appointment_id)

    async def list_visits(self, start: datetime, end: datetime) -> list[Visit]:
        return await self._reads.list_visits(start, end)

    async def save_waitlist_entry(
        self, entry_id: str, request: WaitlistRequest, *, idempotency_key: str | None = None
    ) -> WaitlistEntry:
        return await self._writes.save_waitlist_entry(
            entry_id, request, idempotency_key=idempotency_key
        )

    async def get_waitlist_entry(self, entry_id: str) -> WaitlistEntry:
        return await self._reads.get_waitlist_entry(entry_id)

    async def list_waitlist(self, status: WaitlistStatus | None = "waiting") -> list[WaitlistEntry]:
        return await self._reads.list_waitlist(status)

    # --- directory ---------------------------------------------------------------------------

    async def list_providers(self) -> list[Provider]:
        return await self._reads.list_providers()

    async def get_provider(self, provider_id: str) -> Provider:
        return await self._reads.get_provider(provider_id)

    async def provider_availability(
        self, provider_id: str, day: date, duration_minutes: int
    ) -> Availability:
        return await self._reads.provider_availability(provider_id, day, duration_minutes)

    async def search_patients(
        self, q: str | None = None, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Patient]:
        return await self._reads.search_patients(q, limit=limit, cursor=cursor)

    async def get_patient(self, patient_id: str) -> Patient:
        return await self._reads.get_patient(patient_id)

    async def create_patient(
        self, request: PatientCreate, *, idempotency_key: str | None = None
    ) -> Patient:
        return await self._writes.create_patient(request, idempotency_key=idempotency_key)

    async def list_payers(self) -> list[Payer]:
        return await self._reads.list_payers()

    # --- conflicts: `Conflicts` --------------------------------------------------------------

    async def list_conflicts(self) -> list[SyncConflict]:
        return await self._conflicts.list_conflicts()

    async def resolve_conflict(
        self,
        conflict_id: str,
        *,
        new_start_time: datetime | None = None,
        discard: bool = False,
    ) -> Appointment | None:
        return await self._conflicts.resolve_conflict(
            conflict_id, new_start_time=new_start_time, discard=discard
        )

    async def suggest_slots(self, conflict_id: str, day: date | None = None) -> list[Slot]:
        return await self._conflicts.suggest_slots(conflict_id, day)

    # --- what only the server can answer: `NetworkReads` -------------------------------------

    async def check_eligibility(
        self, request: EligibilityRequest, *, idempotency_key: str | None = None
    ) -> EligibilityResult:
        return await self._network_reads.check_eligibility(request, idempotency_key=idempotency_key)

    async def cached_eligibility(
        self, request: EligibilityRequest
    ) -> Cached[EligibilityResult] | None:
        return await self._network_reads.cached_eligibility(request)

    async def list_eligibility_checks(
        self, patient_id: str, *, limit: int = 20
    ) -> list[EligibilityResult]:
        return await self._network_reads.list_eligibility_checks(patient_id, limit=limit)

    async def cached_eligibility_checks(
        self, patient_id: str
    ) -> Cached[list[EligibilityResult]] | None:
        return await self._network_reads.cached_eligibility_checks(patient_id)

    async def get_prescription(self, prescription_id: str) -> Prescription:
        return await self._network_reads.get_prescription(prescription_id)

    async def cached_prescription(self, prescription_id: str) -> Cached[Prescription] | None:
        return await self._network_reads.cached_prescription(prescription_id)

    async def list_prescriptions(
        self, patient_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Prescription]:
        return await self._network_reads.list_prescriptions(patient_id, limit=limit, cursor=cursor)

    async def cached_prescriptions(self, patient_id: str) -> Cached[list[Prescription]] | None:
        return await self._network_reads.cached_prescriptions(patient_id)

    async def list_calls(self, status: CallStatus | None = None) -> list[Call]:
        return await self._network_reads.list_calls(status)

    async def get_call(self, call_id: str) -> Call:
        return await self._network_reads.get_call(call_id)

    async def transfer_call(
        self, call_id: str, request: TransferRequest, *, idempotency_key: str | None = None
    ) -> Transfer:
        return await self._network_reads.transfer_call(
            call_id, request, idempotency_key=idempotency_key
        )

    async def list_agents(self) -> list[Agent]:
        return await self._network_reads.list_agents()

    async def set_agent_status(self, agent_id: str, status: AgentStatus) -> Agent:
        return await self._network_reads.set_agent_status(agent_id, status)

    async def list_transfers(
        self, *, agent_id: str | None = None, status: TransferStatus | None = None
    ) -> list[Transfer]:
        return await self._network_reads.list_transfers(agent_id=agent_id, status=status)

    async def accept_transfer(
        self, transfer_id: str, agent_id: str, *, idempotency_key: str | None = None
    ) -> Transfer:
        return await self._network_reads.accept_transfer(
            transfer_id, agent_id, idempotency_key=idempotency_key
        )

    async def decline_transfer(
        self, transfer_id: str, agent_id: str, *, idempotency_key: str | None = None
    ) -> Transfer:
        return await self._network_reads.decline_transfer(
            transfer_id, agent_id, idempotency_key=idempotency_key
        )

    async def complete_transfer(
        self,
        transfer_id: str,
        request: TransferCompletion,
        *,
        idempotency_key: str | None = None,
    ) -> Transfer:
        return await self._network_reads.complete_transfer(
            transfer_id, request, idempotency_key=idempotency_key
        )

    async def simulate_call(
        self, request: SimulatedCallRequest, *, idempotency_key: str | None = None
    ) -> Call:
        return await self._network_reads.simulate_call(request, idempotency_key=idempotency_key)

    async def list_events(self, *, after: int = 0, limit: int = 100) -> Page[Event]:
        return await self._network_reads.list_events(after=after, limit=limit)

    async def list_notifications(self, *, appointment_id: str | None = None) -> list[Notification]:
        return await self._network_reads.list_notifications(appointment_id=appointment_id)
