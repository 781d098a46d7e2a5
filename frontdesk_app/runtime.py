"""The interpreter's settings for a desk process, written in one place.

A desk's window shares one Python process (and one GIL) with the sync engine's thread and the
store's threads. Two settings keep the window's frames while a queue drains (measured by
benchmark 3, see the README's Performance section):

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
  window's panels live as long as the process).
- **Cyclic garbage is collected on the GUI's thread only** (`due_generation`, run by
  `ui/collector.py`). Python starts a collection in whichever thread passes the allocation
  threshold: on the engine's or the store's thread it would run the destructors of widgets
  caught in a reference cycle there, off the thread Qt requires (a crash, seen once in the test
  suite). Automatic collection is off; the GUI's thread checks the same thresholds Python
  would, twenty times a second, and collects the generation that is due — a full collection
  only once a quarter more objects reached the oldest generation (`full_collection_worth_it`),
  as Python does.
"""

from __future__ import annotations

import gc
import os
import sys
import threading

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
    main = threading.main_thread().native_id or 0
    try:
        nice = os.getpriority(os.PRIO_PROCESS, main) + BACKGROUND_NICE
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except OSError:  # not permitted here (never fatal: it is only the order of scheduling)
        return
