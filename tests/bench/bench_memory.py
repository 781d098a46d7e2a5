"""Benchmark 8: peak memory of the app with a 100,000-appointment store open on a week view.

The real app (`frontdesk --standalone --db STORE`, every panel) in its own process, offscreen,
remembering the week view; it runs until the calendar shows the week's appointments, stays
open a few seconds more (patients' names, the other panels' first loads) and is closed as a
person would close it. The store is encrypted by an untimed first start, as the app does once.
The figure is the process's peak resident set (`ru_maxrss` from `wait4`), the median of a few
runs.

    .venv/bin/python -m tests.bench.bench_memory [--quick]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from tests.bench import procs
from tests.bench.bench_startup import launch
from tests.bench.harness import Result

NUMBERS = (8,)
TARGET_MB = 300.0
SETTLE_MS = 3000
WINDOW_INI = "[calendar]\nmode=week\n\n[window]\npanel=calendar\n"


def run(quick: bool = False) -> list[Result]:
    stored = 5_000 if quick else 100_000
    runs = 1 if quick else 3
    template = procs.clinic(stored)
    home = procs.scratch("memory")
    (home / "window.ini").write_text(WINDOW_INI, encoding="utf-8")
    db = procs.copy_db(template, home / "clinic.sqlite")
    week = _week_count(db)
    procs.set_up_person(home)
    settle = str(SETTLE_MS // 3 if quick else SETTLE_MS)
    args = ["app", "--close-after", settle, "--", "--standalone", "--db", str(db)]
    args.append("--sign-in-stdin")
    peaks: list[float] = []
    # The first start encrypts the plain store in place (once per computer): not counted.
    for index in range(runs + 1):
        launched = launch(args, home, stdin=procs.SIGN_IN)
        if launched.exit_code != 0 or "calendar" not in launched.marks:
            raise RuntimeError(f"the app did not show the week: {launched.stdout[-1500:]}")
        if index:
            peaks.append(launched.max_rss_kib / 1024)
    peak = statistics.median(peaks)
    return [
        Result(
            number=8,
            name=f"peak RSS, {stored:,}-appointment store on a week view",
            value=peak,
            unit="MB",
            target=f"≤ {TARGET_MB:g} MB",
            met=peak <= TARGET_MB,
            runs=runs,
            details={"runs_mb": [round(p, 1) for p in peaks], "week_appointments": week},
        )
    ]


def _week_count(db: Path) -> int:
    """Appointments in this week (clinic time), for the record."""
    import sqlite3
    from contextlib import closing
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("America/New_York")
    today = datetime.now(zone).date()
    monday = datetime.combine(today - timedelta(days=today.weekday()), datetime.min.time(), zone)
    start = monday.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    end = (monday + timedelta(days=7)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    with closing(sqlite3.connect(db)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM appointments WHERE start_time >= ? AND start_time < ?",
            (start, end),
        ).fetchone()
    return int(row[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    for result in run(quick=args.quick):
        print(f"{result.name}: {result.value:.0f} MB ({result.target}) {result.details}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
