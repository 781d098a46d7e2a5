"""The interpreter's settings for a desk process, written in one place.

A desk's window shares one Python process (and one GIL) with the sync engine's thread and the
store's threads. These keep the window's frames while a queue drains (measured by benchmark
3, see the README's Performance section):

- **GIL switch interval, 0.2 ms** (`share_the_gil`, applied when the engine starts). Each
  time Qt calls into Python on the GUI's thread (a timer, a signal, a repaint) that thread
  needs the GIL, and waits up to the switch interval for the engine's or the store's thread to
  let it go — many times a frame while a queue drains. At Python's default (5 ms) the window
  lost frames constantly; at 1 ms benchmark 3 measured a longest stall of 77–80 ms and a p99
  of 16–17 ms, at 0.2 ms 33–54 ms and 14 ms, with the drain no slower (26–31 s).
- **The heap built at start-up is frozen** (`settle_heap`, once the calendar first shows data).
  A full collection scans every tracked object, and every thread waits while it runs: over the
  ~145,000 objects a desk holds after start-up (modules, Qt wrappers, pydantic's schemas) a
  full collection took 120–130 ms on the benchmark's machine, the longest stall of the window.
  Frozen, those objects are no longer scanned (full collections then take about 20 ms); they
  are still freed by reference counting, and only cyclic garbage among them is kept (the
  window's panels live as long as the process). Until then, while that heap is being built,
  nothing is collected (`GuiCollector.start(held=True)`): collections there freed a few hundred
  objects each and cost a warm start about a fifth of its time to the calendar.
- **Cyclic garbage is collected on the GUI's thread only** (`due_generation`, run by
  `ui/collector.py`). Python starts a collection in whichever thread passes the allocation
  threshold: on the engine's or the store's thread it would run the destructors of widgets
  caught in a reference cycle there, off the thread Qt requires (a crash, seen once in the test
  suite). Automatic collection is off; the GUI's thread checks the same thresholds Python
  would, twenty times a second, and collects the generation that is due — a full collection
  only once a quarter more objects reached the oldest generation (`full_collection_worth_it`),
  as Python does.
- **The background steps aside while the GUI's thread works** (`GuiTurn`, `GUI_TURN`): a
  repaint of the calendar, a delivery of changes and a collection are stretches of the GUI's
  work, and meanwhile the engine's loop and the sync database's thread wait (bounded) instead
  of taking the GIL from it every switch interval. Benchmark 3's longest stall went from
  45–52 ms to 30–41 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import sys
import threading
import time
from collections.abc import Iterator

SWITCH_INTERVAL = 0.0002  # seconds a thread may hold the GIL while another waits for it


def share_the_gil() -> None:
    """Shorten the GIL's switch interval to `SWITCH_INTERVAL` (never lengthens it)."""
    if sys.getswitchinterval() > SWITCH_INTERVAL:
        sys.setswitchinterval(SWITCH_INTERVAL)


def settle_heap() -> int:
    """Collect what start-up left behind, then freeze the rest out of later collections.
    Returns how many objects are frozen now. Safe to call again (after a reconnect): what was
    built since is frozen too."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def due_generation(counts: tuple[int, int, int], thresholds: tuple[int, int, int]) -> int | None:
    """The generation Python's own collector would collect now (the oldest whose count passed
    its threshold, younger ones included), or None. `counts` is `gc.get_count()`: allocations
    less deallocations since generation 0 was collected, then collections of the generation
    below; `thresholds` is `gc.get_threshold()`; a threshold of 0 never triggers."""
    due = None
    for generation, (count, threshold) in enumerate(zip(counts, thresholds, strict=True)):
        if threshold <= 0 or count <= threshold:
            break
        due = generation
    return due


def full_collection_worth_it(pending: int, long_lived: int) -> bool:
    """Python's own guard on full collections: only once the objects that reached the oldest
    generation since the last full collection (`pending`) are more than a quarter of those
    that survived it (`long_lived`) — else a growing heap (start-up) is scanned again and
    again."""
    return pending > long_lived // 4


BACKGROUND_NICE = 5  # how much lower a background thread's scheduling priority is (Linux)


def background_thread() -> None:
    """Called first on a desk's background thread (the engine's, the store's writer, the sync
    database's): the operating system gives the CPU to the GUI's thread first when both are
    ready to run. Linux only, where a thread's nice value is its own; elsewhere nothing."""
    if not sys.platform.startswith("linux"):
        return
    # Relative to the main (the GUI's) thread, not to this one's: a thread inherits the nice
    # value of the thread that started it, and a pool started from the engine's must not end
    # up lower still.
    _lower(threading.get_native_id(), threading.main_thread().native_id or 0)


