"""Shared helpers for the benchmarks: medians of repeated runs and ratios to a same-run floor.

Shared machines are noisy, so a figure is the median of several runs and, where a floor exists,
is reported as a ratio to that floor measured in the same run. Targets are reported, never
asserted: a missed target is a finding to explain, not a flaky failure.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Result:
    """One row of the benchmark table."""

    number: int
    name: str
    value: float
    unit: str
    target: str
    met: bool | None
    floor: float | None = None
    floor_name: str = ""
    ratio: float | None = None
    runs: int = 1
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def median_seconds(fn: Callable[[], object], runs: int, warmup: int = 1) -> float:
    """The median wall time of `fn` over `runs` calls, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def percentile(samples: list[float], pct: float) -> float:
    """The nearest-rank percentile of a non-empty sample."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]
