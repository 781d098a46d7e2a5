"""Benchmark 1: time to the first window, and to the calendar showing data (`--smoke`).

Each run is a new process, timed from just before it is spawned (offscreen Qt, a home of its
own). The floor is a bare PySide6 program showing one window, started the same way in the same
run, alternating with the app so drift hits both. Marks come from `startup_probe` (the first
paint; the first paint of the calendar with appointments). Modes:

Every start is locked: one person is set up at the desk first, and signs in on standard input
(`--sign-in-stdin`, the lock screen's key derivation included), so the calendar mark is the
calendar a person sees after signing in.

Every start finds the app's bytecode compiled, as a desk's second and later starts do (the first
start writes it; the PyInstaller bundle ships it): compiled once here, before anything is timed,
since the benchmark's processes never write bytecode.

- bundled (what a fresh install opens): the sandbox as a child process with the demo clinic, the
  offline-first mirror, the first pull — measured warm: an untimed first start builds the
  clinic and the mirror, as a desk's second and later starts find them;
- standalone: the embedded store only (also warm);
- cold: the very first bundled start, clinic creation included (reported, no target);
- libraries: the floor's window, then only an import of the libraries the desk in that mode
  loads before its calendar (SQLAlchemy's ORM, pydantic, SQLCipher, …; `startup_probe.STACK`):
  what the chosen stack costs on this machine before any of the desk's own code runs
  (reported, no target);
- signed in at the lock page: the person's name and PIN come `TYPING` seconds after the
  launch, as a person types them at the lock page (the app has loaded meanwhile); timed from
  that moment to the calendar with data: what a receptionist waits after Enter (reported).
- server down: a desk on its clinic's server (the sandbox CLI in a process of its own) that
  pulled its offline copy once, started again with that server stopped: the calendar from the
  copy, with the status bar saying Offline (target ≤ 3 s, absolute: a desk in an outage).

    .venv/bin/python -m tests.bench.bench_startup [--quick]
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tests.bench import procs
from tests.bench.harness import Result

NUMBERS = (1,)
WINDOW_TARGET = 2.0
CALENDAR_TARGET = 5.0
SERVER_DOWN_TARGET = 3.0  # seconds
TYPING = 3.0  # seconds from the launch to a sign-in typed at the lock page
TIMEOUT = 180.0


@dataclass
class Launch:
    marks: dict[str, float]
    exit_code: int
    max_rss_kib: int
    stdout: str


def launch(
    args: list[str],
    home: Path,
    *,
    timeout: float = TIMEOUT,
    stdin: str | None = None,
    stdin_after: float = 0.0,
    env: dict[str, str] | None = None,
) -> Launch:
    """Spawn `startup_probe` with `args` (and `stdin` on its standard input, `stdin_after`
    seconds after the spawn); seconds from spawn to each mark, and peak RSS."""
    home.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.startup_probe", *args],
        cwd=procs.ROOT,
        env=procs.child_env(home, **(env or {})),
        stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    killer = threading.Timer(timeout, process.kill)
    killer.start()
    try:
        if stdin is not None and process.stdin is not None:
            time.sleep(max(0.0, started + stdin_after - time.monotonic()))
            process.stdin.write(stdin)
            process.stdin.close()
        assert process.stdout is not None
        output = process.stdout.read()
        # wait4, not wait(): the child's own peak RSS comes with its exit status.
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    finally:
        killer.cancel()
    marks: dict[str, float] = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "BENCH-MARK":
            marks.setdefault(parts[1], float(parts[2]) - started)
    return Launch(marks, process.returncode, usage.ru_maxrss, output)


def app_args(mode: str) -> list[str]:
    return ["app", "--", "--smoke", f"--{mode}", "--sign-in-stdin"]


def start(mode: str, home: Path, *, typing: float = 0.0) -> Launch:
    """The app in `mode` at the desk in `home`, its person signing in as they would at the
    lock screen (every start is locked: the calendar paints after the sign-in); `typing`:
    seconds after the spawn the sign-in comes (0: at once, before the lock page shows)."""
    if not typing:
        return launch(app_args(mode), home, stdin=procs.SIGN_IN)
    # Not `--smoke`, which would end once the calendar behind the lock has its data: the run
    # ends a moment after the calendar is painted, after the sign-in.
    args = ["app", "--close-after", "200", "--", f"--{mode}", "--sign-in-stdin"]
    return launch(args, home, stdin=procs.SIGN_IN, stdin_after=typing)


def _needed(result: Launch, *names: str) -> Launch:
    missing = [n for n in names if n not in result.marks]
    if result.exit_code != 0 or missing:
        raise RuntimeError(
            f"start-up run failed (exit {result.exit_code}, missing {missing}): "
            + result.stdout[-1500:]
        )
    return result


def run(quick: bool = False) -> list[Result]:
    runs = 1 if quick else 5
    modes = ["bundled"] if quick else ["bundled", "standalone"]
    folder = procs.scratch("startup")
    for package in ("frontdesk_app", "tests/bench"):
        compileall.compile_dir(procs.ROOT / package, quiet=1)
    for mode in modes:
        procs.set_up_person(folder / mode)
    cold = {m: _needed(start(m, folder / m), "window", "calendar") for m in modes}
    floors: list[float] = []
    samples: dict[str, list[Launch]] = {m: [] for m in modes}
    stacks: dict[str, list[float]] = {m: [] for m in modes}
    after_enter: dict[str, list[float]] = {m: [] for m in modes}
    for index in range(runs):
        floors.append(_needed(launch(["floor"], folder / "floor"), "window").marks["window"])
        for mode in modes if index % 2 == 0 else reversed(modes):
            libraries = _needed(launch(["libraries", mode], folder / "floor"), "libraries")
            stacks[mode].append(libraries.marks["libraries"])
            samples[mode].append(_needed(start(mode, folder / mode), "calendar"))
            typed = _needed(start(mode, folder / mode, typing=TYPING), "calendar")
            after_enter[mode].append(typed.marks["calendar"] - TYPING)
    floor = statistics.median(floors)
    results: list[Result] = [_server_down(folder, runs, floor)]
    for mode in modes:
        window = statistics.median(s.marks["window"] for s in samples[mode])
        calendar = statistics.median(s.marks["calendar"] for s in samples[mode])
        if mode == modes[0]:
            results.append(
                _row(f"start-up: first window ({mode})", window, floor, WINDOW_TARGET, runs)
            )
        name = f"start-up: calendar with data ({mode}, warm)"
        results.append(_row(name, calendar, floor, CALENDAR_TARGET, runs))
        stack = statistics.median(stacks[mode])
        name = f"start-up: window, then only the libraries' imports ({mode})"
        results.append(_reported(name, stack, floor, runs))
        name = f"start-up: sign-in typed at the lock page → calendar with data ({mode})"
        enter = statistics.median(after_enter[mode])
        results.append(
            _reported(name, enter, floor, runs, details={"signed_in_after_launch_s": TYPING})
        )
        creates = "the clinic" + (" and the mirror" if mode == "bundled" else "")
        name = f"start-up: calendar with data ({mode}, first start)"
        cold_start = cold[mode].marks["calendar"]
        results.append(_reported(name, cold_start, floor, 1, details={"creates": creates}))
    return results


def _server_down(folder: Path, runs: int, floor: float) -> Result:
    """Starts of a desk whose server is down, after one start that pulled its copy."""
    home = folder / "server-down"
    procs.set_up_person(home)
    server_db = folder / "server" / "clinic.sqlite"
    server_db.parent.mkdir(parents=True, exist_ok=True)
    args: list[str] = []
    env: dict[str, str] = {}

    def desk() -> Launch:
        return launch(args, home, stdin=procs.SIGN_IN, env=env)

    with procs.sandbox_process(server_db, demo=True) as (base_url, api_key):
        args = ["app", "--", "--smoke", "--api-url", base_url, "--sign-in-stdin"]
        env = {"FRONTDESK_API_KEY": api_key}
        _needed(desk(), "calendar")  # online: the copy is pulled
    starts = [_needed(desk(), "calendar").marks["calendar"] for _ in range(runs)]
    value = statistics.median(starts)
    return Result(
        number=1,
        name="start-up: calendar from the offline copy, server down (warm)",
        value=value,
        unit="s",
        target=f"≤ {SERVER_DOWN_TARGET:g} s",
        met=value <= SERVER_DOWN_TARGET,
        floor=floor,
        floor_name="bare PySide6 window",
        ratio=value / floor,
        runs=runs,
    )


def _reported(
    name: str, value: float, floor: float, runs: int, *, details: dict[str, object] | None = None
) -> Result:
    """A figure reported against the floor, with no target."""
    return Result(
        number=1,
        name=name,
        value=value,
        unit="s",
        target="reported",
        met=None,
        floor=floor,
        floor_name="bare PySide6 window",
        ratio=value / floor,
        runs=runs,
        details=details or {},
    )


def _row(name: str, value: float, floor: float, target: float, runs: int) -> Result:
    return Result(
        number=1,
        name=name,
        value=value,
        unit="s",
        target=f"≤ {target:g} × floor",
        met=value / floor <= target,
        floor=floor,
        floor_name="bare PySide6 window",
        ratio=value / floor,
        runs=runs,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    for result in run(quick=args.quick):
        print(f"{result.name}: {result.value:.3f} s, ratio {result.ratio:.2f} ({result.target})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
