"""Qt for benchmark workers: the app's qasync loop, the desk window, and a stall meter.

Imported only by worker processes (offscreen Qt), never by the suite runner itself.
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import qasync
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication

from frontdesk_app.config import Settings
from frontdesk_app.domain.backend import Backend
from frontdesk_app.ui.collector import GuiCollector
from frontdesk_app.ui.lock.controller import idle_timeout_ms
from frontdesk_app.ui.lock.idle import IdleWatcher
from frontdesk_app.ui.main_window import MainWindow
from frontdesk_app.ui.panels import PanelSpec
from tests.bench.harness import percentile

if TYPE_CHECKING:
    from tests.bench.stall_diagnosis import Diagnosis

T = TypeVar("T")
ZONE = "America/New_York"
TICK_MS = 5


_collectors: list[GuiCollector] = []


def run_qt(main: Callable[[], Coroutine[Any, Any, T]], *, held: bool = False) -> T:
    """Run `main()` on a qasync loop over a fresh QApplication, as the app does; `held`:
    collections held until `settle_heap()`, as in the app's start."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    collector = GuiCollector(app)  # as the app: cyclic garbage collected on this thread only
    collector.start(held=held)
    _collectors.append(collector)
    loop = qasync.QEventLoop(app)
    executor = ThreadPoolExecutor(4, thread_name_prefix="bench-default")
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(main())
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        app.processEvents()
        loop.close()
        asyncio.set_event_loop(None)
        executor.shutdown(wait=True)
        collector.stop()
        _collectors.remove(collector)


def settle_heap() -> int:
    """What the app does once the calendar has shown its data (`AppRunner._settle_heap`)."""
    return _collectors[-1].settle()


def open_desk(
    backend: Backend,
    home: Path,
    *,
    specs: list[PanelSpec] | None = None,
    agent_id: str = "",
    environment: str = "Benchmark",
) -> MainWindow:
    """The main window at a desk's usual size, showing, with panels over `backend`."""
    settings = Settings(environment="standalone", clinic_timezone=ZONE, agent_id=agent_id)
    qsettings = QSettings(str(home / "window.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, qsettings=qsettings, settings_path=home / "s.json")
    window.resize(1400, 900)
    window.show()
    # The app's lock watches for input all the while (its cost is the app's).
    IdleWatcher(idle_timeout_ms(settings), window).start()
    window.attach(backend, environment=environment, specs=specs)
    return window


async def close_desk(window: MainWindow) -> None:
    """Detach and hide; never `processEvents()` here: inside a qasync task it re-enters the loop."""
    await window.detach()
    window.hide()
    window.deleteLater()
    await asyncio.sleep(0.05)


async def wait_until(condition: Callable[[], bool], within: float, what: str) -> None:
    """Let the loop run until `condition()` holds; bounded in time."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {within:g} s")
        await asyncio.sleep(0.005)


class StallMeter:
    """A 5 ms precise Qt timer; the gaps between its ticks are how long the loop was busy."""

    def __init__(self, interval_ms: int = TICK_MS) -> None:
        self.interval = interval_ms / 1000
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_tick)
        self._last = 0.0
        self._last_cpu = 0.0
        self.gaps: list[float] = []
        self.cpu: list[float] = []  # the GUI thread's own CPU time within each gap
        self._diagnosis: Diagnosis | None = None

    def start(self) -> None:
        self.gaps = []
        self.cpu = []
        self._last = time.perf_counter()
        self._last_cpu = time.thread_time()
        self._timer.start()
        if os.environ.get("BENCH_STALL_STACKS"):
            from tests.bench.stall_diagnosis import Diagnosis

            self._diagnosis = Diagnosis(lambda: self._last)
            self._diagnosis.start()

    def stop(self) -> None:
        self._timer.stop()
        self._on_tick()
        if self._diagnosis is not None:
            self._diagnosis.stop()

    def _on_tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        self.gaps.append(now - self._last)
        self.cpu.append(cpu - self._last_cpu)
        if self._diagnosis is not None:
            self._diagnosis.tick(now - self._last)
        self._last, self._last_cpu = now, cpu

    @property
    def longest(self) -> float:
        return max(self.gaps, default=0.0)

    def summary(self) -> dict[str, Any]:
        """Milliseconds: the longest gap, its 99th percentile and median; tick counts."""
        if not self.gaps:
            return {"longest_ms": 0.0, "p99_ms": 0.0, "median_ms": 0.0, "ticks": 0}
        return {
            "longest_ms": round(self.longest * 1000, 2),
            "p99_ms": round(percentile(self.gaps, 99) * 1000, 2),
            "median_ms": round(statistics.median(self.gaps) * 1000, 2),
            "ticks": len(self.gaps),
            "gaps_over_16ms": sum(1 for g in self.gaps if g > 0.016),
            # The five longest gaps with the GUI thread's own CPU time in each: a gap that is
            # mostly CPU was the GUI thread's work; one that is not, a wait (GIL, core, I/O).
            "longest_gaps_ms_cpu_ms": [
                (round(g * 1000, 1), round(c * 1000, 1))
                for g, c in sorted(zip(self.gaps, self.cpu, strict=True), reverse=True)[:5]
            ],
            **(self._diagnosis.report() if self._diagnosis is not None else {}),
        }


class GcPauses:
    """How long Python's garbage collector held the process (every thread waits for it), by
    generation, while the meter runs: a long gap that is a collection shows here. The slowest
    collections are listed with the collecting thread's own CPU time: a collection that took
    far longer than its CPU waited (a finaliser let the GIL go, or the core was taken)."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self.timed: list[tuple[float, float, int]] = []  # (seconds, CPU seconds, generation)
        self._began = self._cpu = 0.0

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began, self._cpu = time.perf_counter(), time.thread_time()
            return
        took = time.perf_counter() - self._began
        self.pauses[info["generation"]].append(took)
        self.timed.append((took, time.thread_time() - self._cpu, info["generation"]))

    def start(self) -> None:
        gc.callbacks.append(self._on_gc)

    def stop(self) -> None:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)

    def summary(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            f"gc{generation}_{what}": value
            for generation, pauses in self.pauses.items()
            for what, value in (
                ("count", len(pauses)),
                ("longest_ms", round(max(pauses, default=0.0) * 1000, 2)),
            )
        }
        found["slowest_gc_ms_cpu_ms_generation"] = [
            (round(took * 1000, 1), round(cpu * 1000, 1), generation)
            for took, cpu, generation in sorted(self.timed, reverse=True)[:3]
        ]
        return found
