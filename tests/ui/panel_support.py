"""Helpers for the eligibility, prescriptions and live-calls panel tests: a demo clinic in a
`LocalBackend`, the bridge and feed the main window would give a panel, and awaiting a
coroutine from a synchronous Qt test through the session's qasync loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from frontdesk_app.api import ApiBackend, ApiKey, RetryPolicy
from frontdesk_app.config import Settings
from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.models import Patient
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.sandbox.server import SandboxServer
from frontdesk_app.store.db import Store
from frontdesk_app.store.tables import PatientRow, PayerMemberRow, PayerRow
from frontdesk_app.sync.backend import OfflineFirstBackend
from frontdesk_app.sync.connectivity import Backoff
from frontdesk_app.ui.async_bridge import AsyncBridge
from frontdesk_app.ui.errors import ErrorSink
from frontdesk_app.ui.events import EventFeed
from frontdesk_app.ui.panels import PanelContext

T = TypeVar("T")


def ended_or(active: bool) -> Any:
    """For eligible patients, an enrolment with no end date; else no extra condition."""
    return PayerMemberRow.coverage_end.is_(None) if active else PayerMemberRow.active.is_(False)


ZONE = ZoneInfo("America/New_York")
# Generous: CI machines are shared and slow at times; a passing wait returns at once anyway.
WAIT = 20_000


def run(qtbot: QtBot, coro: Coroutine[Any, Any, T], timeout: int = WAIT) -> T:
    """Await `coro` on the qasync loop while Qt keeps processing events."""
    task = asyncio.ensure_future(coro)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


@dataclass
class Desk:
    """What a panel gets from the main window, over a demo clinic; `store` reads it directly."""

    backend: Backend
    errors: ErrorSink
    bridge: AsyncBridge
    feed: EventFeed
    store: Store
    server: SandboxServer | None = None


BACKENDS = ["local", "sandbox"]
FAST_PROBE = Backoff(initial=0.05, maximum=0.2, jitter=0.0)


def panel_context(desk: Desk, settings: Settings | None = None) -> PanelContext:
    """What a panel is built from, over the desk's backend (no window: a panel under test
    reaches other panels only where its test gives it one)."""
    return PanelContext(
        backend=desk.backend,
        bridge=desk.bridge,
        errors=desk.errors,
        events=desk.feed,
        settings=settings or Settings(),
        zone=ZONE,
        window=cast(Any, None),
    )


def open_desk(qtbot: QtBot, path: Path, kind: str = "local") -> Iterator[Desk]:
    """A desk over `LocalBackend`, or over `ApiBackend` talking to a real sandbox server."""
    local = LocalBackend.open(path, demo=True)
    server: SandboxServer | None = None
    store: Store | None = None
    if kind == "local":
        backend: Backend = local
        store = local.store
        feed = EventFeed(backend)
    else:
        run(qtbot, local.aclose())
        server = SandboxServer(path, demo=False).start()
        backend = ApiBackend(base_url=server.base_url, credentials=ApiKey(server.api_key))
        store = Store.open(path)
        # The sandbox's events arrive by polling `list_events`, as for any remote backend.
        feed = EventFeed(backend, poll_interval=0.1)
    errors = ErrorSink()
    bridge = AsyncBridge(errors)
    feed.start()
    try:
        yield Desk(backend, errors, bridge, feed, store)
    finally:
        run(qtbot, bridge.wait_idle())
        run(qtbot, feed.stop())
        run(qtbot, backend.aclose())
        if server is not None:
            store.close()
            server.stop()
        errors.close_reports()


def open_offline_first_desk(qtbot: QtBot, tmp_path: Path) -> Iterator[Desk]:
    """The app's own arrangement: an `OfflineFirstBackend` whose API is a real sandbox (which a
    test may stop to go offline), mirrored into a local store."""
    clinic = tmp_path / "clinic.db"
    run(qtbot, LocalBackend.open(clinic, demo=True).aclose())
    server = SandboxServer(clinic, demo=False).start()
    api = ApiBackend(
        base_url=server.base_url,
        credentials=ApiKey(server.api_key),
        retry=RetryPolicy(attempts=2, deadline=3.0, initial_wait=0.02, max_wait=0.05, jitter=0),
    )
    backend = run(
        qtbot,
        OfflineFirstBackend.open(
            tmp_path / "mirror.db", api, follow_events=False, probe_backoff=FAST_PROBE
        ),
    )
    qtbot.waitUntil(lambda: backend.state.connection == "online", timeout=WAIT)
    store = Store.open(clinic)
    errors = ErrorSink()
    bridge = AsyncBridge(errors)
    feed = EventFeed(backend)
    feed.start()
    try:
        yield Desk(backend, errors, bridge, feed, store, server)
    finally:
        run(qtbot, bridge.wait_idle())
        run(qtbot, feed.stop())
        run(qtbot, backend.aclose())
        store.close()
        server.stop()
        errors.close_reports()


def patients_by_enrolment(desk: Desk, *, active: bool, payer_up: bool = True) -> list[str]:
    """Ids of patients whose insurance on file is (in)active at a payer that is up (or down)."""
    with desk.store.read() as session:
        rows = session.execute(
            select(PatientRow.id)
            .join(
                PayerMemberRow,
                (PayerMemberRow.payer_id == PatientRow.payer_id)
                & (PayerMemberRow.member_id == PatientRow.member_id),
            )
            .join(PayerRow, PayerRow.id == PatientRow.payer_id)
            .where(
                PayerMemberRow.active.is_(active),
                PayerRow.available.is_(payer_up),
                # An enrolment that has ended answers "not eligible" even when active.
                PayerMemberRow.coverage_end.is_(None)
                if active
                else PayerMemberRow.active.is_(False),
            )
            .order_by(PatientRow.id)
            .limit(20)
        ).all()
    return [r[0] for r in rows]


def patient(qtbot: QtBot, backend: Backend, patient_id: str) -> Patient:
    return run(qtbot, backend.get_patient(patient_id))
