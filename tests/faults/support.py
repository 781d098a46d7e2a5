"""Fault-test helpers: the sandbox as a real subprocess, a cuttable TCP proxy, a desk, and
ground truth read straight from the server's database file.

Everything listens on 127.0.0.1 only, and every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
from collections import defaultdict
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from frontdesk_app.api import ApiBackend, ApiKey, RetryPolicy
from frontdesk_app.sync.backend import OfflineFirstBackend
from frontdesk_app.sync.connectivity import Backoff

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0
# Fail fast per call: the outbox's own backoff is what retries across an outage.
DESK_RETRY = RetryPolicy(attempts=3, deadline=8.0, initial_wait=0.05, max_wait=0.5, jitter=0.05)
PROBE_BACKOFF = Backoff(initial=0.1, maximum=1.0, jitter=0.1)
EVENT_KINDS = {
    "appointment.created": "create",
    "appointment.rescheduled": "reschedule",
    "appointment.cancelled": "cancel",
}


def child_environment(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["FRONTDESK_HOME"] = str(home)
    env["PYTHONPATH"] = str(ROOT)
    return env


class SandboxProcess:
    """`python -m frontdesk_app sandbox … --print-credentials`, restartable on the same port."""

    def __init__(
        self,
        db: Path,
        home: Path,
        *,
        chaos: str | None = None,
        environment: dict[str, str] | None = None,
    ) -> None:
        self.db = db
        self.home = home
        self.chaos = chaos
        # The child's environment (default: this process's, so it runs at the test's instant).
        self.environment = environment
        self.extra_args: list[str] = []
        self.port = 0
        self.base_url = ""
        self.api_key = ""
        self._process: subprocess.Popen[str] | None = None
        self._log: IO[str] | None = None

    def start(self) -> SandboxProcess:
        command = [
            sys.executable,
            "-m",
            "frontdesk_app",
            "sandbox",
            "--port",
            str(self.port),
            "--db",
            str(self.db),
            "--demo-data",
            "--print-credentials",
            "--log-level",
            "warning",
        ]
        if self.chaos:
            command += ["--chaos", self.chaos]
        command += self.extra_args
        self._log = (self.home / "sandbox.log").open("a", encoding="utf-8")
        self._process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            cwd=ROOT,
            env=self.environment or child_environment(self.home),
        )
        line = _read_line(self._process, START_TIMEOUT)
        info = json.loads(line)
        self.base_url = info["base_url"]
        self.port = int(self.base_url.rsplit(":", 1)[1])
        # Every key the sandbox prints stays valid across restarts: keep the first.
        self.api_key = self.api_key or info["api_key"]
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT)
        if process is not None and process.stdout is not None:
            process.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The child's first stdout line, or a clear failure after `timeout` seconds."""
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=timeout)
    except queue.Empty:
        process.kill()
        raise AssertionError("the sandbox did not print its credentials in time") from None
    if not line:
        raise AssertionError(f"the sandbox exited early with status {process.wait(5)}")
    return line


class Proxy:
    """A TCP forwarder on loopback; `cut()` is a network outage for whoever goes through it."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self.blocked = False
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> Proxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def cut(self) -> None:
        self.blocked = True
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def restore(self) -> None:
        self.blocked = False

    async def aclose(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.blocked:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )
        self._writers.difference_update((writer, up_writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while not self.blocked:
                data = await reader.read(65536)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        finally:
            with contextlib.suppress(Exception):
                writer.transport.abort() if self.blocked else writer.close()


async def open_desk(
    path: Path, base_url: str, api_key: str, *, follow: bool = True, **options: Any
) -> OfflineFirstBackend:
    """A desk's `OfflineFirstBackend` on its own mirror file."""
    api = ApiBackend(base_url=base_url, credentials=ApiKey(api_key), retry=DESK_RETRY)
    options.setdefault("probe_backoff", PROBE_BACKOFF)
    return await OfflineFirstBackend.open(path, api, follow_events=follow, **options)


# --- ground truth from the server's own file ---------------------------------------------------


def _connect(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True, timeout=10.0)


def server_head(db: Path) -> int:
    with closing(_connect(db)) as conn:
        return int(conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])


def server_history(db: Path, after: int) -> dict[str, list[str]]:
    """Each appointment's writes since `after`, in the server's order (its event log)."""
    history: dict[str, list[str]] = defaultdict(list)
    with closing(_connect(db)) as conn:
        rows = conn.execute(
            "SELECT type, data FROM events WHERE seq > ? ORDER BY seq", (after,)
        ).fetchall()
    for event_type, data in rows:
        if event_type in EVENT_KINDS:
            history[json.loads(data)["id"]].append(EVENT_KINDS[event_type])
    return dict(history)


@dataclass(frozen=True)
class Row:
    status: str
    start_time: str
    duration_minutes: int


def server_rows(db: Path, ids: list[str]) -> dict[str, Row]:
    marks = ",".join("?" * len(ids))
    with closing(_connect(db)) as conn:
        rows = conn.execute(
            "SELECT id, status, start_time, duration_minutes FROM appointments "
            f"WHERE id IN ({marks})",
            ids,
        ).fetchall()
    return {r[0]: Row(r[1], r[2][:19], r[3]) for r in rows}
