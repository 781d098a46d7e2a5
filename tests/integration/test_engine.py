"""The sync engine's thread: HTTP never runs on the GUI's thread, the facade's calls run on the
engine, and its listeners are called back on the caller's loop, coalesced."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from frontdesk_app.api import ApiBackend, ApiKey
from frontdesk_app.config import Settings
from frontdesk_app.domain import clock, threads
from frontdesk_app.domain.changes import AppointmentChange, change_of
from frontdesk_app.domain.models import AppointmentCreate, Event
from frontdesk_app.domain.timeutil import local_day_bounds
from frontdesk_app.sandbox.server import SandboxServer
from frontdesk_app.store.desk_keys import DeskKeys
from frontdesk_app.store.key_prompt import unattended_key
from frontdesk_app.sync.engine import Engine
from frontdesk_app.sync.facade import EngineBackend
from tests.fixtures.clock import NY
from tests.fixtures.desk import FAST

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


@pytest.fixture
def gui_thread() -> Iterator[None]:
    """This test's thread plays the GUI's, as the app's main thread does."""
    threads.mark("gui")
    yield
    threads.unmark()


async def test_http_is_refused_on_the_gui_thread(sandbox: SandboxServer, gui_thread: None) -> None:
    api = ApiBackend(base_url=sandbox.base_url, credentials=ApiKey(sandbox.api_key))
    try:
        with pytest.raises(threads.WrongThread, match="HTTP must not run on the GUI thread"):
            await api.list_payers()
    finally:
        await api.aclose()


async def test_the_engine_runs_coroutines_on_its_own_thread_and_loop() -> None:
    engine = Engine().start()
    here = threading.get_ident()

    async def where() -> tuple[int, str | None]:
        await asyncio.sleep(0)
        return threading.get_ident(), threads.role_of_current()

    try:
        ident, role = await engine.run(where())
        assert ident != here and role == "engine"
        slow = asyncio.ensure_future(engine.run(asyncio.sleep(30)))
        await asyncio.sleep(0.05)
        slow.cancel()  # cancelling the caller's await cancels the work on the engine
        with pytest.raises(asyncio.CancelledError):
            await slow
    finally:
        await engine.stop()
    assert not engine.running


@pytest_asyncio.fixture
async def desk(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gui_thread: None
) -> AsyncIterator[EngineBackend]:
    """The app's composition (a custom server: the session's sandbox), on this 'GUI' thread."""
    from frontdesk_app.app_services import start_services

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("FRONTDESK_HOME", str(home))
    monkeypatch.setenv("FRONTDESK_API_KEY", sandbox.api_key)
    settings = Settings(environment="custom", custom_url=sandbox.base_url)
    key = unattended_key(DeskKeys(home, params=FAST), create=True)
    services = await start_services(
        settings, db=str(tmp_path / "mirror.sqlite"), progress=lambda _a, _b: None, key=key
    )
    assert isinstance(services.backend, EngineBackend)
    try:
        yield services.backend
    finally:
        await services.aclose()


async def test_the_desk_talks_to_the_server_from_the_engine_only(
    desk: EngineBackend, sandbox: SandboxServer
) -> None:
    """Everything a desk does in a booking, with HTTP refused on this thread: it all works, so
    none of it ran here; and every change reaches this thread's listeners, on this thread."""
    here = threading.get_ident()
    seen: list[tuple[int, list[Event]]] = []
    states: list[int] = []
    stop_events = desk.add_event_listener(
        lambda events: seen.append((threading.get_ident(), events))
    )
    stop_states = desk.add_state_listener(lambda _state: states.append(threading.get_ident()))
    try:
        patient = (await desk.search_patients(limit=1)).data[0]
        provider = (await desk.list_providers())[0]
        day = clock.today(NY) + timedelta(days=1)
        slots = []
        for offset in range(10):
            slots = (
                await desk.provider_availability(provider.id, day + timedelta(offset), 30)
            ).slots
            if slots:
                break
        booked = await desk.create_appointment(
            AppointmentCreate(
                patient_id=patient.id,
                provider_id=provider.id,
                start_time=slots[0].start_time,
                duration_minutes=30,
                type="consultation",
            )
        )
        start, end = local_day_bounds(slots[0].start_time.astimezone(NY).date(), NY)
        rows = await desk.calendar_rows(start, end)
        assert booked.id in {row[0] for row in rows}
        assert await desk.wait_synced(30)
        # Another desk books too: once its change has arrived here from the event stream,
        # the stream has passed the echo of this desk's booking (it is ordered).
        other = await asyncio.to_thread(
            asyncio.run, _book_elsewhere(sandbox, patient.id, provider.id, slots[1].start_time)
        )
        for _ in range(200):  # bounded
            if _changes(seen, other):
                break
            await asyncio.sleep(0.05)
        assert seen and {ident for ident, _ in seen} == {here}
        assert states and set(states) == {here}
        # One change notification for the write, with its row and who made it; the server's
        # echo of it changed nothing here, so nothing was sent for it.
        [mine] = _changes(seen, booked.id)
        assert (mine.cause, mine.sync_status) == ("desk", "synced")
        assert mine.appointment is not None and mine.appointment.id == booked.id
        [theirs] = _changes(seen, other)
        assert theirs.cause == "server" and theirs.appointment is not None
        assert not any(e.type.startswith("appointment.") for _, batch in seen for e in batch)
    finally:
        stop_events()
        stop_states()


def _changes(seen: list[tuple[int, list[Event]]], appointment_id: str) -> list[AppointmentChange]:
    found = (change_of(e) for _, batch in seen for e in batch)
    return [c for c in found if c is not None and c.appointment_id == appointment_id]


async def _book_elsewhere(
    sandbox: SandboxServer, patient_id: str, provider_id: str, start: datetime
) -> str:
    """A booking by another desk, straight to the server."""
    async with ApiBackend(base_url=sandbox.base_url, credentials=ApiKey(sandbox.api_key)) as api:
        booked = await api.create_appointment(
            AppointmentCreate(
                patient_id=patient_id,
                provider_id=provider_id,
                start_time=start,
                duration_minutes=30,
                type="consultation",
            )
        )
    return booked.id
