"""Keeping the mirror current: a first pull of the directory and an appointment window, then
the live event stream — other desks' bookings, moves and cancels land in the mirror as they
happen. After the first pull everything is incremental: the stream resumes after the last seq
the mirror applied, and the directory and window are refreshed only when they have aged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from frontdesk_app.api.client import ApiBackend
from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import AuthenticationFailed, InsufficientScope, Offline
from frontdesk_app.domain.models import Appointment, AppointmentQuery, Event, Patient
from frontdesk_app.domain.pages import every_appointment
from frontdesk_app.domain.timeutil import utc_now
from frontdesk_app.domain.visits import VISIT_EVENT, Visit
from frontdesk_app.domain.waitlist import WAITLIST_EVENT, WaitlistEntry
from frontdesk_app.sync import mirror, outbox, waitlist
from frontdesk_app.sync.connectivity import Backoff, ConnectivityMonitor
from frontdesk_app.sync.worker import SyncDb

log = logging.getLogger(__name__)

LAST_EVENT_SEQ = "last_event_seq"
LAST_PULL = "last_pull"
# The API's largest pages (API.md): patients 500, appointments 1000.
PATIENT_PAGE = 500
APPOINTMENT_PAGE = 1000
MAX_PAGES = 1000  # a bound on every listing's pages (a million patients or appointments)
EVENT_BATCH = 500
_BACKOFF = Backoff(initial=1.0, maximum=30.0)


async def head_seq(api: ApiBackend) -> int:
    """The newest event's seq, found with a few one-event pages (there is no head route).

    Doubling then halving: about 2·log2(seq) tiny requests, whatever the log's length.
    """

    async def beyond(after: int) -> bool:
        page = await api.list_events(after=after, limit=1)
        return bool(page.data)

    if not await beyond(0):
        return 0
    low, high = 0, 1  # invariant: events exist after `low`
    while await beyond(high):
        low, high = high, high * 2
    # Events exist after `low`, none after `high`: the head is in (low, high].
    while high - low > 1:
        middle = (low + high) // 2
        if await beyond(middle):
            low = middle
        else:
            high = middle
    return high


async def store_server_appointments(
    db: SyncDb,
    api: Backend,
    appointments: list[Appointment],
    *,
    extra: list[tuple[str, str]] | None = None,
    report: bool = False,
) -> list[Appointment]:
    """Upsert server versions, except of appointments with writes still queued here.

    A patient or provider the mirror lacks is fetched first (the foreign keys need it).
    `extra` sync facts (the last applied seq) commit in the same transaction. With `report`,
    the appointments whose copy this changed, as now stored: the echo of this desk's own
    write, or an event older than the copy, changes nothing and is not among them.
    """

    def work(session: Session) -> list[Appointment]:
        busy = outbox.statuses(session, (a.id for a in appointments))
        # This desk's own booking, still waiting here for its answer: the settle stores it
        # (under the server's id, in place of the temporary one), not the stream.
        own = outbox.open_ids(
            session, (a.client_reference for a in appointments if a.client_reference)
        )
        fresh = [
            a
            for a in appointments
            if busy.get(a.id, "synced") == "synced" and a.client_reference not in own
        ]
        before = mirror.get_appointments(session, (a.id for a in fresh)) if report else {}
        mirror.upsert_appointments(session, fresh)
        if extra:
            outbox.set_many_meta(session, extra)
        if not report:
            return []
        after = mirror.get_appointments(session, (a.id for a in fresh))
        return [row for key, row in after.items() if before.get(key) != row]

    for _ in range(3):
        try:
            return await db.write(work)
        except mirror.MissingReference as missing:
            await _fetch_missing(db, api, missing)
    return await db.write(work)


async def _fetch_missing(db: SyncDb, api: Backend, missing: mirror.MissingReference) -> None:
    patients = [await api.get_patient(p) for p in sorted(missing.patient_ids)]
    providers = [await api.get_provider(p) for p in sorted(missing.provider_ids)]
    payers = await api.list_payers() if patients else []

    def work(session: Session) -> None:
        mirror.upsert_payers(session, payers)
        mirror.upsert_providers(session, providers)
        mirror.upsert_patients(session, patients)

    await db.write(work)


class MirrorPuller:
    """Pulls into the mirror and follows the event stream while the API is reachable.

    With `follow=False` (tests, or a server without events) it only pulls, when due.
    """

    def __init__(
        self,
        db: SyncDb,
        api: ApiBackend,
        monitor: ConnectivityMonitor,
        *,
        on_events: Callable[[list[Event], list[Appointment]], None],
        window_before: timedelta = timedelta(days=7),
        window_after: timedelta = timedelta(days=14),
        refresh_every: timedelta = timedelta(hours=1),
        follow: bool = True,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._db = db
        self._api = api
        self._monitor = monitor
        self._on_events = on_events
        self._window_before = window_before
        self._window_after = window_after
        self._refresh_every = refresh_every
        self._follow = follow
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._pulled = asyncio.Event()
        self.last_seq = 0
        # The live feed's state as the API client reports it (`streaming` when live).
        self.stream_state = "idle"
        # The span of appointments the mirror holds in full (the stream keeps it current).
        self.window: tuple[datetime, datetime] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="frontdesk-mirror-pull"
            )

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def has_offline_copy(self) -> bool:
        """Whether an earlier pull finished, so the mirror can be shown as it is."""
        pulled: str | None = await self._db.read(lambda s: outbox.get_meta(s, LAST_PULL))
        return pulled is not None

    async def wait_pulled(self, within: float, *, unless_down: bool = False) -> bool:
        """Wait for the first pull to finish (tests, and the CLI before it reports). With
        `unless_down`, stop waiting as soon as the server is found unreachable: a desk with an
        offline copy opens it at once in an outage, and the pull follows when it answers."""
        waits: list[asyncio.Future[Any]] = [asyncio.ensure_future(self._pulled.wait())]
        if unless_down:
            waits.append(asyncio.ensure_future(self._monitor.wait_found_down()))
        try:
            await asyncio.wait(waits, timeout=within, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
            await asyncio.gather(*waits, return_exceptions=True)
        return self._pulled.is_set()

    # --- the loop -----------------------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        while True:
            await self._monitor.wait_online()
            try:
                await self._pull_if_due()
                self._pulled.set()
                failures = 0
                if not self._follow:
                    # Without the live feed the pull itself is the update: repeat it when due.
                    await asyncio.sleep(self._refresh_every.total_seconds())
                    continue
                await self._follow_stream()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if isinstance(exc, AuthenticationFailed | InsufficientScope | Offline):
                    self._monitor.report_failure(exc)
                else:
                    code = getattr(exc, "code", type(exc).__name__)
                    log.warning(
                        "mirror update failed (%s); retrying",
                        code,
                        exc_info=log.isEnabledFor(logging.DEBUG),
                    )
                failures += 1
                await asyncio.sleep(_BACKOFF.delay(failures - 1))

    async def _pull_if_due(self) -> None:
        seq_text, pulled_text = await self._db.read(
            lambda s: (outbox.get_meta(s, LAST_EVENT_SEQ), outbox.get_meta(s, LAST_PULL))
        )
        now = self._clock()
        if seq_text is not None:
            self.last_seq = int(seq_text)
        due = (
            seq_text is None
            or pulled_text is None
            or now - datetime.fromisoformat(pulled_text) >= self._refresh_every
        )
        if not due:
            return
        # First the head of the log, then the snapshot: events after the head are applied on
        # top, so nothing that happens during the pull is lost.
        started = time.monotonic()
        head = await head_seq(self._api) if seq_text is None else self.last_seq
        await self.pull(now=now)
        log.info("mirror pulled in %.1f s", time.monotonic() - started)
        self.last_seq = max(self.last_seq, head)
        await self._db.write(
            lambda s: outbox.set_many_meta(
                s, [(LAST_EVENT_SEQ, str(self.last_seq)), (LAST_PULL, now.isoformat())]
            )
        )

    async def pull(self, *, now: datetime) -> None:
        """Directory and the appointment window, straight from the API into the mirror."""
        payers = await self._api.list_payers()
        providers = await self._api.list_providers()
        agents = await self._api.list_agents()
        patients: list[Patient] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            page = await self._api.search_patients(None, limit=PATIENT_PAGE, cursor=cursor)
            patients.extend(page.data)
            cursor = page.next_cursor
            if not cursor or not page.data:
                break

        def directory(session: Session) -> None:
            mirror.upsert_payers(session, payers)
            mirror.upsert_providers(session, providers)
            mirror.upsert_patients(session, patients)
            mirror.upsert_agents(session, agents)

        await self._db.write(directory)
        start, end = now - self._window_before, now + self._window_after
        query = AppointmentQuery(start=start, end=end, limit=APPOINTMENT_PAGE)
        appointments = await every_appointment(self._api, query, max_pages=MAX_PAGES)
        await self._apply_appointments(appointments)
        self.window = (start, end)

    async def _apply_appointments(
        self, appointments: list[Appointment], extra: list[tuple[str, str]] | None = None
    ) -> None:
        await store_server_appointments(self._db, self._api, appointments, extra=extra)

    # --- the live feed ------------------------------------------------------------------------

    async def _follow_stream(self) -> None:
        """Apply the stream in batches: whatever arrived while the last batch was written."""
        queue: asyncio.Queue[Event] = asyncio.Queue()
        stream = self._api.events(after_seq=self.last_seq)
        unsubscribe = stream.state.subscribe(self._on_stream_state)
        reader = asyncio.get_running_loop().create_task(self._read(stream, queue))
        try:
            while True:
                getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    reader.result()  # the stream ended: raise why
                    return
                batch = [getter.result()]
                while not queue.empty() and len(batch) < EVENT_BATCH:
                    batch.append(queue.get_nowait())
                await self.apply_events(batch)
        finally:
            unsubscribe()
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            await stream.aclose()

    @staticmethod
    async def _read(stream: Any, queue: asyncio.Queue[Event]) -> None:
        async for event in stream:
            queue.put_nowait(event)

    def _on_stream_state(self, state: str) -> None:
        self.stream_state = state
        # The stream is the one request always open: its state is the quickest news of an
        # outage and of the way back.
        if state == "streaming":
            self._monitor.report_success()
        elif state == "offline":
            self._monitor.report_failure(Offline("The live event stream is unreachable."))

    async def apply_events(self, events: list[Event]) -> None:
        """Apply a batch of server events to the mirror, remember the seq, tell listeners."""
        if not events:
            return
        appointments: dict[str, Appointment] = {}
        agent_status: dict[str, str] = {}
        visits: list[Visit] = []
        waiting: dict[str, WaitlistEntry] = {}
        for event in events:
            if event.type == WAITLIST_EVENT:
                try:
                    entry = WaitlistEntry.model_validate(event.data)
                except ValueError:
                    log.warning("event %s has no readable waitlist entry; skipped", event.seq)
                else:
                    waiting[entry.id] = entry  # the newest version wins
            if event.type == VISIT_EVENT:
                try:
                    visits.append(Visit.model_validate(event.data))
                except ValueError:
                    log.warning("event %s has no readable visit; skipped", event.seq)
            if event.type.startswith("appointment."):
                try:
                    appointment = Appointment.model_validate(event.data)
                except ValueError:
                    log.warning("event %s has no readable appointment; skipped", event.seq)
                    continue
                appointments[appointment.id] = appointment  # the newest version wins
            elif event.type == "agent.status_changed":
                agent_id, status = event.data.get("id"), event.data.get("status")
                if isinstance(agent_id, str) and isinstance(status, str):
                    agent_status[agent_id] = status
        last = max(e.seq for e in events)

        def agents(session: Session) -> None:
            for agent_id, status in agent_status.items():
                mirror.set_agent_status(session, agent_id, status)

        if agent_status:
            await self._db.write(agents)
        if visits:
            await self._db.write(lambda s: mirror.keep_visits(s, visits))
        if waiting:
            await self._db.write(lambda s: waitlist.keep_server_entries(s, waiting.values()))
        changed = await store_server_appointments(
            self._db,
            self._api,
            list(appointments.values()),
            extra=[(LAST_EVENT_SEQ, str(last))],
            report=True,
        )
        self.last_seq = max(self.last_seq, last)
        # The appointments' events become the changes they made to the copy (none for an
        # echo); every other event goes on as the server sent it.
        self._on_events([e for e in events if not e.type.startswith("appointment.")], changed)
