"""The interpreter's settings for a desk process (`frontdesk_app/runtime.py`)."""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from frontdesk_app import runtime


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the rest of the suite runs with Python's usual collector


def test_settling_freezes_what_exists_and_collects_cyclic_garbage_first(unfrozen: None) -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self

    garbage = weakref.ref(Node())  # cyclic garbage: collected before the freeze, not kept
    kept = {"a": [1]}
    frozen = runtime.settle_heap()
    assert frozen > 1000  # (objects freed since leave the count: no equality here)
    assert garbage() is None
    assert not any(o is kept for o in gc.get_objects())  # alive: frozen, no longer scanned
    later = [{"b": 2}]
    assert any(o is later for o in gc.get_objects())  # built after: still collected as usual


def test_the_switch_interval_is_shortened_never_lengthened() -> None:
    before = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)
        runtime.share_the_gil()
        assert sys.getswitchinterval() == pytest.approx(runtime.SWITCH_INTERVAL)
        sys.setswitchinterval(0.0001)
        runtime.share_the_gil()
        assert sys.getswitchinterval() == pytest.approx(0.0001)
    finally:
        sys.setswitchinterval(before)


@pytest.mark.parametrize(
    ("counts", "due"),
    [
        ((700, 10, 10), None),  # at a threshold is not past it
        ((701, 0, 0), 0),
        ((701, 11, 0), 1),
        ((701, 11, 11), 2),
        ((5, 11, 11), None),  # an older generation is only collected with the younger
        ((701, 3, 11), 0),  # ... and only when the one below it is due too
    ],
)
def test_the_due_generation_is_the_one_python_would_collect(
    counts: tuple[int, int, int], due: int | None
) -> None:
    assert runtime.due_generation(counts, (700, 10, 10)) == due


def test_a_threshold_of_zero_never_collects() -> None:
    assert runtime.due_generation((10**6, 10**6, 10**6), (0, 10, 10)) is None
    assert runtime.due_generation((10**6, 10**6, 10**6), (700, 0, 10)) == 0


def _own_nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own nice is Linux's")
def test_background_threads_yield_the_cpu_to_the_gui_thread() -> None:
    seen: dict[str, int] = {}

    def background() -> None:
        runtime.background_thread()
        seen["background"] = _own_nice()

    def started_by_a_background_thread() -> None:
        runtime.background_thread()
        inner = threading.Thread(target=background)  # inherits this thread's nice value
        inner.start()
        inner.join(10)

    worker = threading.Thread(target=started_by_a_background_thread)
    worker.start()
    worker.join(10)
    # Once lower than the GUI's thread, never lower still.
    assert seen["background"] == _own_nice() + runtime.BACKGROUND_NICE
    # The GUI's (this) thread keeps its priority.
    assert _own_nice() == os.getpriority(os.PRIO_PROCESS, 0)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own nice is Linux's")
def test_the_engine_and_the_store_writer_run_as_background_threads(tmp_path: Path) -> None:
    from frontdesk_app.local.backend import LocalBackend
    from frontdesk_app.sync.engine import Engine

    async def main() -> tuple[int, int]:
        engine = Engine().start()
        try:
            on_engine = await engine.run(_async_nice())
        finally:
            await engine.stop()
        before = set(threading.enumerate())  # (other tests' stores may still be closing)
        backend = LocalBackend.open(tmp_path / "clinic.sqlite", demo=True)
        try:
            agent = (await backend.list_agents())[0]
            await backend.set_agent_status(agent.id, "away")  # a write: the writer thread runs
            [writer] = [
                t
                for t in set(threading.enumerate()) - before
                if t.name.startswith("frontdesk-store-write")
            ]
            assert writer.native_id is not None
            on_writer = os.getpriority(os.PRIO_PROCESS, writer.native_id)
        finally:
            await backend.aclose()
        return on_engine, on_writer

    expected = _own_nice() + runtime.BACKGROUND_NICE
    assert asyncio.run(main()) == (expected, expected)


async def _async_nice() -> int:
    return _own_nice()


def test_a_full_collection_waits_for_a_quarter_more_long_lived_objects() -> None:
    assert not runtime.full_collection_worth_it(pending=250, long_lived=1000)
    assert runtime.full_collection_worth_it(pending=251, long_lived=1000)
    assert runtime.full_collection_worth_it(pending=1, long_lived=0)  # nothing survived yet
