"""Qt tests: one qasync event loop for all of tests/ui, and no task left behind a test.

qasync's loop runs inside Qt's own (`already_running=True`), so `qtbot.waitUntil` drives both
Qt events and coroutines. Never `loop.stop()` here: it would quit the application.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from frontdesk_app.ui.collector import GuiCollector


@pytest.fixture(scope="package", autouse=True)
def gui_collector(qapp: QApplication) -> Iterator[GuiCollector]:
    """As in the app: cyclic garbage is collected on this (the GUI's) thread only, never on a
    sandbox's, a store's or the engine's thread, where it would destroy widgets off their
    thread. Stopping collects what the Qt tests left, here, before Python collects again."""
    collector = GuiCollector(qapp)
    collector.start()
    yield collector
    collector.stop()


@pytest.fixture(scope="package")
def qasync_loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    loop = qasync.QEventLoop(qapp, already_running=True)
    # A plain pool instead of qasync's QThread one, so it can be shut down here: the loop
    # itself can't be closed while Qt runs it, and a live QThread at exit aborts Python.
    executor = ThreadPoolExecutor(4, thread_name_prefix="ui-test-default")
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    yield loop
    # Leaving the Qt tests: undo what `already_running=True` did, or every asyncio test that
    # runs after them would find a "running" loop and refuse to start its own.
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)
    executor.shutdown(wait=True)


@pytest.fixture
def loop(
    qasync_loop: asyncio.AbstractEventLoop, qtbot: object
) -> Iterator[asyncio.AbstractEventLoop]:
    """The session's qasync loop; tasks a test leaves running are cancelled afterwards."""
    yield qasync_loop
    leftover = [t for t in asyncio.all_tasks(qasync_loop) if not t.done()]
    for task in leftover:
        task.cancel()
