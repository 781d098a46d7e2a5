"""`EngineBackend`: the one facade through which the GUI reaches the sync engine's thread.

Every call is a coroutine run on the engine's loop (`sync/engine.py`) and awaited from the
caller's; every listener is called back on the loop that registered it, never on the engine's
thread, and coalesced: the events and states that arrive while the GUI is busy reach it as one
delivery (all the events, the newest state). What the GUI reads without a call — the sync state,
an appointment's sync status — are immutable snapshots or single dictionary reads, safe from
any thread. See `domain/threads.py` for which code runs where.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from frontdesk_app import runtime
from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.changes import SyncStatus, latest_changes
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
from frontdesk_app.domain.visits import Visit, VisitChange
from frontdesk_app.domain.waitlist import WaitlistEntry, WaitlistRequest, WaitlistStatus
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.sync.backend import OfflineFirstBackend
from frontdesk_app.sync.cache import Cached
from frontdesk_app.sync.engine import Engine
from frontdesk_app.sync.entries import SyncConflict
from frontdesk_app.sync.state import SyncState

FRAME = 1 / 60  # seconds: listeners hear of changes at most once a frame


class _Relay:
    """Calls `deliver(batch)` on `loop` with everything `push` received since the last call,
    at most once a frame: the first change after a quiet spell goes at once, the rest of a
    burst waits for the next frame and goes as one batch (`merge` may thin it out)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        deliver: Callable[[list[Any]], None],
        merge: Callable[[list[Any]], list[Any]] = list,
    ):
        self._loop = loop
        self._deliver = deliver
        self._merge = merge
        self._lock = threading.Lock()
        self._pending: list[Any] = []
        self._scheduled = False
        self._last = -FRAME
        self.closed = False

    def push(self, items: list[Any]) -> None:
        with self._lock:
            self._pending.extend(items)
            if self._scheduled or self.closed:
                return
            self._scheduled = True
        try:
            self._loop.call_soon_threadsafe(self._arm)
        except RuntimeError:  # the GUI's loop is closed: nobody is listening any more
            self.closed = True

    def _arm(self) -> None:
        wait = self._last + FRAME - self._loop.time()
        if wait > 0:
            self._loop.call_later(wait, self._flush)
        else:
            self._flush()

    def _flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
            self._scheduled = False
        self._last = self._loop.time()
        if batch and not self.closed:
            with runtime.GUI_TURN.foreground():  # the engine steps aside meanwhile
                self._deliver(self._merge(batch))


