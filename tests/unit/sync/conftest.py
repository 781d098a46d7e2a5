"""Sync test fixtures: a scripted fake server (a `LocalBackend` with idempotency and faults),
a mirror of the same small clinic, and a replayer wired to both.

The fake server stands in for the API at the `Backend` level: it remembers every
`Idempotency-Key` like the real one, can be switched off (every call raises `Offline`), and a
`hook(kind, key, phase)` can fail a request before it acts or lose the answer after it acted.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio

from frontdesk_app.api import ApiBackend, ApiKey, RetryPolicy
from frontdesk_app.domain.errors import FrontDeskError, Offline
from frontdesk_app.domain.models import (
    Appointment,
    AppointmentCancel,
    AppointmentCreate,
    AppointmentReschedule,
    CancelResult,
    Event,
    RescheduleResult,
)
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.sandbox.app import create_app
from frontdesk_app.sandbox.credentials import create_key
from frontdesk_app.sandbox.state import StateDB
from frontdesk_app.store.db import Store
from frontdesk_app.sync.backend import OfflineFirstBackend
from frontdesk_app.sync.connectivity import Backoff, ConnectivityMonitor
from frontdesk_app.sync.replayer import Replayer, ReplayNotice
from frontdesk_app.sync.worker import SyncDb
from tests.fixtures.store import Clock, SmallClinic, build_small_clinic

Hook = Callable[[str, str, str], Exception | None]
FAST = Backoff(initial=0.01, maximum=0.05, jitter=0.0)


class FakeServer(LocalBackend):
    """The API as a `Backend`: idempotent by key, switchable off, with scripted faults."""

    def __init__(self, store: Store, *, clock: Clock) -> None:
        super().__init__(store, clock=clock)
        self.offline = False
        self.hook: Hook | None = None
        self.requests: list[tuple[str, str, str]] = []  # (kind, appointment id, key)
        self.acted: list[tuple[str, str, str]] = []  # writes that changed something
        self._answers: dict[str, Any] = {}

    async def _idempotent(
        self, kind: str, appointment_id: str, key: str | None, act: Callable[[], Awaitable[Any]]
    ) -> Any:
        assert key is not None, "the replayer must send every write with its key"
        self.requests.append((kind, appointment_id, key))
        if self.offline:
            raise Offline("The FrontDeskOS server could not be reached.")
        failure = self.hook(kind, key, "before") if self.hook else None
        if failure is not None:
            raise failure
        if key in self._answers:
            answer = self._answers[key]
            if isinstance(answer, FrontDeskError):
                raise answer
            return answer
        try:
            result = await act()
        except FrontDeskError as exc:
            self._answers[key] = exc
            raise
        self._answers[key] = result
        self.acted.append((kind, result.id, key))
        failure = self.hook(kind, key, "after") if self.hook else None
        if failure is not None:
            raise failure  # the write happened; its answer is lost on the way back
        return result

    async def other_desk_books(self, request: AppointmentCreate) -> Appointment:
        """A booking made through another client, whatever this desk's connection."""
        return await LocalBackend.create_appointment(self, request)

    async def create_appointment(
        self, request: AppointmentCreate, *, idempotency_key: str | None = None
    ) -> Appointment:
        result: Appointment = await self._idempotent(
            "create", "", idempotency_key, lambda: LocalBackend.create_appointment(self, request)
        )
        return result

    async def reschedule_appointment(
        self,
        appointment_id: str,
        request: AppointmentReschedule,
        *,
        idempotency_key: str | None = None,
    ) -> RescheduleResult:
        result: RescheduleResult = await self._idempotent(
            "reschedule",
            appointment_id,
            idempotency_key,
            lambda: LocalBackend.reschedule_appointment(self, appointment_id, request),
        )
        return result

    async def cancel_appointment(
        self,
        appointment_id: str,
        request: AppointmentCancel,
        *,
        idempotency_key: str | None = None,
    ) -> CancelResult:
        result: CancelResult = await self._idempotent(
            "cancel",
            appointment_id,
            idempotency_key,
            lambda: LocalBackend.cancel_appointment(self, appointment_id, request),
        )
        return result


