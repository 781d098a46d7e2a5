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
"""

from __future__ import annotations

import gc
import sys

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
