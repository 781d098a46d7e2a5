"""The bundled sandbox as a child process of the desk, watched and restarted if it dies.

In its own process the sandbox's threads (uvicorn, its store's writer and readers) do not share
the desk's GIL, a crash there is a restart rather than a dead desk, and the desk never imports
FastAPI. The child is `frontdesk sandbox --print-credentials --exit-with-stdin`: it prints one
JSON line with its address and an API key when it listens, and exits when its standard input
closes — which the operating system does when the desk exits for any reason, `kill -9`
included, so no orphan keeps the clinic's file open.

Light on purpose: only the standard library here (the desk imports it while starting).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

log = logging.getLogger(__name__)

START_TIMEOUT = 120.0
STOP_TIMEOUT = 20.0
# Restarts after unexpected exits, and the pause before each (bounded: a sandbox that cannot
# start is reported, not retried for ever).
MAX_RESTARTS = 5
RESTART_PAUSE = 1.0


BUNDLED_DB = "bundled-sandbox.sqlite"  # the bundled demo clinic, in the desk's data folder


def bundled_sandbox(data: Path) -> SandboxProcess:
    """The sandbox a bundled desk runs, over the demo clinic in its data folder `data`."""
    return SandboxProcess(data / BUNDLED_DB)


class SandboxFailed(RuntimeError):
    """The bundled sandbox did not start (its own log file says why)."""


def sandbox_command(db: Path, *, port: int) -> list[str]:
    """How to start the sandbox with the same program the desk runs (source or frozen)."""
    # A frozen app is its own `frontdesk` command; from source, the package is.
    frozen = getattr(sys, "frozen", False)
    program = [sys.executable] if frozen else [sys.executable, "-m", "frontdesk_app"]
    return [
        *program,
        "sandbox",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--db",
        str(db),
        "--demo-data",
        "--print-credentials",
        "--exit-with-stdin",
        "--log-level",
        "warning",
    ]


class SandboxProcess:
    """Start with `await start()`; `base_url` and `api_key` once started; `await stop()`."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.port = 0
        self.base_url = ""
        self.api_key = ""
        self.restarts = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._launched: subprocess.Popen[bytes] | None = None  # booting, not yet listening
        self._watcher: asyncio.Task[None] | None = None
        self._stopping = threading.Event()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def launch(self) -> SandboxProcess:
        """Start the child now, without waiting: it boots in its own process while the caller
        goes on (the app's window paints meanwhile); `start()` then waits until it listens."""
        if self._launched is None and self._process is None:
            self._launched = self._popen()
        return self

    async def start(self) -> SandboxProcess:
        await asyncio.to_thread(self._spawn)
        self._watcher = asyncio.get_running_loop().create_task(
            self._watch(), name="frontdesk-sandbox-watch"
        )
        return self

    async def stop(self) -> None:
        self._stopping.set()
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
        await asyncio.to_thread(self._end)

    # --- the child ---------------------------------------------------------------------------

    def _popen(self) -> subprocess.Popen[bytes]:
        # The command is this program itself with fixed arguments: no outside input.
        return subprocess.Popen(  # noqa: S603
            sandbox_command(self.db, port=self.port),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # it logs to its own files under the log folder
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def _spawn(self) -> None:
        process, self._launched = self._launched or self._popen(), None
        line = _first_line(process, START_TIMEOUT)
        if not line:
            code = process.wait(STOP_TIMEOUT)
            raise SandboxFailed(f"the bundled sandbox exited while starting (status {code})")
        # Known (and so `running`) only once it listens.
        self._process = process
        info = json.loads(line)
        self.base_url = str(info["base_url"])
        self.port = int(self.base_url.rsplit(":", 1)[1])
        # Every key it prints stays valid across its restarts: the desk keeps the first.
        self.api_key = self.api_key or str(info["api_key"])

    def _end(self) -> None:
        process, self._process = self._process, None
        if process is None:  # launched, never waited for
            process, self._launched = self._launched, None
        if process is None:
            return
        # Closing its standard input asks it to stop gracefully; terminate if it lingers.
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT)
        if process.stdout is not None:
            process.stdout.close()

    async def _watch(self) -> None:
        """Restart the child (on the same port) when it dies, a bounded number of times."""
        while not self._stopping.is_set():
            process = self._process
            if process is None:
                return
            code = await asyncio.to_thread(process.wait)
            if self._stopping.is_set():
                return
            await asyncio.to_thread(self._end)
            if self.restarts >= MAX_RESTARTS:
                log.error("the bundled sandbox stopped (status %s) and is not restarted", code)
                return
            self.restarts += 1
            log.warning("the bundled sandbox stopped (status %s); restarting it", code)
            await asyncio.sleep(RESTART_PAUSE)
            try:
                await asyncio.to_thread(self._spawn)
            except (SandboxFailed, OSError, ValueError, KeyError):
                log.error("the bundled sandbox could not be restarted", exc_info=False)
                return


def _first_line(process: subprocess.Popen[bytes], timeout: float) -> str:
    """The child's first line on stdout ('' if it exits first); bounded by `timeout`."""
    assert process.stdout is not None
    stdout = process.stdout
    found: list[bytes] = []
    reader = threading.Thread(
        target=lambda: found.append(stdout.readline()), name="sandbox-ready", daemon=True
    )
    reader.start()
    reader.join(timeout)
    if reader.is_alive():
        process.kill()
        process.wait(STOP_TIMEOUT)
        raise SandboxFailed(f"the bundled sandbox did not start within {timeout:.0f} s")
    return found[0].decode("utf-8", "replace").strip() if found else ""