def copy_database(source: Path, target: Path) -> Path:
    for suffix in ("", "-wal"):
        part = Path(f"{source}{suffix}")
        if part.exists():
            shutil.copyfile(part, Path(f"{target}{suffix}"))
    return target


@dataclass
class Harness:
    """A mirror, a fake server over the same clinic, and a replayer between them."""

    clinic: SmallClinic
    clock: Clock
    server: FakeServer
    mirror: Store
    db: SyncDb
    monitor: ConnectivityMonitor
    replayer: Replayer
    notices: list[ReplayNotice] = field(default_factory=list)

    def go_online(self) -> None:
        self.server.offline = False
        self.monitor.check_now()


async def _probe_of(server: FakeServer) -> object:
    if server.offline:
        raise Offline("The FrontDeskOS server could not be reached.")
    return True


@pytest_asyncio.fixture
async def harness(migrated_template: Path, tmp_path: Path, clock: Clock) -> AsyncIterator[Harness]:
    server_store = Store.open(copy_database(migrated_template, tmp_path / "server.sqlite"))
    mirror = Store.open(
        copy_database(migrated_template, tmp_path / "mirror.sqlite"), synchronous_full=True
    )
    clinic = build_small_clinic(server_store)
    build_small_clinic(mirror)
    server = FakeServer(server_store, clock=clock)
    server.offline = True
    db = SyncDb(mirror)

    async def probe() -> object:
        return await _probe_of(server)

    monitor = ConnectivityMonitor(probe, backoff=FAST)
    notices: list[ReplayNotice] = []
    replayer = Replayer(db, server, monitor, on_notice=notices.append, backoff=FAST)
    made = Harness(clinic, clock, server, mirror, db, monitor, replayer, notices)
    yield made
    await replayer.aclose()
    await monitor.aclose()
    await db.aclose()
    await server.aclose()
    mirror.close()


# --- an OfflineFirstBackend over the real sandbox app, in process --------------------------------


class Switch(httpx.AsyncBaseTransport):
    """The network between desk and server: `offline = True` pulls the cable."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.offline = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.offline:
            raise httpx.ConnectError("the network is down", request=request)
        return await self.inner.handle_async_request(request)


@dataclass
class Desk:
    """One desk (`backend`) against the sandbox app, whose store `server` is also reachable
    directly, as another desk would change it."""

    clinic: SmallClinic
    clock: Clock
    backend: OfflineFirstBackend
    server: LocalBackend
    network: Switch
    mirror_path: Path
    events: list[Event] = field(default_factory=list)

    def unplug(self) -> None:
        self.network.offline = True
        assert self.backend.monitor is not None
        self.backend.monitor.report_failure(Offline("the network is down"))

    def plug_in(self) -> None:
        self.network.offline = False
        self.backend.retry_now()


@pytest_asyncio.fixture
async def desk(migrated_template: Path, tmp_path: Path, clock: Clock) -> AsyncIterator[Desk]:
    server_store = Store.open(copy_database(migrated_template, tmp_path / "server.sqlite"))
    clinic = build_small_clinic(server_store)
    server = LocalBackend(server_store, clock=clock)
    state_path = tmp_path / "sandbox-state.sqlite"
    key = create_key(StateDB(state_path), name="desk").api_key
    app = create_app(server, state_path=state_path)
    network = Switch(httpx.ASGITransport(app=app))
    api = ApiBackend(
        base_url="http://127.0.0.1:8765",
        credentials=ApiKey(key),
        transport=network,
        retry=RetryPolicy(attempts=2, deadline=5.0, initial_wait=0.01, max_wait=0.02, jitter=0),
    )
    mirror_path = copy_database(migrated_template, tmp_path / "mirror.sqlite")
    local = LocalBackend(Store.open(mirror_path, synchronous_full=True), clock=clock)
    backend = OfflineFirstBackend(
        local, api, clock=clock, follow_events=False, probe_backoff=FAST, write_deadline=5.0
    )
    made = Desk(clinic, clock, backend, server, network, mirror_path)
    backend.add_event_listener(made.events.extend)
    await backend.start()
    assert backend.puller is not None
    assert await backend.puller.wait_pulled(10.0)
    yield made
    await backend.aclose()
    app.state.sandbox.db.close()
    await server.aclose()
