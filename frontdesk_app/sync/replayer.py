"""The replayer: sends queued writes to the API in order, settles answers, parks refusals.

Each entry goes with its own id as `Idempotency-Key`, so a resend after a timeout, a crash or a
dropped answer is answered from the server's memory instead of acting twice. Order is kept per
appointment (and per provider and patient, see `ordering`); a transient failure backs the entry
off in place; a refusal becomes a conflict for a person, unless the person is still waiting for
the answer, in which case the write is undone and the refusal raised to them; a network failure
hands over to the connectivity monitor and sending pauses until it says the API is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel

from frontdesk_app.domain import clock
from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.changes import SyncStatus
from frontdesk_app.domain.errors import RateLimited
from frontdesk_app.domain.models import AppointmentCancel, AppointmentCreate, PatientCreate
from frontdesk_app.domain.series import SeriesCancel, SeriesCreate, SeriesReschedule
from frontdesk_app.domain.visits import VisitChange
from frontdesk_app.domain.waitlist import WaitlistRequest
from frontdesk_app.sync import apply, verify
from frontdesk_app.sync.connectivity import Backoff, ConnectivityMonitor
from frontdesk_app.sync.entries import OutboxEntry, touched
from frontdesk_app.sync.failures import classify, describe
from frontdesk_app.sync.ordering import Span, plan, spans_of
from frontdesk_app.sync.outbox import open_entries, schedule_retry
from frontdesk_app.sync.patients import remap_payload
from frontdesk_app.sync.worker import SyncDb

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
_NETWORK_BACKOFF = Backoff(initial=0.25, maximum=5.0)
# How long the API keeps an Idempotency-Key's answer (API.md: 24 hours).
KEY_RETENTION = timedelta(hours=24)
NoticeKind = Literal["synced", "conflict", "rejected", "retrying"]


def precise_now() -> datetime:
    """Now in UTC with microseconds (backoff waits are shorter than a second)."""
    return clock.now()


@dataclass(frozen=True, slots=True)
class ReplayNotice:
    """What just happened to one entry, for the backend to tell its listeners."""

    kind: NoticeKind
    entry: OutboxEntry
    settled: apply.Settled | None = None
    code: str | None = None
    message: str | None = None


@dataclass(slots=True)
class _Waiter:
    future: asyncio.Future[Any]
    undo_on_refusal: bool


class Replayer:
    """Drains the outbox of one mirror into one API; one instance per `OfflineFirstBackend`."""

    def __init__(
        self,
        db: SyncDb,
        api: Backend,
        monitor: ConnectivityMonitor,
        *,
        on_notice: Callable[[ReplayNotice], None],
        clock: Clock = precise_now,
        concurrency: int = 4,
        max_attempts: int = 8,
        backoff: Backoff | None = None,
        key_retention: timedelta = KEY_RETENTION,
    ) -> None:
        self._db = db
        self._api = api
        self._monitor = monitor
        self._on_notice = on_notice
        self._clock = clock
        self._concurrency = max(1, concurrency)
        self._max_attempts = max_attempts
        self._backoff = backoff or Backoff(initial=1.0, maximum=60.0)
        # A create older than this may have reached the server under a key it has forgotten
        # since: it is looked up by its reference before it is sent again. Half the server's
        # retention, so a clock that runs apart from the server's still errs on the safe side.
        self._look_first_after = key_retention / 2
        self._entries: dict[int, OutboxEntry] = {}
        self._by_appointment: dict[str, set[int]] = {}
        # Entries sent and not yet settled: they hold their appointment, provider and patient.
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        # Requests on the wire: what `concurrency` bounds (settling runs outside the bound).
        self._sending = 0
        self._network_failures: dict[int, int] = {}
        self._span_cache: dict[int, tuple[str, tuple[Span, ...]]] = {}
        self._waiters: dict[str, _Waiter] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe = monitor.add_listener(lambda _online, _detail: self._wake.set())
        self._closed = False
        self.pending = 0
        self.conflicts = 0
        self.sent = 0  # requests sent (tests and the benchmark read it)

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the open entries left by an earlier run and begin sending."""
        entries = await self._db.read(open_entries)
        for entry in entries:
            # A new run tries at once: the backoff was about a connection that may be back.
            self._put(replace(entry, next_attempt_at=None))
        self._update_idle()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="frontdesk-replayer"
            )

    async def aclose(self) -> None:
        self._closed = True
        self._unsubscribe()
        tasks = [t for t in (self._task, *self._in_flight.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        for waiter in self._waiters.values():
            if not waiter.future.done():
                waiter.future.cancel()
        self._waiters.clear()

    # --- what the backend asks ----------------------------------------------------------------

    def add(self, entry: OutboxEntry) -> None:
        """A newly queued entry (already committed)."""
        self._put(entry)
        self._update_idle()
        self._wake.set()

    def replace_entry(self, entry: OutboxEntry) -> None:
        """An entry changed outside the replayer (a person resolved its conflict)."""
        old = self._entries.get(entry.seq)
        if old is not None:
            self._count(old, -1)
        self._entries[entry.seq] = entry
        self._by_appointment.setdefault(entry.appointment_id, set()).add(entry.seq)
        self._count(entry, +1)
        self._update_idle()
        self._wake.set()

    def forget(self, seqs: tuple[int, ...] | list[int]) -> None:
        """Entries closed outside the replayer (discarded by a person)."""
        for seq in seqs:
            self._drop(seq)
        self._update_idle()

    def attach(self, entry_id: str, *, undo_on_refusal: bool) -> asyncio.Future[Any]:
        """A future for the server's answer to one entry (the caller awaits it, bounded)."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters[entry_id] = _Waiter(future, undo_on_refusal)
        return future

    def detach(self, entry_id: str) -> bool:
        """The caller stopped waiting; False if the answer is already being delivered."""
        return self._waiters.pop(entry_id, None) is not None

    def retry_now(self) -> None:
        """Forget backoffs and probe the API at once (a person pressed "retry")."""
        for seq, entry in list(self._entries.items()):
            if entry.state == "pending" and entry.next_attempt_at is not None:
                self._entries[seq] = replace(entry, next_attempt_at=None)
        self._network_failures.clear()
        self._monitor.check_now()
        self._wake.set()

    def status_of(self, appointment_id: str) -> SyncStatus:
        """`conflict`, `pending` or `synced` for one appointment."""
        states = {self._entries[seq].state for seq in self._by_appointment.get(appointment_id, ())}
        if "conflict" in states:
            return "conflict"
        return "pending" if states else "synced"

    def statuses(self) -> dict[str, SyncStatus]:
        """Every appointment with open entries and its status."""
        return {
            appointment_id: self.status_of(appointment_id)
            for appointment_id in self._by_appointment
        }

    def entries(self) -> list[OutboxEntry]:
        """The open entries, in queue order."""
        return list(self._entries.values())

    async def wait_idle(self, within: float) -> bool:
        """Wait until nothing more can be sent (what is left waits behind a conflict for a
        person); True if that happened within `within` seconds."""
        try:
            await asyncio.wait_for(self._idle.wait(), within)
        except TimeoutError:
            return False
        return True

    # --- bookkeeping --------------------------------------------------------------------------

    def _count(self, entry: OutboxEntry, sign: int) -> None:
        if entry.state == "pending":
            self.pending += sign
        elif entry.state == "conflict":
            self.conflicts += sign

    def _put(self, entry: OutboxEntry) -> None:
        self._entries[entry.seq] = entry
        for appointment_id in touched(entry):
            self._by_appointment.setdefault(appointment_id, set()).add(entry.seq)
        self._count(entry, +1)

    def _drop(self, seq: int) -> None:
        entry = self._entries.pop(seq, None)
        if entry is None:
            return
        self._count(entry, -1)
        self._network_failures.pop(seq, None)
        self._span_cache.pop(seq, None)
        for appointment_id in touched(entry):
            seqs = self._by_appointment.get(appointment_id)
            if seqs is not None:
                seqs.discard(seq)
                if not seqs:
                    del self._by_appointment[appointment_id]

    def _set(self, seq: int, **changes: Any) -> OutboxEntry | None:
        entry = self._entries.get(seq)
        if entry is None:
            return None
        self._count(entry, -1)
        updated = replace(entry, **changes)
        self._entries[seq] = updated
        self._count(updated, +1)
        return updated

    def _remap(self, temporary_id: str, server_id: str) -> None:
        seqs = self._by_appointment.pop(temporary_id, set())
        for seq in seqs:
            entry = self._entries[seq]
            if entry.appointment_id == temporary_id:  # not a series write that also holds it
                self._entries[seq] = replace(entry, appointment_id=server_id)
        if seqs:
            self._by_appointment.setdefault(server_id, set()).update(seqs)

    def _remap_patient(self, temporary_id: str, server_id: str) -> None:
        """Entries queued for a patient registered offline now carry the server's id (the
        store's copy was changed in the same transaction that closed the registration)."""
        for seq, entry in list(self._entries.items()):
            if entry.patient_id == temporary_id:
                self._entries[seq] = replace(
                    entry,
                    patient_id=server_id,
                    payload=remap_payload(entry.payload, temporary_id, server_id),
                )
                self._span_cache.pop(seq, None)

    def _spans(self, entry: OutboxEntry) -> tuple[Span, ...]:
        """`spans_of`, remembered per entry id (a resolved conflict gets a new id)."""
        cached = self._span_cache.get(entry.seq)
        if cached is None or cached[0] != entry.id:
            cached = (entry.id, spans_of(entry))
            self._span_cache[entry.seq] = cached
        return cached[1]

    def _has_later(self, entry: OutboxEntry) -> bool:
        return any(seq > entry.seq for seq in self._by_appointment.get(entry.appointment_id, ()))

    def _update_idle(self) -> None:
        if self._drained():
            self._idle.set()
        else:
            self._idle.clear()

    def _drained(self) -> bool:
        """Nothing in flight and nothing left to send but writes waiting behind a conflict."""
        if self._in_flight:
            return False
        if self.pending == 0:
            return True
        conflicted: set[str] = set()
        for entry in self._entries.values():
            if entry.state == "conflict":
                conflicted.add(entry.appointment_id)
            elif entry.appointment_id not in conflicted:
                return False  # stops at the first sendable entry: cheap however long the queue
        return True

    # --- the loop -----------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._closed:
            self._wake.clear()
            timeout: float | None = None
            if self._monitor.online:
                now = self._clock()
                chosen = plan(
                    self._entries.values(),
                    in_flight=self._in_flight.keys(),
                    now=now,
                    slots=self._concurrency - self._sending,
                    spans=self._spans,
                )
                for entry in chosen.ready:
                    self._sending += 1
                    self._in_flight[entry.seq] = asyncio.get_running_loop().create_task(
                        self._send(entry), name=f"frontdesk-replay-{entry.seq}"
                    )
                if chosen.wake_at is not None:
                    timeout = max(0.0, (chosen.wake_at - now).total_seconds())
            self._update_idle()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _send(self, entry: OutboxEntry) -> None:
        sending = True
        try:
            self.sent += 1
            try:
                answer = await self._call(entry)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                sending = self._sent()
                await self._failed(entry, exc)
            else:
                sending = self._sent()
                self._monitor.report_success()
                await self._succeeded(entry, answer)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A bug in settling must not kill the replayer; the entry stays and is retried.
            log.exception("settling outbox entry %s failed", entry.seq)
            self._set(entry.seq, next_attempt_at=self._clock() + timedelta(seconds=5))
        finally:
            if sending:
                self._sent()
            self._in_flight.pop(entry.seq, None)
            self._update_idle()
            self._wake.set()

    def _sent(self) -> bool:
        """The request is answered: its slot goes to the next entry while this one settles."""
        self._sending -= 1
        self._wake.set()
        return False

    async def _call(self, entry: OutboxEntry) -> BaseModel:
        request = entry.request()
        key = entry.id
        if isinstance(request, AppointmentCreate):
            if self._clock() - entry.created_at >= self._look_first_after:
                found = await verify.created_on_server(self._api, entry)
                if found is not None:
                    log.info("outbox entry %s was already booked on the server", entry.seq)
                    return found
            return await self._api.create_appointment(request, idempotency_key=key)
        if isinstance(request, PatientCreate):
            return await self._api.create_patient(request, idempotency_key=key)
        if isinstance(request, VisitChange):
            return await self._api.change_visit(entry.appointment_id, request, idempotency_key=key)
        if isinstance(request, SeriesCreate):
            return await self._api.save_series(entry.appointment_id, request, idempotency_key=key)
        if isinstance(request, SeriesReschedule):
            return await self._api.reschedule_series(
                entry.appointment_id, request, idempotency_key=key
            )
        if isinstance(request, SeriesCancel):
            return await self._api.cancel_series(entry.appointment_id, request, idempotency_key=key)
        if isinstance(request, WaitlistRequest):
            return await self._api.save_waitlist_entry(
                entry.appointment_id, request, idempotency_key=key
            )
        if isinstance(request, AppointmentCancel):
            return await self._api.cancel_appointment(
                entry.appointment_id, request, idempotency_key=key
            )
        return await self._api.reschedule_appointment(
            entry.appointment_id, request, idempotency_key=key
        )

    async def _succeeded(self, entry: OutboxEntry, answer: BaseModel) -> None:
        response = answer.model_dump(mode="json")
        now = self._clock()
        settled = await self._db.write(lambda s: apply.settle_success(s, entry, response, now=now))
        for seq in settled.closed:
            self._drop(seq)
        if settled.remapped_from is not None and settled.appointment is not None:
            self._remap(settled.remapped_from, settled.appointment.id)
        for temporary_id, server_id in settled.remaps:
            self._remap(temporary_id, server_id)
        if settled.remapped_from is not None and settled.patient is not None:
            self._remap_patient(settled.remapped_from, settled.patient.id)
        waiter = self._waiters.pop(entry.id, None)
        if waiter is not None and not waiter.future.done():
            waiter.future.set_result(answer)
        self._on_notice(ReplayNotice("synced", entry, settled))

    async def _failed(self, entry: OutboxEntry, exc: Exception) -> None:
        kind = classify(exc)
        code, message = describe(exc)
        now = self._clock()
        if kind in ("network", "auth"):
            # Not this entry's fault: wait for the connection, not for a person.
            self._monitor.report_failure(exc)
            failures = self._network_failures.get(entry.seq, 0) + 1
            self._network_failures[entry.seq] = failures
            # Sending pauses while the monitor says offline; the short per-entry wait only stops
            # a hot loop when probes pass but this request keeps losing its connection.
            wait = _NETWORK_BACKOFF.delay(failures - 1)
            self._set(entry.seq, next_attempt_at=now + timedelta(seconds=wait))
            return
        if kind == "refusal":
            self._monitor.report_success()
            if not await self._done_on_server(entry, exc):
                await self._refused(entry, exc, code, message, now)
            return
        if isinstance(exc, RateLimited):
            # The budget, not the entry: wait as told, and count no attempt against it.
            wait = exc.retry_after if exc.retry_after is not None else 1.0
            self._set(entry.seq, next_attempt_at=now + timedelta(seconds=max(0.05, wait)))
            self._on_notice(ReplayNotice("retrying", entry, code=code, message=message))
            return
        self._monitor.report_failure(exc)
        attempts = entry.attempts + 1
        if attempts >= self._max_attempts:
            if await self._done_on_server(entry, exc, unsure=True):
                return
            message = f"The server failed this change {attempts} times ({message})."
            await self._park(entry, code, message, now, exc)
            return
        retry_at = now + timedelta(seconds=self._delay(attempts))
        await self._db.write(
            lambda s: schedule_retry(
                s, entry.seq, attempts=attempts, next_attempt_at=retry_at, error=code
            )
        )
        self._set(entry.seq, attempts=attempts, next_attempt_at=retry_at)
        self._on_notice(ReplayNotice("retrying", entry, code=code, message=message))

    async def _done_on_server(
        self, entry: OutboxEntry, exc: Exception, *, unsure: bool = False
    ) -> bool:
        """An answer that leaves the write's fate unsure: if the server already shows its
        outcome, settle it as done (never a conflict for a change that succeeded)."""
        if not (unsure or verify.leaves_unsure(exc)):
            return False
        try:
            answer = await verify.outcome_on_server(self._api, entry)
        except asyncio.CancelledError:
            raise
        except Exception as check:
            if classify(check) not in ("network", "auth"):
                log.info(
                    "checking entry %s on the server failed (%s)", entry.seq, describe(check)[0]
                )
                return False
            # No answer either way: wait for the connection and send the write again.
            self._monitor.report_failure(check)
            self._set(entry.seq, next_attempt_at=self._clock() + timedelta(seconds=1))
            return True
        if answer is None:
            return False
        log.info("outbox entry %s was already done on the server (%s)", entry.seq, describe(exc)[0])
        await self._succeeded(entry, answer)
        return True

    def _delay(self, failures: int) -> float:
        return self._backoff.delay(failures - 1)

    async def _refused(
        self, entry: OutboxEntry, exc: Exception, code: str, message: str, now: datetime
    ) -> None:
        waiter = self._waiters.get(entry.id)
        if (
            waiter is not None
            and waiter.undo_on_refusal
            and not waiter.future.done()
            and not self._has_later(entry)
        ):
            # The person who made the change is looking at the screen: tell them now and
            # leave nothing behind, instead of a conflict to resolve later.
            self._waiters.pop(entry.id, None)
            settled = await self._db.write(
                lambda s: apply.undo(
                    s, entry, state="rejected", now=now, code=code, message=message
                )
            )
            for seq in settled.closed:
                self._drop(seq)
            waiter.future.set_exception(exc)
            self._on_notice(ReplayNotice("rejected", entry, settled, code, message))
            return
        await self._park(entry, code, message, now, exc)

    async def _park(
        self, entry: OutboxEntry, code: str, message: str, now: datetime, exc: Exception
    ) -> None:
        await self._db.write(
            lambda s: apply.park_conflict(s, entry, code=code, message=message, now=now)
        )
        parked = self._set(
            entry.seq,
            state="conflict",
            conflict_code=code,
            conflict_message=message,
            conflict_at=now,
            next_attempt_at=None,
        )
        log.info("outbox entry %s refused (%s): kept as a conflict", entry.seq, code)
        waiter = self._waiters.pop(entry.id, None)
        if waiter is not None and not waiter.future.done():
            waiter.future.set_exception(exc)
        self._on_notice(ReplayNotice("conflict", parked or entry, code=code, message=message))
