"""Run every benchmark, print the table and write `tests/bench/results/latest.json`.

    .venv/bin/python -m tests.bench.run            # the full suite (several minutes)
    .venv/bin/python -m tests.bench.run --quick    # small sizes, a smoke test of the suite
    .venv/bin/python -m tests.bench.run --only 2,9 # some of them

Each `tests/bench/bench_*.py` module exposes `run(quick: bool) -> list[Result]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

from tests.bench.harness import Result

HERE = Path(__file__).resolve().parent
MODULES = sorted(p.stem for p in HERE.glob("bench_*.py"))


def machine() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def format_table(results: list[Result]) -> str:
    header = "| # | benchmark | value | floor | ratio | target | met |"
    lines = [header, "|---|---|---|---|---|---|---|"]
    for r in sorted(results, key=lambda r: (r.number, r.name)):
        floor = f"{r.floor:.4g} ({r.floor_name})" if r.floor is not None else "—"
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "—"
        met = {True: "yes", False: "**no**", None: "—"}[r.met]
        value = f"{r.value:.4g} {r.unit}"
        cells = [str(r.number), r.name, value, floor, ratio, r.target, met]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the suite runs")
    parser.add_argument("--only", default="", help="comma-separated benchmark numbers")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "latest.json")
    args = parser.parse_args(argv)
    wanted = {int(n) for n in args.only.split(",") if n.strip()}
    results: list[Result] = []
    failures: list[str] = []
    seconds: dict[str, float] = {}
    for name in MODULES:
        module = importlib.import_module(f"tests.bench.{name}")
        numbers = set(getattr(module, "NUMBERS", ()))
        if wanted and numbers and not (numbers & wanted):
            continue
        print(f"running {name} …", file=sys.stderr, flush=True)
        began = time.perf_counter()
        try:
            results.extend(module.run(quick=args.quick))
        except Exception:
            failures.append(name)
            traceback.print_exc()
        seconds[name] = round(time.perf_counter() - began, 1)
        print(f"  {name}: {seconds[name]} s", file=sys.stderr, flush=True)
    table = format_table(results)
    print(table)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "quick": args.quick,
                "machine": machine(),
                "results": [r.as_dict() for r in results],
                "failed_modules": failures,
                "module_seconds": seconds,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"\nwritten to {args.output}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
