"""`OfflineFirstBackend`: the `Backend` the UI holds — reads from the mirror, one write path.

Reads come from the local mirror (kept current by `pull`). Every write is checked by the domain
rules against the mirror, then the local row and an outbox entry commit in one transaction;
the replayer sends it. Online, the caller awaits the server's answer for a short while (the
confirmed result, or the refusal raised and the change undone); offline, or if the answer is
slow, the call returns the local result at once and the appointment shows as pending.

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

from sqlalchemy.orm import Session

from frontdesk_app.api.client import ApiBackend
from frontdesk_app.api.ratelimit import RateBudget
from frontdesk_app.api.retry import RetryPolicy
from frontdesk_app.domain.changes import Cause
from frontdesk_app.domain.errors import InvalidState, NotFound
from frontdesk_app.domain.ids import is_temporary_patient
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
    CancelResult,
    Event,
    Page,
    Patient,
    PatientCreate,
    Payer,
    Provider,
    RescheduleResult,
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
from frontdesk_app.domain.visits import VISIT_EVENT, Visit, VisitChange
from frontdesk_app.domain.waitlist import (
    WAITLIST_EVENT,
    WaitlistEntry,
    WaitlistRequest,
    WaitlistStatus,
)
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.store.audit import WRITE_ACTIONS, AuditTrail
from frontdesk_app.store.repositories import series as series_repo
from frontdesk_app.sync import apply, mirror, outbox, patients, series, waitlist
from frontdesk_app.sync.conflicts import ConflictHandling
from frontdesk_app.sync.connectivity import Backoff, ConnectivityMonitor
from frontdesk_app.sync.entries import OutboxEntry, touched
from frontdesk_app.sync.failures import classify
from frontdesk_app.sync.network_reads import NetworkReads
from frontdesk_app.sync.pull import APPOINTMENT_PAGE, MirrorPuller, store_server_appointments
from frontdesk_app.sync.replayer import Replayer, ReplayNotice, precise_now

# A calendar asks for a day or a week; a span longer than this is not pulled on demand.
MAX_FETCH_SPAN = timedelta(days=62)
MAX_FETCH_PAGES = 20
# Closed entries are forgotten after the server's own idempotency window.
KEEP_CLOSED = timedelta(hours=24)
_PROBE_POLICY = RetryPolicy(attempts=1, deadline=5.0)  # the monitor's backoff is the retry


class OfflineFirstBackend(ConflictHandling, NetworkReads):
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
        super().__init__(local, api, clock=clock, monitor=monitor)
        self._write_deadline = write_deadline
        self._unsubscribers: list[Callable[[], None]] = []
        self._fetched: list[tuple[datetime, datetime]] = []
        self._started = False
        self.replayer = Replayer(
            self._db,
            api,
            monitor,
            on_notice=self._on_notice,
            concurrency=concurrency,
            max_attempts=max_attempts,
            clock=replay_clock or precise_now,
        )
        self.puller = MirrorPuller(
            self._db,
            api,
            monitor,
            on_events=self._on_server_events,
            window_before=window_before,
            window_after=window_after,
            follow=follow_events,
            clock=clock,
        )

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
        cutoff = self._clock() - KEEP_CLOSED
        await self._db.write(lambda s: outbox.prune_done(s, before=cutoff))
        last = await self._db.read(lambda s: outbox.get_meta(s, apply.LAST_SYNC))
        if last:
            self._hub.update(last_sync=datetime.fromisoformat(last))
        self._unsubscribers.append(self.monitor.add_listener(self._on_connectivity))
        self._unsubscribers.append(self.api.rate_budget.subscribe(self._on_rate_budget))
        await self.replayer.start()
        self._refresh_counts()
        self.monitor.start()
        self.puller.start()

    async def aclose(self) -> None:
        for unsubscribe in self._unsubscribers:
            unsubscribe()
        self._unsubscribers.clear()
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self.puller.aclose()
        await self.replayer.aclose()
        await self.monitor.aclose()
        await self._db.aclose()
        await self.api.aclose()
        await self.local.aclose()

    def retry_now(self) -> None:
        """Probe the API and send the queue now, forgetting any backoff."""
        self.replayer.retry_now()

    async def wait_synced(self, within: float) -> bool:
        """Wait until everything that can be sent is (writes behind a conflict wait for a
        person); True if that happened within `within` seconds."""
        return await self.replayer.wait_idle(within)

    # --- plumbing -----------------------------------------------------------------------------

    async def _probe(self) -> object:
        return await self.api.session.request("GET", "/v1/payers", retry=_PROBE_POLICY)

    def _on_rate_budget(self, budget: RateBudget) -> None:
        self._hub.update(rate_budget=budget)

    def _on_connectivity(self, online: bool, detail: str | None) -> None:
        self._hub.update(reachable=online, detail=detail)
        if online:
            self._spawn(self._run_rechecks())

    def _on_notice(self, notice: ReplayNotice) -> None:
        self._refresh_counts()
        if notice.kind == "synced":
            self._hub.update(last_sync=self._clock())
        elif notice.kind == "retrying":
            return
        settled = notice.settled
        if notice.entry.kind == patients.KIND:
            if settled is not None and settled.patient is not None:
                data = settled.patient.model_dump(mode="json")
                if settled.remapped_from:
                    data["previous_id"] = settled.remapped_from
                self._emit([self._local_event("patient.created", data)])
            return
        if settled is not None and settled.visit is not None:
            self._emit([self._local_event(VISIT_EVENT, settled.visit.model_dump(mode="json"))])
        if settled is not None and (settled.waitlist or settled.waitlist_removed):
            data = (
                settled.waitlist.model_dump(mode="json")
                if settled.waitlist is not None
                else {"id": settled.waitlist_removed, "status": "removed"}
            )
            self._emit([self._local_event(WAITLIST_EVENT, data)])
        if notice.entry.kind == waitlist.KIND:
            return
        if notice.entry.kind in series.KINDS:
            self._on_series_notice(notice)
            return
        cause: Cause = "desk" if notice.entry.id in self._live else "replayer"
        self._live.discard(notice.entry.id)
        if settled is None:  # parked as a conflict: the copy keeps the desk's version
            self._spawn(self._announce([notice.entry.appointment_id], cause))
            return
        appointment = settled.appointment
        if appointment is None:
            event = self._changed(notice.entry.appointment_id, None, cause)
        else:
            event = self._changed(
                appointment.id, appointment, cause, previous_id=settled.remapped_from
            )
            if settled.remapped_from:
                self._link_in_audit(settled.remapped_from, appointment)
        self._emit([event])

    def _on_series_notice(self, notice: ReplayNotice) -> None:
        """A series write settled, refused or parked: each of its appointments' change."""
        cause: Cause = "desk" if notice.entry.id in self._live else "replayer"
        self._live.discard(notice.entry.id)
        settled = notice.settled
        if settled is None:  # parked as a conflict: the copy keeps the desk's version
            self._spawn(self._announce(list(touched(notice.entry)[1:]), cause))
            return
        previous = {server: temporary for temporary, server in settled.remaps}
        self._emit(
            [
                *(
                    self._changed(a.id, a, cause, previous_id=previous.get(a.id))
                    for a in settled.appointments
                ),
                *(self._changed(i, None, cause) for i in settled.removed),
            ]
        )

    def _on_server_events(self, events: list[Event], changed: list[Appointment]) -> None:
        """The stream's batch: the appointments it changed in the copy, then the rest."""
        self._emit([*(self._changed(a.id, a, "server") for a in changed), *events])

    def _link_in_audit(self, temporary_id: str, appointment: Any) -> None:
        """An offline booking's audit entry names its temporary id: this entry links it to
        the id the server gave it."""
        trail = self.local.audit
        if trail is None:
            return
        server_id, patient_id = str(appointment.id), appointment.patient_id

        def link(session: Session) -> None:
            trail.record(
                session,
                "appointment.server_id",
                patient_id=patient_id,
                object_id=server_id,
                linked_id=temporary_id,
            )

        self._spawn(self._db.write(link))

    # --- the one write path -------------------------------------------------------------------

    async def _write(
        self,
        queue: Callable[[Session, datetime], apply.Queued],
        event_type: str,
        idempotency_key: str | None,
    ) -> Any:
        if idempotency_key is not None:
            earlier = await self._earlier_outcome(idempotency_key)
            if earlier is not None:
                return earlier
        now = self._clock()

        def queue_and_audit(session: Session) -> apply.Queued:
            done = queue(session, now)
            trail, action = self.local.audit, WRITE_ACTIONS.get(event_type)
            if trail is not None and action is not None:
                # In the write's own transaction: the entry exists exactly when the change does.
                trail.record(
                    session,
                    action,
                    patient_id=done.appointment.patient_id,
                    object_id=done.appointment.id,
                )
            return done

        # Shielded: once committed, the entry reaches the replayer even if the caller gives up
        # waiting (a closed dialog); otherwise it would sit unsent until the next start.
        queued, future = await asyncio.shield(
            asyncio.ensure_future(self._commit_write(queue_and_audit, event_type))
        )
        if future is None:
            return queued.result
        return await self._await_answer(queued.entry, future, queued.result, queued.appointment)

    async def _commit_write(
        self, queue: Callable[[Session], apply.Queued], event_type: str
    ) -> tuple[apply.Queued, asyncio.Future[Any] | None]:
        queued = await self._db.write(queue)
        entry = queued.entry
        future = self._attach(entry, undo_on_refusal=True)
        self.replayer.add(entry)
        self._refresh_counts()
        if future is None:  # offline: the change shows at once, as waiting to sync
            events = [self._changed(queued.appointment.id, queued.appointment, "desk")]
            if isinstance(queued.result, Visit):
                events.append(self._local_event(VISIT_EVENT, queued.result.model_dump(mode="json")))
            self._emit(events)
        return queued, future

    async def _earlier_outcome(self, entry_id: str) -> Any:
        """The same write asked for again with its key: answer as the first time."""
        entry = await self._db.read(lambda s: outbox.get(s, entry_id))
        if entry is None:
            return None
        state, result = await self._db.read(lambda s: outbox.result_of(s, entry_id))
        if state == "done" and result is not None:
            if entry.kind == patients.KIND:
                return Patient.model_validate(result)
            if entry.kind == "create":
                return Appointment.model_validate(result)
            if entry.kind == "visit":
                return Visit.model_validate(result)
            if entry.kind == waitlist.KIND:
                return WaitlistEntry.model_validate(result)
            if entry.kind == series.KIND:
                return Series.model_validate(result)
            if entry.kind == series.CANCEL_KIND:
                return SeriesCancelResult.model_validate(result)
            if entry.kind == series.MOVE_KIND:
                return SeriesRescheduleResult.model_validate(result)
            if entry.kind == "reschedule":
                return RescheduleResult.model_validate(result)
            return CancelResult.model_validate(result)
        if state in ("rejected", "discarded"):
            raise InvalidState("This change was taken back earlier; make it again if needed.")
        if entry.kind == patients.KIND:
            return await self.get_patient(entry.patient_id)
        if entry.kind == waitlist.KIND:
            return await self.get_waitlist_entry(entry.appointment_id)
        if entry.kind in series.KINDS:
            return await self.get_series(entry.appointment_id)
        current = await self._db.read(lambda s: apply.resolve_id(s, entry.appointment_id))
        if entry.kind == "visit":
            return await self.get_visit(current)
        return await self.local.get_appointment(current)

    async def _known(self, appointment_id: str) -> str:
        """The id to use locally; an appointment outside the mirror is fetched first."""
        resolved = await self._db.read(lambda s: apply.resolve_id(s, appointment_id))
        found = await self._db.read(lambda s: mirror.get_appointment(s, resolved))
        if found is None:
            if self.api is None or not self.reachable:
                raise NotFound("No such appointment on this computer.")
            await self._fetch_into_mirror(resolved)
        return resolved

    async def create_appointment(
        self, request: AppointmentCreate, *, idempotency_key: str | None = None
    ) -> Appointment:
        if is_temporary_patient(request.patient_id):
            # For a patient registered offline who has synced since: the server's id.
            resolved = await self._db.read(
                lambda s: patients.resolve_patient_id(s, request.patient_id)
            )
            request = request.model_copy(update={"patient_id": resolved})
        result: Appointment = await self._write(
            lambda s, now: apply.queue_create(s, request, now=now, entry_id=idempotency_key),
            "appointment.created",
            idempotency_key,
        )
        return result

    async def reschedule_appointment(
        self,
        appointment_id: str,
        request: AppointmentReschedule,
        *,
        idempotency_key: str | None = None,
    ) -> RescheduleResult:
        target = await self._known(appointment_id)
        result: RescheduleResult = await self._write(
            lambda s, now: apply.queue_reschedule(
                s, target, request, now=now, entry_id=idempotency_key
            ),
            "appointment.rescheduled",
            idempotency_key,
        )
        return result

    async def cancel_appointment(
        self,
        appointment_id: str,
        request: AppointmentCancel,
        *,
        idempotency_key: str | None = None,
    ) -> CancelResult:
        target = await self._known(appointment_id)
        result: CancelResult = await self._write(
            lambda s, now: apply.queue_cancel(
                s, target, request, now=now, entry_id=idempotency_key
            ),
            "appointment.cancelled",
            idempotency_key,
        )
        return result

    # --- reads from the mirror ----------------------------------------------------------------

    async def get_appointment(self, appointment_id: str) -> Appointment:
        return await self.local.get_appointment(await self._known(appointment_id))

    async def list_appointments(self, query: AppointmentQuery) -> Page[Appointment]:
        """From the mirror; a span outside the pulled window is fetched into it first."""
        if query.start is not None and query.end is not None and not self._covers(query):
            await self._fetch_span(query.start, query.end)
        return await self.local.list_appointments(query)

    async def calendar_rows(self, start: datetime, end: datetime) -> list[CalendarRow]:
        """`list_appointments` of a span as plain tuples, for the calendar (see
        `LocalBackend.calendar_rows`): from the mirror, a span it lacks fetched first."""
        if not self._covers(AppointmentQuery(start=start, end=end)):
            await self._fetch_span(start, end)
        return await self.local.calendar_rows(start, end)

    def _covers(self, query: AppointmentQuery) -> bool:
        assert query.start is not None and query.end is not None
        spans = list(self._fetched)
        if self.puller.window is not None:
            spans.append(self.puller.window)
        return any(start <= query.start and query.end <= end for start, end in spans)

    async def _fetch_span(self, start: datetime, end: datetime) -> None:
        """Pull the server's appointments of a span the mirror lacks (a week far ahead, say).

        Once fetched, the live stream keeps the span current like the rest of the mirror.
        Offline, or for an unreasonably long span, the mirror answers with what it has.
        """
        if self.api is None or not self.reachable or end - start > MAX_FETCH_SPAN:
            return
        query = AppointmentQuery(start=start, end=end, limit=APPOINTMENT_PAGE)
        found: list[Appointment] = []
        try:
            for _ in range(MAX_FETCH_PAGES):
                page = await self._network(self.api.list_appointments(query))
                found.extend(page.data)
                if not page.next_cursor:
                    break
                query = query.model_copy(update={"cursor": page.next_cursor})
            await store_server_appointments(self._db, self.api, found)
        except Exception as exc:
            if classify(exc) in ("refusal", "auth"):
                raise
            return  # the mirror's own copy will do until the connection is better
        self._fetched.append((start, end))

    async def list_providers(self) -> list[Provider]:
        return await self.local.list_providers()

    async def get_provider(self, provider_id: str) -> Provider:
        return await self.local.get_provider(provider_id)

    async def provider_availability(
        self, provider_id: str, day: date, duration_minutes: int
    ) -> Availability:
        return await self.local.provider_availability(provider_id, day, duration_minutes)

    async def search_patients(
        self, q: str | None = None, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Patient]:
        return await self.local.search_patients(q, limit=limit, cursor=cursor)

    async def get_patient(self, patient_id: str) -> Patient:
        if is_temporary_patient(patient_id):
            patient_id = await self._db.read(lambda s: patients.resolve_patient_id(s, patient_id))
        return await self.local.get_patient(patient_id)

    async def create_patient(
        self, request: PatientCreate, *, idempotency_key: str | None = None
    ) -> Patient:
        """Registered in the mirror under a temporary id and queued (`sync.patients`): online
        the server's answer (its id, or its refusal such as `possible_duplicate`) comes back
        within the write deadline; offline the patient can be booked at once."""
        if idempotency_key is not None:
            earlier = await self._earlier_outcome(idempotency_key)
            if earlier is not None:
                return earlier  # type: ignore[no-any-return]
        now = self._clock()

        def queue_and_audit(session: Session) -> patients.QueuedPatient:
            done = patients.queue_patient(session, request, now=now, entry_id=idempotency_key)
            trail = self.local.audit
            if trail is not None:
                trail.record(
                    session, "patient.create", patient_id=done.patient.id, object_id=done.patient.id
                )
            return done

        async def commit() -> tuple[patients.QueuedPatient, asyncio.Future[Any] | None]:
            queued = await self._db.write(queue_and_audit)
            future = (
                self.replayer.attach(queued.entry.id, undo_on_refusal=True)
                if self.reachable
                else None
            )
            self.replayer.add(queued.entry)
            self._refresh_counts()
            self._emit(
                [self._local_event("patient.created", queued.patient.model_dump(mode="json"))]
            )
            return queued, future

        queued, future = await asyncio.shield(asyncio.ensure_future(commit()))
        if future is None:
            return queued.patient
        answer: Patient = await self._await_answer(queued.entry, future, queued.patient)
        return answer

    async def list_payers(self) -> list[Payer]:
        return await self.local.list_payers()

    # --- visits: live front-desk work, kept here for reading offline -------------------------

    async def change_visit(
        self, appointment_id: str, request: VisitChange, *, idempotency_key: str | None = None
    ) -> Visit:
        """Moved in this copy by the rule and sent through the one write path: online the
        server's answer within the write deadline; offline at once, queued and sent later."""
        target = await self._known(appointment_id)
        person = self.local.audit.person if self.local.audit is not None else None
        if request.by is None and person is not None:
            request = request.model_copy(update={"by": person.name})  # who, at this desk
        visit: Visit = await self._write(
            lambda s, now: apply.queue_visit(s, target, request, now=now, entry_id=idempotency_key),
            VISIT_EVENT,
            idempotency_key,
        )
        return visit

    async def get_visit(self, appointment_id: str) -> Visit:
        """As this computer keeps it (the event stream keeps it current)."""
        target = await self._known(appointment_id)
        [visit] = await self._db.read(lambda s: mirror.visits_of(s, [target]))
        return visit

    async def list_visits(self, start: datetime, end: datetime) -> list[Visit]:
        """The server's visits (kept here); offline, the ones this computer kept."""

        async def kept() -> list[Visit]:
            return await self.local.list_visits(start, end)

        if not self.reachable:
            return await kept()
        try:
            found = await self._network(self.api.list_visits(start, end))
        except Exception as exc:
            if classify(exc) != "network":
                raise
            return await kept()
        await self._db.write(lambda s: mirror.keep_visits(s, found))
        return found

    # --- recurring series: one queued entry per series write ------------------------------------

    async def check_series(self, request: SeriesCheckRequest) -> SeriesCheck:
        """The server's diary when it answers; offline, this computer's copy."""
        return await self._online_or(
            self.api.check_series(request), lambda: self.local.check_series(request)
        )

    async def save_series(
        self, series_id: str, request: SeriesCreate, *, idempotency_key: str | None = None
    ) -> Series:
        """Every start booked here in one transaction and queued as one entry
        (`sync.series`): online the server's answer within the write deadline; offline at once,
        sent when the server answers — all of it, or none."""
        if is_temporary_patient(request.patient_id):
            resolved = await self._db.read(
                lambda s: patients.resolve_patient_id(s, request.patient_id)
            )
            request = request.model_copy(update={"patient_id": resolved})
        now = self._clock()

        def queue(session: Session) -> tuple[Series, OutboxEntry | None]:
            booked, queued = series.queue_series(
                session, series_id, request, now=now, outbox_id=idempotency_key
            )
            if queued is not None and self.local.audit is not None:
                self.local.audit.record(
                    session, "series.book", patient_id=booked.patient_id, object_id=booked.id
                )
            return booked, queued

        booked, queued, future = await self._commit_many(queue)
        if queued is not None and future is not None:
            booked = await self._await_answer(queued, future, booked)
        return Series.model_validate(booked)

    async def get_series(self, series_id: str) -> Series:
        try:
            return await self.local.get_series(series_id)
        except NotFound:
            if not self.reachable:
                raise
        return await self._network(self.api.get_series(series_id))

    async def cancel_series(
        self, series_id: str, request: SeriesCancel, *, idempotency_key: str | None = None
    ) -> SeriesCancelResult:
        """All of them cancelled here in one transaction and queued as one entry."""
        answer = await self._change_series(series_id, request, idempotency_key, "series.cancel")
        return SeriesCancelResult.model_validate(answer)

    async def reschedule_series(
        self, series_id: str, request: SeriesReschedule, *, idempotency_key: str | None = None
    ) -> SeriesRescheduleResult:
        """All of them moved here in one transaction and queued as one entry."""
        answer = await self._change_series(series_id, request, idempotency_key, "series.reschedule")
        return SeriesRescheduleResult.model_validate(answer)

    async def _change_series(
        self,
        series_id: str,
        request: SeriesCancel | SeriesReschedule,
        idempotency_key: str | None,
        action: str,
    ) -> Any:
        await self._known_series(series_id)
        now = self._clock()

        def queue(session: Session) -> tuple[Any, OutboxEntry | None]:
            result, queued, _after = series.queue_change(
                session, series_id, request, now=now, outbox_id=idempotency_key
            )
            if self.local.audit is not None:
                self.local.audit.record(
                    session, action, patient_id=queued.patient_id, object_id=series_id
                )
            return result, queued

        result, queued, future = await self._commit_many(queue)
        if queued is not None and future is not None:
            result = await self._await_answer(queued, future, result)
        return result

    async def _known_series(self, series_id: str) -> None:
        """A series another desk booked: its rule and appointments are fetched into the copy
        first (a cancel is made here before it is sent)."""
        found = await self._db.read(lambda s: series_repo.find(s, series_id))
        if found is not None or not self.reachable:
            return
        server = await self._network(self.api.get_series(series_id))
        await store_server_appointments(self._db, self.api, server.appointments)
        await self._db.write(lambda s: series_repo.keep(s, server))

    async def _commit_many(
        self, queue: Callable[[Session], tuple[Any, OutboxEntry | None]]
    ) -> tuple[Any, OutboxEntry | None, asyncio.Future[Any] | None]:
        """Commit a write of several appointments; tell the panels about each of them."""

        async def commit() -> tuple[Any, OutboxEntry | None, asyncio.Future[Any] | None]:
            result, queued = await self._db.write(queue)
            if queued is None:
                return result, None, None
            future = (
                self.replayer.attach(queued.id, undo_on_refusal=True) if self.reachable else None
            )
            self.replayer.add(queued)
            self._refresh_counts()
            ids = touched(queued)[1:]
            self._spawn(self._announce(list(ids), "desk"))
            return result, queued, future

        return await asyncio.shield(asyncio.ensure_future(commit()))

    # --- the waitlist: saved here and queued like any write ------------------------------------

    async def save_waitlist_entry(
        self, entry_id: str, request: WaitlistRequest, *, idempotency_key: str | None = None
    ) -> WaitlistEntry:
        """Saved in this copy by the rules and queued (`sync.waitlist`): online the server's
        answer within the write deadline; offline at once, sent when the server answers."""
        if is_temporary_patient(request.patient_id):
            resolved = await self._db.read(
                lambda s: patients.resolve_patient_id(s, request.patient_id)
            )
            request = request.model_copy(update={"patient_id": resolved})
        if idempotency_key is not None:
            earlier = await self._earlier_outcome(idempotency_key)
            if earlier is not None:
                return earlier  # type: ignore[no-any-return]
        now = self._clock()

        def queue_and_audit(session: Session) -> tuple[WaitlistEntry, OutboxEntry]:
            saved, queued = waitlist.queue_save(
                session, entry_id, request, now=now, outbox_id=idempotency_key
            )
            if self.local.audit is not None:
                self.local.audit.record(
                    session, "waitlist.save", patient_id=saved.patient_id, object_id=saved.id
                )
            return saved, queued

        async def commit() -> tuple[WaitlistEntry, OutboxEntry, asyncio.Future[Any] | None]:
            saved, queued = await self._db.write(queue_and_audit)
            future = (
                self.replayer.attach(queued.id, undo_on_refusal=True) if self.reachable else None
            )
            self.replayer.add(queued)
            self._refresh_counts()
            self._emit([self._local_event(WAITLIST_EVENT, saved.model_dump(mode="json"))])
            return saved, queued, future

        saved, queued, future = await asyncio.shield(asyncio.ensure_future(commit()))
        if future is None:
            return saved
        answer: WaitlistEntry = await self._await_answer(queued, future, saved)
        return answer

    async def get_waitlist_entry(self, entry_id: str) -> WaitlistEntry:
        return await self.local.get_waitlist_entry(entry_id)

    async def list_waitlist(self, status: WaitlistStatus | None = "waiting") -> list[WaitlistEntry]:
        """The server's list (kept here, but for what this desk is still sending); offline,
        the list as this computer has it."""
        if self.reachable:
            try:
                found = await self._network(self.api.list_waitlist(None))
            except Exception as exc:
                if classify(exc) != "network":
                    raise
            else:
                await self._db.write(lambda s: waitlist.keep_server_entries(s, found))
        return await self.local.list_waitlist(status)

    async def list_agents(self) -> list[Agent]:
        return await self._online_or(self.api.list_agents(), self.local.list_agents)

    async def set_agent_status(self, agent_id: str, status: AgentStatus) -> Agent:
        agent = await self._online(self.api.set_agent_status(agent_id, status))
        await self._db.write(lambda s: mirror.set_agent_status(s, agent.id, agent.status))
        return agent