class EngineBackend(Backend):
    """The desk's backend as the GUI holds it: `OfflineFirstBackend`, run on the engine."""

    def __init__(self, engine: Engine, inner: OfflineFirstBackend) -> None:
        self._engine = engine
        self._inner = inner
        self._relays: list[_Relay] = []

    @classmethod
    async def open(cls, engine: Engine, opener: Callable[[], Any]) -> EngineBackend:
        """`opener()` is a coroutine building the `OfflineFirstBackend`; it runs on the engine,
        so the API client, the replayer and the puller all live on the engine's loop."""
        inner: OfflineFirstBackend = await engine.run(opener())
        return cls(engine, inner)

    @property
    def inner(self) -> OfflineFirstBackend:
        """The engine-side backend, for tests and the composition root: its coroutines must be
        run with `engine.run`, never awaited on another loop."""
        return self._inner

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def local(self) -> LocalBackend:
        """The mirror (its store is safe from any thread: readers and one writer of its own)."""
        return self._inner.local

    # --- what the GUI reads without a call ------------------------------------------------------

    @property
    def state(self) -> SyncState:
        return self._inner.state

    @property
    def reachable(self) -> bool:
        return self._inner.reachable

    def sync_status(self, appointment_id: str) -> SyncStatus:
        return self._inner.sync_status(appointment_id)

    def sync_statuses(self) -> dict[str, SyncStatus]:
        return self._inner.sync_statuses()

    # --- listeners, called back on the registering loop -----------------------------------------

    def add_event_listener(self, listener: Callable[[list[Event]], None]) -> Callable[[], None]:
        relay = _Relay(asyncio.get_running_loop(), listener, latest_changes)
        return self._subscribe(relay, self._inner.add_event_listener(relay.push))

    def add_state_listener(self, listener: Callable[[SyncState], None]) -> Callable[[], None]:
        relay = _Relay(asyncio.get_running_loop(), lambda states: listener(states[-1]))
        return self._subscribe(relay, self._inner.add_state_listener(lambda s: relay.push([s])))

    def _subscribe(self, relay: _Relay, unsubscribe: Callable[[], None]) -> Callable[[], None]:
        self._relays.append(relay)

        def stop() -> None:
            relay.closed = True
            unsubscribe()
            if relay in self._relays:
                self._relays.remove(relay)

        return stop

    # --- sync controls ----------------------------------------------------------------------------

    def retry_now(self) -> None:
        self._engine.call_soon(self._inner.retry_now)

    async def wait_synced(self, within: float) -> bool:
        return await self._engine.run(self._inner.wait_synced(within))

    async def has_offline_copy(self) -> bool:
        return await self._engine.run(self._inner.puller.has_offline_copy())

    async def wait_pulled(self, within: float, *, unless_down: bool = False) -> bool:
        return await self._engine.run(
            self._inner.puller.wait_pulled(within, unless_down=unless_down)
        )

    async def list_conflicts(self) -> list[SyncConflict]:
        return await self._engine.run(self._inner.list_conflicts())

    async def resolve_conflict(
        self, conflict_id: str, *, new_start_time: datetime | None = None, discard: bool = False
    ) -> Appointment | None:
        return await self._engine.run(
            self._inner.resolve_conflict(
                conflict_id, new_start_time=new_start_time, discard=discard
            )
        )

    async def suggest_slots(self, conflict_id: str, day: date | None = None) -> list[Slot]:
        return await self._engine.run(self._inner.suggest_slots(conflict_id, day))

    # --- reads the calendar and panels make from the mirror's caches -----------------------------

    async def calendar_rows(self, start: datetime, end: datetime) -> list[CalendarRow]:
        return await self._engine.run(self._inner.calendar_rows(start, end))

    async def cached_eligibility(
        self, request: EligibilityRequest
    ) -> Cached[EligibilityResult] | None:
        return await self._engine.run(self._inner.cached_eligibility(request))

    async def cached_eligibility_checks(
        self, patient_id: str
    ) -> Cached[list[EligibilityResult]] | None:
        return await self._engine.run(self._inner.cached_eligibility_checks(patient_id))

    async def cached_prescription(self, prescription_id: str) -> Cached[Prescription] | None:
        return await self._engine.run(self._inner.cached_prescription(prescription_id))

    async def cached_prescriptions(self, patient_id: str) -> Cached[list[Prescription]] | None:
        return await self._engine.run(self._inner.cached_prescriptions(patient_id))

    # --- the Backend interface ------------------------------------------------------------------

    async def create_appointment(
        self, request: AppointmentCreate, *, idempotency_key: str | None = None
    ) -> Appointment:
        return await self._engine.run(
            self._inner.create_appointment(request, idempotency_key=idempotency_key)
        )

    async def reschedule_appointment(
        self,
        appointment_id: str,
        request: AppointmentReschedule,
        *,
        idempotency_key: str | None = None,
    ) -> RescheduleResult:
        return await self._engine.run(
            self._inner.reschedule_appointment(
                appointment_id, request, idempotency_key=idempotency_key
            )
        )

    async def cancel_appointment(
        self, appointment_id: str, request: AppointmentCancel, *, idempotency_key: str | None = None
    ) -> CancelResult:
        return await self._engine.run(
            self._inner.cancel_appointment(appointment_id, request, idempotency_key=idempotency_key)
        )

    async def get_appointment(self, appointment_id: str) -> Appointment:
        return await self._engine.run(self._inner.get_appointment(appointment_id))

    async def list_appointments(self, query: AppointmentQuery) -> Page[Appointment]:
        return await self._engine.run(self._inner.list_appointments(query))

    async def change_visit(
        self, appointment_id: str, request: VisitChange, *, idempotency_key: str | None = None
    ) -> Visit:
        return await self._engine.run(
            self._inner.change_visit(appointment_id, request, idempotency_key=idempotency_key)
        )

    async def get_visit(self, appointment_id: str) -> Visit:
        return await self._engine.run(self._inner.get_visit(appointment_id))

    async def list_visits(self, start: datetime, end: datetime) -> list[Visit]:
        return await self._engine.run(self._inner.list_visits(start, end))

    async def check_series(self, request: SeriesCheckRequest) -> SeriesCheck:
        return await self._engine.run(self._inner.check_series(request))

    async def save_series(
        self, series_id: str, request: SeriesCreate, *, idempotency_key: str | None = None
    ) -> Series:
        return await self._engine.run(
            self._inner.save_series(series_id, request, idempotency_key=idempotency_key)
        )

    async def get_series(self, series_id: str) -> Series:
        return await self._engine.run(self._inner.get_series(series_id))

    async def cancel_series(
        self, series_id: str, request: SeriesCancel, *, idempotency_key: str | None = None
    ) -> SeriesCancelResult:
        return await self._engine.run(
            self._inner.cancel_series(series_id, request, idempotency_key=idempotency_key)
        )

    async def reschedule_series(
        self, series_id: str, request: SeriesReschedule, *, idempotency_key: str | None = None
    ) -> SeriesRescheduleResult:
        return await self._engine.run(
            self._inner.reschedule_series(series_id, request, idempotency_key=idempotency_key)
        )

    async def save_waitlist_entry(
        self, entry_id: str, request: WaitlistRequest, *, idempotency_key: str | None = None
    ) -> WaitlistEntry:
        return await self._engine.run(
            self._inner.save_waitlist_entry(entry_id, request, idempotency_key=idempotency_key)
        )

    async def get_waitlist_entry(self, entry_id: str) -> WaitlistEntry:
        return await self._engine.run(self._inner.get_waitlist_entry(entry_id))

    async def list_waitlist(self, status: WaitlistStatus | None = "waiting") -> list[WaitlistEntry]:
        return await self._engine.run(self._inner.list_waitlist(status))

    async def list_providers(self) -> list[Provider]:
        return await self._engine.run(self._inner.list_providers())

    async def get_provider(self, provider_id: str) -> Provider:
        return await self._engine.run(self._inner.get_provider(provider_id))

    async def provider_availability(
        self, provider_id: str, day: date, duration_minutes: int
    ) -> Availability:
        return await self._engine.run(
            self._inner.provider_availability(provider_id, day, duration_minutes)
        )

    async def search_patients(
        self, q: str | None = None, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Patient]:
        return await self._engine.run(self._inner.search_patients(q, limit=limit, cursor=cursor))

    async def get_patient(self, patient_id: str) -> Patient:
        return await self._engine.run(self._inner.get_patient(patient_id))

    async def create_patient(
        self, request: PatientCreate, *, idempotency_key: str | None = None
    ) -> Patient:
        return await self._engine.run(
            self._inner.create_patient(request, idempotency_key=idempotency_key)
        )

    async def list_payers(self) -> list[Payer]:
        return await self._engine.run(self._inner.list_payers())

    async def check_eligibility(
        self, request: EligibilityRequest, *, idempotency_key: str | None = None
    ) -> EligibilityResult:
        return await self._engine.run(
            self._inner.check_eligibility(request, idempotency_key=idempotency_key)
        )

    async def list_eligibility_checks(
        self, patient_id: str, *, limit: int = 20
    ) -> list[EligibilityResult]:
        return await self._engine.run(self._inner.list_eligibility_checks(patient_id, limit=limit))

    async def get_prescription(self, prescription_id: str) -> Prescription:
        return await self._engine.run(self._inner.get_prescription(prescription_id))

    async def list_prescriptions(
        self, patient_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Prescription]:
        return await self._engine.run(
            self._inner.list_prescriptions(patient_id, limit=limit, cursor=cursor)
        )

    async def list_calls(self, status: CallStatus | None = None) -> list[Call]:
        return await self._engine.run(self._inner.list_calls(status))

    async def get_call(self, call_id: str) -> Call:
        return await self._engine.run(self._inner.get_call(call_id))

    async def transfer_call(
        self, call_id: str, request: TransferRequest, *, idempotency_key: str | None = None
    ) -> Transfer:
        return await self._engine.run(
            self._inner.transfer_call(call_id, request, idempotency_key=idempotency_key)
        )

    async def list_agents(self) -> list[Agent]:
        return await self._engine.run(self._inner.list_agents())

    async def set_agent_status(self, agent_id: str, status: AgentStatus) -> Agent:
        return await self._engine.run(self._inner.set_agent_status(agent_id, status))

    async def list_transfers(
        self, *, agent_id: str | None = None, status: TransferStatus | None = None
    ) -> list[Transfer]:
        return await self._engine.run(self._inner.list_transfers(agent_id=agent_id, status=status))

    async def accept_transfer(
        self, transfer_id: str, agent_id: str, *, idempotency_key: str | None = None
    ) -> Transfer:
        return await self._engine.run(
            self._inner.accept_transfer(transfer_id, agent_id, idempotency_key=idempotency_key)
        )

    async def decline_transfer(
        self, transfer_id: str, agent_id: str, *, idempotency_key: str | None = None
    ) -> Transfer:
        return await self._engine.run(
            self._inner.decline_transfer(transfer_id, agent_id, idempotency_key=idempotency_key)
        )

    async def complete_transfer(
        self, transfer_id: str, request: TransferCompletion, *, idempotency_key: str | None = None
    ) -> Transfer:
        return await self._engine.run(
            self._inner.complete_transfer(transfer_id, request, idempotency_key=idempotency_key)
        )

    async def list_events(self, *, after: int = 0, limit: int = 100) -> Page[Event]:
        return await self._engine.run(self._inner.list_events(after=after, limit=limit))

    async def simulate_call(
        self, request: SimulatedCallRequest, *, idempotency_key: str | None = None
    ) -> Call:
        return await self._engine.run(
            self._inner.simulate_call(request, idempotency_key=idempotency_key)
        )

    async def list_notifications(self, *, appointment_id: str | None = None) -> list[Notification]:
        return await self._engine.run(self._inner.list_notifications(appointment_id=appointment_id))

    async def aclose(self) -> None:
        """Close the backend on the engine, then stop the engine's thread."""
        for relay in self._relays:
            relay.closed = True
        try:
            if self._engine.running:
                await self._engine.run(self._inner.aclose())
        finally:
            await self._engine.stop()
