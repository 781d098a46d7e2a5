"""Cyclic garbage is collected on the GUI's thread only (`ui/collector.py`): a widget caught in a
reference cycle is never destroyed by a collection another thread started."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

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
