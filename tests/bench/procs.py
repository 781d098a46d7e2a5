"""Processes the benchmarks start: the sandbox, measuring workers, and the clinics they share.

Everything that is measured runs in a process of its own (a Qt desk, a server, a load client),
so that one figure never pays for another's interpreter, GIL or leftover state. A worker is
`python -m tests.bench.<module> --worker JSON` and prints one `BENCH-RESULT {json}` line.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
UNLIMITED = 100_000_000
RESULT_PREFIX = "BENCH-RESULT "
# The desk's stores are encrypted (SQLCipher), as the app's are; a fixed key for synthetic data.
BENCH_KEY = "5eed" * 16
_folders: list[tempfile.TemporaryDirectory[str]] = []


def child_env(home: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of a benchmark child: offscreen Qt, a memory keyring, its own home."""
    env = dict(os.environ)
    # An installed desk runs compiled modules: a warm start must not compile them again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHON_KEYRING_BACKEND"] = "tests.keyrings.MemoryKeyring"
    env.setdefault("PYTHONPATH", str(ROOT))
    if home is not None:
        env["FRONTDESK_HOME"] = str(home)
        # The app encrypts its stores with a key kept in the keyring: a memory keyring would
        # forget it between a cold and a warm start. A file keyring in the benchmark's own
        # folder keeps it (XDG_DATA_HOME: Linux), and never touches the person's keyring.
        env["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
        env["XDG_DATA_HOME"] = str(home / "keyring")
    env.update(extra)
    return env


def desk_audit() -> Any:
    """The audit trail the app gives its stores (every lookup and write is recorded)."""
    from frontdesk_app.store.audit import AuditTrail, current_actor

    return AuditTrail(current_actor("benchmark"))


def scratch(prefix: str) -> Path:
    """A temporary folder that lives until the benchmark process exits."""
    folder = tempfile.TemporaryDirectory(prefix=f"fd-bench-{prefix}-")
    _folders.append(folder)
    return Path(folder.name)


@atexit.register
def _cleanup() -> None:
    for folder in _folders:
        folder.cleanup()


# A desk past its first run: one person, who signs in at each start (`--sign-in-stdin`).
BENCH_PERSON = "Bench Person"
BENCH_PIN = "739164"
SIGN_IN = f"{BENCH_PERSON}\n{BENCH_PIN}\n"


def set_up_person(home: Path) -> None:
    """Set up `BENCH_PERSON` at the desk whose FRONTDESK_HOME is `home`, as IT would."""
    script = (
        "from frontdesk_app.config import data_dir\n"
        "from frontdesk_app.store.desk_keys import DeskKeys\n"
        f"DeskKeys(data_dir()).set_up({BENCH_PERSON!r}, {BENCH_PIN!r})\n"
    )
    subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=child_env(home),
        check=True,
        timeout=120,
        capture_output=True,
    )


def copy_db(source: Path, target: Path) -> Path:
    """A copy of a (checkpointed or not) SQLite store, WAL included."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
    return target


@functools.cache
def clinic(appointments: int | None = None, providers: int | None = None) -> Path:
    """The demo clinic with that many appointments (spread outwards from today), built once
    per benchmark run and shared; copy it (`copy_db`) before anything writes to it."""
    from frontdesk_app.store.db import Store
    from frontdesk_app.store.demo_data import build_demo_clinic

    path = scratch("clinic") / "clinic.sqlite"
    with Store.open(path) as store:
        build_demo_clinic(store, appointments=appointments, providers=providers)
    return path


@contextmanager
def sandbox_process(
    db: Path, *, rate_limit: int = UNLIMITED, burst: int | None = None, demo: bool = False
) -> Iterator[tuple[str, str]]:
    """The sandbox CLI as a subprocess on a free loopback port; yields (base_url, api key)."""
    command = [
        sys.executable,
        "-m",
        "frontdesk_app",
        "sandbox",
        "--port",
        "0",
        "--db",
        str(db),
        "--print-credentials",
        "--rate-limit",
        str(rate_limit),
        "--log-level",
        "warning",
    ]
    if burst is not None:
        command += ["--burst", str(burst)]
    if demo:
        command.append("--demo-data")
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        env=child_env(db.parent / "sandbox-home"),
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the sandbox did not start")
        ready = json.loads(line)
        yield ready["base_url"], ready["api_key"]
    finally:
        stop(process)


def stop(process: subprocess.Popen[Any]) -> None:
    """SIGTERM, then SIGKILL after 30 s: never leave a child behind."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_worker(
    module: str, args: dict[str, Any], *, timeout: float, home: Path | None = None
) -> dict[str, Any]:
    """Run `tests.bench.<module> --worker` and return the dictionary it reports."""
    result = subprocess.run(
        [sys.executable, "-m", f"tests.bench.{module}", "--worker", json.dumps(args)],
        cwd=ROOT,
        env=child_env(home or scratch(module)),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    for line in reversed(result.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            report: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            return report
    raise RuntimeError(
        f"worker {module} exited {result.returncode} without a result:\n"
        + result.stdout[-2000:]
        + result.stderr[-4000:]
    )


def report(values: dict[str, Any]) -> None:
    """A worker's answer to `run_worker` (the last line of its stdout)."""
    print(RESULT_PREFIX + json.dumps(values), flush=True)
