"""`SyncCore`: what every part of `OfflineFirstBackend` shares — the mirror, the API, the
monitor, the replayer, the listeners — and the helpers over them.

One object, handed to each part (`Conflicts`, `NetworkReads`, the write path, ...) in its
constructor, so that each part stays one concern over the same plumbing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from frontdesk_app.api.client import ApiBackend
from frontdesk_app.domain.changes import AppointmentChange, Cause, SyncStatus
from frontdesk_app.domain.errors import Offline
from frontdesk_app.domain.ids import EVENT, new_id
from frontdesk_app.domain.models import SYNC_EVENT, Appointment, Event
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.sync import mirror
from frontdesk_app.sync.connectivity import ConnectivityMonitor
from frontdesk_app.sync.entries import OutboxEntry
from frontdesk_app.sync.failures import classify
from frontdesk_app.sync.pull import store_server_appointments
from frontdesk_app.sync.replayer import Replayer
from frontdesk_app.sync.state import StateHub, SyncState
from frontdesk_app.sync.worker import SyncDb

log = logging.getLogger(__name__)


T = TypeVar("T")
EventListener = Callable[[list[Event]], None]
OFFLINE_MESSAGE = (
    "This needs the FrontDeskOS server, which cannot be reached right now. "
    "It works again as soon as the connection is back."
)


class SyncCore:
    """The shared state and helpers of `OfflineFirstBackend`'s parts; not a `Backend`."""

    replayer: Replayer  # made by the backend, which hears its notices

    def __init__(
        self,
        local: LocalBackend,
        api: ApiBackend,
        *,
        clock: Callable[[], datetime],
        monitor: ConnectivityMonitor,
        write_deadline: float = 3.0,
    ) -> None:
        self.local = local
        self.api = api
        self.monitor = monitor
        self.db = SyncDb(local.store)
        self.clock = clock
        self.hub = StateHub()
        self.event_listeners: list[EventListener] = []
        self.background: set[asyncio.Task[Any]] = set()
        self.write_deadline = write_deadline
        # Writes whose answer a person at this desk is awaiting right now (see `attach`).
        self.live: set[str] = set()

    @property
    def state(self) -> SyncState:
        """Connection, pending writes, conflicts, last sync and rate budget, for a status bar."""
        return self.hub.state

    def add_state_listener(self, listener: Callable[[SyncState], None]) -> Callable[[], None]:
        """`listener(state)` on every change of `state`; returns the unsubscribe function."""
        return self.hub.add_listener(listener)

    def sync_status(self, appointment_id: str) -> SyncStatus:
        """`synced`, `pending` or `conflict`, from memory (cheap enough to call while painting)."""
        return self.replayer.status_of(appointment_id)

    def sync_statuses(self) -> dict[str, SyncStatus]:
        """Every appointment that is not `synced`, with its status (for a calendar repaint)."""
        return self.replayer.statuses()

    @property
    def reachable(self) -> bool:
        """True when the API answered lately."""
        return self.monitor.online

    def add_event_listener(self, listener: EventListener) -> Callable[[], None]:
        """`listener(events)` for every change the mirror takes, local or from the server.

        Local changes arrive at once with `seq` 0; server events with their own seq. Type
        `sync.appointment` (data: `appointment_id`, `sync_status`, optional `previous_id` when
        an offline booking got its server id, `removed` when it was taken back) says that an
        appointment's sync status changed.
        """
        self.event_listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self.event_listeners:
                self.event_listeners.remove(listener)

        return unsubscribe

    def emit(self, events: list[Event]) -> None:
        for listener in list(self.event_listeners):
            try:
                listener(events)
            except Exception:
                # A closed window's listener must not break sync for everyone else.
                log.exception("event listener failed")

    def local_event(self, event_type: str, data: dict[str, Any]) -> Event:
        return Event(id=new_id(EVENT), seq=0, type=event_type, created_at=self.clock(), data=data)

    def changed(
        self,
        appointment_id: str,
        appointment: Appointment | None,
        cause: Cause,
        *,
        previous_id: str | None = None,
    ) -> Event:
        """The one notification of a change to an appointment in the copy (`domain/changes`)."""
        status = self.sync_status(appointment_id) if appointment is not None else "synced"
        change = AppointmentChange(appointment_id, appointment, status, cause, previous_id)
        return self.local_event(SYNC_EVENT, change.data())

    async def announce(self, appointment_ids: list[str], cause: Cause) -> None:
        """Changes whose rows are not at hand (a conflict parked): read once, then told."""
        rows = await self.db.read(lambda s: mirror.get_appointments(s, appointment_ids))
        self.emit([self.changed(i, rows.get(i), cause) for i in appointment_ids])

    def refresh_counts(self) -> None:
        self.hub.update(pending=self.replayer.pending, conflicts=self.replayer.conflicts)

    def hand_over(self, entry: OutboxEntry) -> asyncio.Future[Any] | None:
        """A write just committed goes to the replayer; online, this desk awaits its answer
        (the future; None offline). A refusal then undoes the change."""
        future = self.attach(entry, undo_on_refusal=True)
        self.replayer.add(entry)
        self.refresh_counts()
        return future

    def attach(self, entry: OutboxEntry, *, undo_on_refusal: bool) -> asyncio.Future[Any] | None:
        """Online, this desk awaits the server's answer to its write: the write's one change
        notification is then the settled one (cause `desk`), not a pending one first."""
        if not self.reachable:
            return None
        self.live.add(entry.id)
        return self.replayer.attach(entry.id, undo_on_refusal=undo_on_refusal)

    async def await_answer(
        self,
        entry: OutboxEntry,
        future: asyncio.Future[Any],
        local_result: Any,
        shown: Appointment | None = None,
    ) -> Any:
        """The server's answer within the write deadline, else `local_result` (pending)."""
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.write_deadline)
        except TimeoutError:
            if self.detach(entry, shown):
                return local_result  # slow, or queued behind others: it shows as pending
            return await future  # the answer is being delivered right now
        except asyncio.CancelledError:
            self.detach(entry, shown)  # nobody waits any more: a refusal is kept, not undone
            raise

    def detach(self, entry: OutboxEntry, shown: Appointment | None) -> bool:
        """Stop awaiting the answer; the write then shows as pending until it settles."""
        if not self.replayer.detach(entry.id):
            return False
        self.live.discard(entry.id)
        if shown is not None:
            self.emit([self.changed(shown.id, shown, "desk")])
        return True

    async def fetch_into_mirror(self, appointment_id: str) -> Appointment:
        """The server's version of one appointment, stored in the mirror unless busy here."""
        appointment = await self.network(self.api.get_appointment(appointment_id))
        await store_server_appointments(self.db, self.api, [appointment])
        return appointment

    async def audit(self, action: str, patient_id: str | None, object_id: str | None) -> None:
        """Record a lookup the server answered in the mirror's audit log (see `store.audit`).

        Standalone (`api` None) every call goes to `local`, which records its own.
        """
        trail = self.local.audit
        if trail is None:
            return
        await self.db.write(
            lambda s: trail.record(s, action, patient_id=patient_id, object_id=object_id)
        )

    def spawn(self, coro: Awaitable[Any]) -> None:
        """Run in the background, keeping a strong reference until it ends."""
        task = asyncio.ensure_future(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def network(self, call: Awaitable[T]) -> T:
        """Await an API call, telling the connectivity monitor how it went."""
        try:
            result = await call
        except Exception as exc:
            self.monitor.report_failure(exc)
            raise
        self.monitor.report_success()
        return result

    async def online(self, call: Awaitable[T]) -> T:
        """A call only the server can answer: `Offline` at once while it is unreachable."""
        if not self.reachable:
            if asyncio.iscoroutine(call):
                call.close()  # never awaited: close it so no warning is raised
            raise Offline(OFFLINE_MESSAGE)
        return await self.network(call)

    async def online_or(self, call: Awaitable[T], fallback: Callable[[], Awaitable[T]]) -> T:
        """The server's answer when reachable, else (or on a network failure) `fallback()`."""
        if self.reachable:
            try:
                return await self.network(call)
            except Exception as exc:
                if classify(exc) != "network":
                    raise
        elif asyncio.iscoroutine(call):
            call.close()
        return await fallback()