def background_process(pid: int) -> None:
    """Called by a desk on a child process it has just started (the bundled sandbox): the
    child runs at the background's priority, so that while it boots or answers the desk's
    window gets the CPU first (two cores shared by the window, the sign-in's key derivation
    and the child's start). POSIX only; elsewhere nothing."""
    if hasattr(os, "setpriority"):
        main = threading.main_thread().native_id if sys.platform.startswith("linux") else 0
        _lower(pid, main or 0)


def _lower(target: int, relative_to: int) -> None:
    """`target` (a thread on Linux, a process) at `BACKGROUND_NICE` below `relative_to` (0:
    the calling process)."""
    try:
        nice = os.getpriority(os.PRIO_PROCESS, relative_to) + BACKGROUND_NICE
        os.setpriority(os.PRIO_PROCESS, target, nice)
    except OSError:  # not permitted here (never fatal: it is only the order of scheduling)
        return


PARK_MAX = 0.025  # the most the background steps aside for one stretch of the GUI's work


class GuiTurn:
    """While the GUI's thread works, the background steps aside.

    The GIL lets one thread run Python at a time, and hands it over every switch interval to
    whichever thread asks. While a queue drains, the engine's loop and the sync database's
    thread always ask, so a repaint that needs 15 ms of Python got a third of the GIL and took
    40–55 ms (benchmark 3). So the GUI's thread marks its stretches of work — a repaint of the
    calendar, a delivery of changes, a garbage collection — with `foreground()`, and meanwhile:

    - each `attach`ed loop (the engine's) steps aside after the callback it is running:
      blocked, not holding the GIL, until the stretch ends;
    - background threads call `step_aside()` between two pieces of their work (the sync
      database, between the writes of a batch) and wait the same way.

    Never longer than `park_max` after the stretch began, whatever the GUI does: a busy window
    slows the background, it never stops it (and the GUI never waits on the background, so
    nothing can wait on itself). Nobody steps aside inside a callback or a write, and with no
    stretch marked (no window: the CLI, one layer's tests) nothing ever waits.

    `foreground()` on the GUI's thread; `attach`, `detach` and `step_aside` on any thread.
    """

    def __init__(self, *, park_max: float = PARK_MAX) -> None:
        self.park_max = park_max
        self.enabled = True  # a benchmark compares with and without
        self._idle = threading.Event()
        self._idle.set()
        self._lock = threading.Lock()
        self._depth = 0
        self._began = 0.0  # time.monotonic() when the current stretch began
        self._loops: dict[asyncio.AbstractEventLoop, bool] = {}  # loop → asked to step aside
        self.stepped_aside = 0  # how many times something waited (tests, benchmarks)

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            self._loops.setdefault(loop, False)

    def detach(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            self._loops.pop(loop, None)

    def attached(self, loop: asyncio.AbstractEventLoop) -> bool:
        with self._lock:
            return loop in self._loops

    @property
    def busy(self) -> bool:
        """Whether the GUI's thread is in a stretch of work now."""
        return not self._idle.is_set()

    @contextlib.contextmanager
    def foreground(self) -> Iterator[None]:
        """Around a stretch of the GUI's work; nested stretches are one."""
        if not self.enabled:
            yield
            return
        with self._lock:
            self._depth += 1
            first = self._depth == 1
            if first:
                self._began = time.monotonic()
                self._idle.clear()
                asked = [loop for loop, waiting in self._loops.items() if not waiting]
                for loop in asked:
                    self._loops[loop] = True
        if first:
            for loop in asked:
                try:
                    loop.call_soon_threadsafe(self._loop_steps_aside, loop)
                except RuntimeError:  # that loop closed meanwhile
                    self.detach(loop)
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0:
                    self._idle.set()

    def step_aside(self) -> None:
        """Between two pieces of a background thread's work: wait while the GUI works."""
        if self._idle.is_set():
            return
        wait = self._began + self.park_max - time.monotonic()
        if wait > 0:
            with self._lock:  # (two background threads may step aside at once)
                self.stepped_aside += 1
            self._idle.wait(wait)

    def _loop_steps_aside(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            if loop in self._loops:
                self._loops[loop] = False
        self.step_aside()


GUI_TURN = GuiTurn()  # the desk process's one
