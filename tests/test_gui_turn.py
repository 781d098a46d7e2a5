"""The background steps aside while the GUI's thread works (`runtime.GuiTurn`).

Each test orders its threads with events, not with timings: "still waiting" is checked after
giving the other thread ample time to have wrongly gone on, and every wait is bounded.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from frontdesk_app.runtime import GUI_TURN, GuiTurn

AMPLE = 0.1  # long enough for a thread that wrongly went on to have done so
BOUND = 10.0  # no test waits longer than this for what must happen


def _happens(event: threading.Event) -> bool:
    """Whether `event` is set after ample time (slept, not waited for with a timeout: a timed
    wait never ends under `faketime`'s shifted clock)."""
    time.sleep(AMPLE)
    return event.is_set()


def _in_thread(turn: GuiTurn) -> tuple[threading.Thread, threading.Event, threading.Event]:
    """A background thread that steps aside once; (thread, started, done)."""
    started, done = threading.Event(), threading.Event()

    def work() -> None:
        started.set()
        turn.step_aside()
        done.set()

    thread = threading.Thread(target=work, daemon=True)
    return thread, started, done


@pytest.fixture
def background_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An asyncio loop running on a thread of its own, as the engine's does."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(BOUND)
    loop.close()


def test_with_no_stretch_of_work_nothing_waits() -> None:
    turn = GuiTurn(park_max=BOUND)
    thread, _, done = _in_thread(turn)
    thread.start()
    assert done.wait(BOUND)
    assert turn.stepped_aside == 0 and not turn.busy


def test_a_background_thread_waits_until_the_gui_has_done() -> None:
    turn = GuiTurn(park_max=BOUND)
    thread, started, done = _in_thread(turn)
    with turn.foreground():
        assert turn.busy
        thread.start()
        assert started.wait(BOUND)
        assert not _happens(done)  # stepped aside while the GUI works
    assert done.wait(BOUND)  # and goes on once it has done
    assert not turn.busy and turn.stepped_aside == 1


def test_stepping_aside_is_bounded_from_the_start_of_the_stretch() -> None:
    turn = GuiTurn(park_max=0.05)
    thread, _, done = _in_thread(turn)
    began = time.monotonic()
    with turn.foreground():
        thread.start()
        assert done.wait(BOUND)  # the GUI is still working: the thread went on anyway
    assert time.monotonic() - began >= 0.05
    # Once a stretch has lasted park_max, later pieces of work do not wait at all.
    with turn.foreground():
        time.sleep(0.06)
        late, _, late_done = _in_thread(turn)
        late.start()
        assert late_done.wait(BOUND)
    assert turn.stepped_aside == 1


def test_nested_stretches_are_one() -> None:
    turn = GuiTurn(park_max=BOUND)
    thread, started, done = _in_thread(turn)
    with turn.foreground():
        with turn.foreground():
            thread.start()
            assert started.wait(BOUND)
        assert turn.busy
        assert not _happens(done)  # the inner stretch's end is not the end
    assert done.wait(BOUND)


def test_switched_off_nothing_waits() -> None:
    turn = GuiTurn(park_max=BOUND)
    turn.enabled = False
    thread, _, done = _in_thread(turn)
    with turn.foreground():
        assert not turn.busy
        thread.start()
        assert done.wait(BOUND)


def test_an_attached_loop_steps_aside_between_its_callbacks(
    background_loop: asyncio.AbstractEventLoop,
) -> None:
    turn = GuiTurn(park_max=BOUND)
    turn.attach(background_loop)
    ran = threading.Event()
    with turn.foreground():
        # Asked after the stretch began: the loop is stepping aside, so it runs only after.
        background_loop.call_soon_threadsafe(ran.set)
        assert not _happens(ran)
    assert ran.wait(BOUND)
    assert turn.stepped_aside == 1


def test_a_detached_loop_is_not_asked(background_loop: asyncio.AbstractEventLoop) -> None:
    turn = GuiTurn(park_max=BOUND)
    turn.attach(background_loop)
    turn.detach(background_loop)
    ran = threading.Event()
    with turn.foreground():
        background_loop.call_soon_threadsafe(ran.set)
        assert ran.wait(BOUND)
    assert turn.stepped_aside == 0


def test_the_engine_attaches_its_loop_while_it_runs() -> None:
    from frontdesk_app.sync.engine import Engine

    async def main() -> None:
        engine = Engine().start()
        try:
            loop = engine.loop
            assert GUI_TURN.attached(loop)
        finally:
            await engine.stop()
        assert not GUI_TURN.attached(loop)

    asyncio.run(main())


def test_the_sync_database_steps_aside_between_the_writes_of_a_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from frontdesk_app.store.db import Store
    from frontdesk_app.sync.worker import SyncDb

    asked: list[str] = []

    def step_aside() -> None:
        asked.append(threading.current_thread().name)

    monkeypatch.setattr(GUI_TURN, "step_aside", step_aside)
    store = Store.open(tmp_path / "mirror.sqlite")

    async def main() -> None:
        db = SyncDb(store)
        try:
            await asyncio.gather(*(db.write(lambda session: None) for _ in range(3)))
        finally:
            await db.aclose()

    try:
        asyncio.run(main())
    finally:
        store.close()
    assert len(asked) == 3 and all(name.startswith("frontdesk-sync-db") for name in asked)


def test_changes_are_delivered_to_the_window_in_a_stretch() -> None:
    from frontdesk_app.sync.facade import _Relay

    busy: list[bool] = []

    async def main() -> None:
        relay = _Relay(asyncio.get_running_loop(), lambda batch: busy.append(GUI_TURN.busy))
        relay.push([1])
        async with asyncio.timeout(BOUND):
            while not busy:
                await asyncio.sleep(0.001)

    asyncio.run(main())
    assert busy == [True] and not GUI_TURN.busy
