"""Why the window stalled: a diagnosis benchmark 3 runs with `BENCH_STALL_STACKS=1` (Linux).

Not part of a measured run (its sampling thread takes the GIL every 2 ms itself). For each gap
of the stall meter's timer longer than `LONG` it records how much CPU each thread of the desk
got meanwhile (its `schedstat`), and how long the GUI's thread waited, ready, for a core; while
a gap runs past `LONG`, where the GUI's thread was (its Python stack, every 2 ms). A long gap
whose CPU is mostly the GUI's own was its work; one where the engine's and the sync database's
threads ran too was the GIL shared; time in nobody's column was spent waiting for a core.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

LONG = 0.025  # seconds: the gaps looked into
SAMPLE = 0.002  # seconds between two looks
DEPTH = 6  # frames of the GUI's stack kept per sample
KEEP = 10  # gaps and stacks reported
LATE = 0.010  # seconds: the sampler itself this late says where the others were
IDLE = ("wait", "select", "poll", "_worker", "sleep", "get", "readline", "accept")


class Diagnosis(threading.Thread):
    """`start()` with the meter; `tick(gap)` on each of its ticks (the GUI's thread);
    `stop()`, then `report()`."""

    def __init__(self, last_tick: Callable[[], float]) -> None:
        super().__init__(daemon=True, name="stall-sampler")
        self._last_tick = last_tick
        self._gui = threading.main_thread()
        self._halt = threading.Event()
        self._lock = threading.Lock()
        self._before: dict[str, float] = {}
        self._queued_before = _gui_queued(self._gui)
        self.gaps: list[tuple[float, float, dict[str, float]]] = []  # (ms, queued ms, by thread)
        self.stacks: dict[str, int] = {}
        self.holders: dict[str, float] = {}  # where the other threads were, ms this one was late

    def tick(self, gap: float) -> None:
        now = _threads_cpu()
        queued = _gui_queued(self._gui)
        with self._lock:
            if gap > LONG:
                ran = {
                    name: round((seconds - self._before.get(name, seconds)) * 1000, 1)
                    for name, seconds in now.items()
                }
                shown = {name: ms for name, ms in ran.items() if ms >= 1}
                self.gaps.append(
                    (round(gap * 1000, 1), round((queued - self._queued_before) * 1000, 1), shown)
                )
            self._before, self._queued_before = now, queued

    def run(self) -> None:
        expected = time.perf_counter() + SAMPLE
        while not self._halt.wait(SAMPLE):
            now = time.perf_counter()
            late, expected = now - expected, now + SAMPLE
            if late > LATE:
                self._note_holders(late)
            if now - self._last_tick() < LONG:
                continue
            frame = sys._current_frames().get(self._gui.ident or 0)
            where = " < ".join(
                f"{Path(f.f_code.co_filename).name}:{f.f_lineno}:{f.f_code.co_name}"
                for f in _outer(frame)
            )
            self.stacks[where] = self.stacks.get(where, 0) + 1

    def _note_holders(self, late: float) -> None:
        """This thread waited `late` past its time (for the GIL, or a core): where the other
        busy threads are now, just after whatever held it let go."""
        names = {t.ident: t.name for t in threading.enumerate()}
        for ident, frame in sys._current_frames().items():
            if ident in (self.ident, self._gui.ident) or _idle(frame):
                continue
            where = " < ".join(
                f"{Path(f.f_code.co_filename).name}:{f.f_lineno}:{f.f_code.co_name}"
                for f in _outer(frame)[:3]
            )
            key = f"{names.get(ident, ident)}: {where}"
            self.holders[key] = self.holders.get(key, 0.0) + late * 1000

    def stop(self) -> None:
        self._halt.set()
        self.join(1.0)

    def report(self) -> dict[str, Any]:
        with self._lock:
            gaps = sorted(self.gaps, key=lambda gap: -gap[0])[:KEEP]
        return {
            "diagnosis_gaps_ms_queued_ms_cpu_ms_by_thread": gaps,
            "diagnosis_stacks": sorted(((n, w) for w, n in self.stacks.items()), reverse=True)[
                :KEEP
            ],
            "diagnosis_late_sampler_ms_by_place": sorted(
                ((round(ms, 1), w) for w, ms in self.holders.items()), reverse=True
            )[:KEEP],
        }


def _threads_cpu() -> dict[str, float]:
    """Seconds on a core so far, per thread of this process (by its Python name)."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    found: dict[str, float] = {}
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/schedstat") as stat:
                found[names.get(int(task), task)] = int(stat.read().split()[0]) / 1e9
        except OSError:  # the thread ended meanwhile
            continue
    return found


def _gui_queued(gui: threading.Thread) -> float:
    """Seconds the GUI's thread has waited so far, ready to run, for a core."""
    with open(f"/proc/self/task/{gui.native_id}/schedstat") as stat:
        return int(stat.read().split()[1]) / 1e9


def _idle(frame: FrameType) -> bool:
    """A thread parked in a wait (it held nothing)."""
    return frame.f_code.co_name in IDLE or frame.f_code.co_name.startswith(("_wait", "wait"))


def _outer(frame: FrameType | None) -> list[FrameType]:
    frames: list[FrameType] = []
    while frame is not None and len(frames) < DEPTH:
        frames.append(frame)
        frame = frame.f_back
    return frames
