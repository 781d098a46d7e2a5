"""The interpreter's settings for a desk process, written in one place.

A desk's window shares one Python process (and one GIL) with the sync engine's thread and the
store's threads. Two settings keep the window's frames while a queue drains (measured by
benchmark 3, see the README's Performance section):

- **GIL switch interval, 1 ms** (`share_the_gil`, applied when the engine starts). The GUI's
  thread makes many short calls that let the GIL go; at Python's default (5 ms) each may wait
  that long for the engine's thread to give it back.
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

SWITCH_INTERVAL = 0.001  # seconds a thread may hold the GIL while another waits for it


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
