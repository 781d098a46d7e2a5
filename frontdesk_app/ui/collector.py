"""`GuiCollector`: Python's cyclic garbage collector, run on the GUI's thread only.

Python starts a collection in whichever thread passes the allocation threshold. In a desk that
is often the engine's or the store's thread (they allocate the most while a queue drains), and
a collection there runs the destructors of whatever widgets, timers or dialogs were caught in a
reference cycle — deleting Qt objects off the thread that owns them, which crashes the process
(it happened once in the test suite: a segfault while a worker thread collected).

So automatic collection is switched off while the collector runs, and a timer on the GUI's
thread checks the counts Python keeps, twenty times a second, and collects the generation that
Python itself would have (`runtime.due_generation`, and Python's guard that a full collection
waits until a quarter more objects reached the oldest generation). Memory is freed a little
later than before (at most one check interval); reference counting still frees everything not
in a cycle at once. `stop()` collects once more on this thread and gives collection back to Python.

A desk's start (`start(held=True)`) holds collections until `settle()`: start-up builds a heap
of long-lived objects (modules, classes, widgets, pydantic's schemas) with next to no cyclic
garbage, and collecting it on each check while it grows cost a warm start about a fifth of its
time to the calendar (collections of 10–70 ms freeing a few hundred objects). `settle()`, once
the calendar has shown its data, collects once and freezes what start-up built
(`runtime.settle_heap`), then checks resume. A start that never gets there (a desk left at the
lock page, a failed connection) stops holding once `HOLD_LIMIT` more objects are alive than at
the last collection, so cyclic garbage stays bounded whatever happens.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

from frontdesk_app.runtime import GUI_TURN, due_generation, full_collection_worth_it, settle_heap

CHECK_MS = 50  # how often the GUI's thread looks at the counts (a frame is 16 ms)
# Held at start-up, collections resume anyway once this many more objects are alive than at the
# last collection (a warm start reaches the calendar with about a fifth of it).
HOLD_LIMIT = 1_000_000


class GuiCollector(QObject):
    def __init__(self, parent: QObject | None = None, *, interval_ms: int = CHECK_MS) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_if_due)
        self._was_enabled = False
        self._held = False
        self._long_lived = 0  # objects in the oldest generation after the last full collection
        self._look_again_at = 0  # its count at which a skipped full collection is weighed again
        self.collections = [0, 0, 0]  # per generation, since start (for tests and benchmarks)

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    @property
    def held(self) -> bool:
        return self._held

    def start(self, *, held: bool = False) -> None:
        """From now on only this (the GUI's) thread collects cyclic garbage; `held`: not until
        `settle()` (start-up, see the module's docstring)."""
        if self.running:
            return
        self._was_enabled = gc.isenabled()
        self._held = held
        gc.disable()
        self._timer.start()

    def settle(self) -> int:
        """Start-up is over: collect once, freeze what it built, and collect as due from now
        on. Returns how many objects are frozen."""
        frozen = settle_heap()
        self._held = False
        # The frozen heap counts as long-lived: a full collection waits, as Python's own rule
        # has it, until a quarter as many again have reached the oldest generation (counting
        # only the few unfrozen there, full collections would come often while a queue drains).
        self._long_lived = frozen + len(gc.get_objects(2))
        self._look_again_at = 0
        return frozen

    def stop(self) -> None:
        """Collect what is left here, on the GUI's thread, and give collection back to Python
        as it was before `start()`."""
        if not self.running:
            return
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()

    def collect_if_due(self) -> int | None:
        """Collect the generation that is due, if any; returns it. A full collection also
        waits, as in Python, until enough has reached the oldest generation since the last
        (`runtime.full_collection_worth_it`); meanwhile the middle one is collected."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        if self._held:
            if counts[0] < HOLD_LIMIT:
                return None
            self._held = False
        generation = due_generation(counts, thresholds)
        if generation == 2 and not self._full_collection_due(counts[2], thresholds[2]):
            generation = 1
        if generation is None:
            return None
        with GUI_TURN.foreground():  # a finaliser may let the GIL go: not to the engine
            gc.collect(generation)
        self.collections[generation] += 1
        if generation == 2:
            self._long_lived = len(gc.get_objects(2))
            self._look_again_at = 0
        return generation

    def _full_collection_due(self, count: int, threshold: int) -> bool:
        if count < self._look_again_at:
            return False
        pending = len(gc.get_objects(2)) - self._long_lived  # (listing is far cheaper than a scan)
        if full_collection_worth_it(pending, self._long_lived):
            return True
        self._look_again_at = count + threshold
        return False
