"""Cyclic garbage is collected on the GUI's thread only (`ui/collector.py`): a widget caught in a
reference cycle is never destroyed by a collection another thread started."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from frontdesk_app.ui import collector as collector_module
from frontdesk_app.ui.collector import GuiCollector


class Holder:
    """Keeps a Qt object, and itself: garbage only the cyclic collector can free."""

    def __init__(self) -> None:
        self.me = self
        self.timer_owner = QObject()


def test_a_cycle_holding_a_qt_object_is_collected_on_the_gui_thread(
    qtbot: QtBot, gui_collector: GuiCollector
) -> None:
    assert gui_collector.running and not gc.isenabled()
    gc.collect()
    where: list[str] = []
    weakref.finalize(Holder(), lambda: where.append(threading.current_thread().name))
    kept: list[object] = []

    def allocate() -> None:
        # Many times generation 0's threshold, as a draining engine allocates: Python's own
        # collector would have run here, on this thread, and freed the holder here.
        kept.extend([] for _ in range(gc.get_threshold()[0] * 20))

    worker = threading.Thread(target=allocate, name="store-writer")
    worker.start()
    worker.join(10)
    assert where == []
    qtbot.waitUntil(lambda: where == [threading.main_thread().name], timeout=5000)
    assert sum(gui_collector.collections) >= 1
    kept.clear()


def test_stopping_restores_what_python_did_before() -> None:
    assert not gc.isenabled()  # the Qt tests' collector runs (tests/ui/conftest.py)
    another = GuiCollector()
    another.start()
    another.stop()
    assert not gc.isenabled()
    gc.enable()
    try:
        another.start()
        assert not gc.isenabled()
        another.stop()
        assert gc.isenabled()
    finally:
        gc.disable()


def _every_generation_due(junk: list[list[int]]) -> None:
    """With thresholds of 1: each generation's count past it (as Python counts them)."""
    for _ in range(10):  # bounded: another test's threads may free objects meanwhile
        for generation in (1, 1, 0, 0):
            junk.append([])
            gc.collect(generation)
        junk.extend([] for _ in range(200))
        if all(count > 1 for count in gc.get_count()):
            return
    raise AssertionError(f"counts never all past 1: {gc.get_count()}")


def test_a_full_collection_waits_until_the_oldest_generation_has_grown() -> None:
    collector = GuiCollector()  # (its checks called here, not on its timer)
    threshold = gc.get_threshold()
    junk: list[list[int]] = []
    try:
        gc.set_threshold(1, 1, 1)
        _every_generation_due(junk)
        assert collector.collect_if_due() == 2  # the first: what survives it is the measure
        # Due again by the counts, but only a few objects reached the oldest generation:
        # Python would collect the middle generation, not scan the whole heap again.
        _every_generation_due(junk)
        assert collector.collect_if_due() == 1
        assert collector.collections == [0, 1, 1]
    finally:
        gc.set_threshold(*threshold)


def test_a_collection_is_a_stretch_the_background_steps_aside_for(
    gui_collector: GuiCollector,
) -> None:
    from frontdesk_app.runtime import GUI_TURN

    busy: list[bool] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        busy.append(GUI_TURN.busy)

    kept = [[] for _ in range(gc.get_threshold()[0] * 2)]  # generation 0 is due
    gc.callbacks.append(watch)
    try:
        assert gui_collector.collect_if_due() is not None
    finally:
        gc.callbacks.remove(watch)
    assert busy == [True, True]  # at the collection's start and its end
    assert not GUI_TURN.busy
    kept.clear()


@pytest.fixture
def held() -> Iterator[GuiCollector]:
    """A collector as a desk's start has it: collections held until `settle()`."""
    collector = GuiCollector()  # (its checks called here, not on its timer)
    collector.start(held=True)
    yield collector
    collector.stop()
    gc.unfreeze()  # the rest of the suite runs with Python's usual collector


def test_a_start_holds_collections_until_the_heap_is_settled(held: GuiCollector) -> None:
    where: list[str] = []
    weakref.finalize(Holder(), lambda: where.append("collected"))
    kept: list[list[int]] = [[] for _ in range(gc.get_threshold()[0] * 5)]  # well past due
    assert held.held
    assert held.collect_if_due() is None
    assert where == [] and held.collections == [0, 0, 0]
    frozen = held.settle()
    assert frozen > len(kept)  # what start-up built, the kept lists among it
    assert where == ["collected"]  # the settling collection freed the cycle
    assert not held.held
    kept.extend([] for _ in range(gc.get_threshold()[0] * 5))
    assert held.collect_if_due() is not None  # and from now on, collections as due


def test_a_start_that_never_settles_collects_again_past_the_limit(
    held: GuiCollector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collector_module, "HOLD_LIMIT", gc.get_threshold()[0] * 4)
    where: list[str] = []
    weakref.finalize(Holder(), lambda: where.append("collected"))
    kept: list[list[int]] = [[] for _ in range(gc.get_threshold()[0] * 2)]
    assert held.collect_if_due() is None  # due, but under the limit: still held
    kept.extend([] for _ in range(gc.get_threshold()[0] * 4))
    assert held.collect_if_due() is not None
    assert not held.held
    assert where == ["collected"]
    kept.clear()


def test_after_settling_the_frozen_heap_counts_as_long_lived(held: GuiCollector) -> None:
    """A full collection then waits until a quarter as many objects as were frozen have
    reached the oldest generation: not every tenth middle one while a queue drains."""
    frozen = held.settle()
    threshold = gc.get_threshold()
    junk: list[list[int]] = []
    try:
        gc.set_threshold(1, 1, 1)
        _every_generation_due(junk)
        assert len(gc.get_objects(2)) < frozen // 4
        assert held.collect_if_due() == 1
    finally:
        gc.set_threshold(*threshold)
