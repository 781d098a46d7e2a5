"""The bundled sandbox as a child process of the desk, watched and restarted if it dies.

In its own process the sandbox's threads (uvicorn, its store's writer and readers) do not share
the desk's GIL, a crash there is a restart rather than a dead desk, and the desk never imports
FastAPI. The child is `frontdesk sandbox --print-credentials --exit-with-stdin`: it prints one
JSON line with its address and an API key when it listens, and exits when its standard input
closes — which the operating system does when the desk exits for any reason, `kill -9`
included, so no orphan keeps the clinic's file open.

Where sockets can be handed down (Linux, macOS) the desk opens the child's listening socket
and makes its API key itself (`--listen-fd`, `--api-key-stdin`): the address and key are known
the moment the child is launched, so the desk opens its offline copy while the child boots
(requests wait in the socket's queue until it serves), and a restarted child serves the same
socket, with no moment where another program could take the port. Elsewhere the child binds a
port of its choosing and the desk learns it from that first line.

Light on purpose: only the standard library here (the desk imports it while starting).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

from frontdesk_app import runtime
from frontdesk_app.sandbox.key_format import new_api_key

log = logging.getLogger(__name__)

START_TIMEOUT = 120.0
STOP_TIMEOUT = 20.0
# Restarts after unexpected exits, and the pause before each (bounded: a sandbox that cannot
# start is reported, not retried for ever).
MAX_RESTARTS = 5
RESTART_PAUSE = 1.0
STOPPED_WHILE_STARTING = "the bundled sandbox was stopped while starting"
# Whether this system hands a listening socket down to a child (subprocess's pass_fds).
HANDS_DOWN_SOCKETS = os.name == "posix"
BACKLOG = 128  # connections that may wait for the child while it boots or restarts


BUNDLED_DB = "bundled-sandbox.sqlite"  # the bundled demo clinic, in the desk's data folder


def bundled_sandbox(data: Path) -> SandboxProcess:
    """The sandbox a bundled desk runs, over the demo clinic in its data folder `data`."""
    return SandboxProcess(data / BUNDLED_DB)


class SandboxFailed(RuntimeError):
    """The bundled sandbox did not start (its own log file says why)."""


def sandbox_command(db: Path, *, port: int, listen_fd: int | None = None) -> list[str]:
    """How to start the sandbox with the same program the desk runs (source or frozen):
    on `listen_fd` with the key on its standard input, or binding `port` (0: any)."""
    # A frozen app is its own `frontdesk` command; from source, the package is.
    frozen = getattr(sys, "frozen", False)
    program = [sys.executable] if frozen else [sys.executable, "-m", "frontdesk_app"]
    where = (
        ["--listen-fd", str(listen_fd), "--api-key-stdin"]
        if listen_fd is not None
        else ["--port", str(port)]
    )
    return [
        *program,
        "sandbox",
        "--host",
        "127.0.0.1",
        *where,
        "--db",
        str(db),
        "--demo-data",
        "--print-credentials",
        "--exit-with-stdin",
        "--log-level",
        "warning",
    ]


class SandboxProcess:
    """`launch()`, then `await start()` (until it listens); `base_url` and `api_key` from the
    launch where `address_known`, else once started; `await stop()`."""

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
        # Who the child is (`_launched`, `_process`) changes under this lock: a start on a
        # worker thread and a stop on another never both miss (or both end) a child.
        self._state = threading.Lock()
        self._listener: socket.socket | None = None  # handed down to every child

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def address_known(self) -> bool:
        """`base_url` and `api_key` are set (before the child listens, where it inherits its
        socket); requests sent now are answered once it serves."""
        return bool(self.base_url and self.api_key)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def launch(self) -> SandboxProcess:
        """Start the child now, without waiting: it boots in its own process while the caller
        goes on (the app's window paints meanwhile); `start()` then waits until it listens."""
        with self._state:
            if self._launched is None and self._process is None and not self.stopping:
                self._listen()
                self._launched = self._popen()
        return self

    async def start(self) -> SandboxProcess:
        """Until the child listens (launched now if it was not). A child that cannot start
        raises `SandboxFailed`, and from then on connections to its address are refused."""
        try:
            await asyncio.to_thread(self._spawn)
        except BaseException:
            self._close_listener()
            raise
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
        self._close_listener()

    # --- the child ---------------------------------------------------------------------------

    def _listen(self) -> None:
        """The child's listening socket and key, made here once (where sockets are handed
        down): its address is known before it runs, and is the same for its restarts."""
        if self._listener is not None or not HANDS_DOWN_SOCKETS:
            return
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind(("127.0.0.1", 0))
            listener.listen(BACKLOG)
        except OSError:
            listener.close()
            raise
        self._listener = listener
        self.port = listener.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.api_key = new_api_key()

    def _close_listener(self) -> None:
        """Connections to the address are refused from now on (the desk reads as offline)."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()

    def _popen(self) -> subprocess.Popen[bytes]:
        listener = self._listener
        fd = listener.fileno() if listener is not None else None
        # The command is this program itself with fixed arguments: no outside input.
        process = subprocess.Popen(  # noqa: S603
            sandbox_command(self.db, port=self.port, listen_fd=fd),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # it logs to its own files under the log folder
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            pass_fds=() if fd is None else (fd,),
        )
        runtime.background_process(process.pid)  # the desk's window first (runtime.py)
        if fd is not None and process.stdin is not None:
            # The key on its standard input: never on a command line others can read.
            with contextlib.suppress(OSError):  # it died at once: its first line says so
                process.stdin.write(f"{self.api_key}\n".encode("ascii"))
                process.stdin.flush()
        return process

    def _spawn(self) -> None:
        with self._state:
            if self.stopping:  # stopped before it started (or between two restarts)
                raise SandboxFailed(STOPPED_WHILE_STARTING)
            process = self._launched or self._popen()
            self._launched = process  # while it boots, `stop()` ends it
        line = _first_line(process, START_TIMEOUT)
        if not line:
            code = process.wait(STOP_TIMEOUT)
            raise SandboxFailed(f"the bundled sandbox exited while starting (status {code})")
        with self._state:
            if self._launched is not process:  # `stop()` took it meanwhile, and ends it
                raise SandboxFailed(STOPPED_WHILE_STARTING)
            # Known (and so `running`) only once it listens.
            self._process, self._launched = process, None
        if self._listener is None:  # it chose its port
            info = json.loads(line)
            self.base_url = str(info["base_url"])
            self.port = int(self.base_url.rsplit(":", 1)[1])
            # Every key it prints stays valid across its restarts: the desk keeps the first.
            self.api_key = self.api_key or str(info["api_key"])

    def _end(self) -> None:
        with self._state:
            process, self._process = self._process, None
            if process is None:  # launched, never waited for (or still booting)
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
                self._close_listener()
                return
            self.restarts += 1
            log.warning("the bundled sandbox stopped (status %s); restarting it", code)
            await asyncio.sleep(RESTART_PAUSE)
            try:
                await asyncio.to_thread(self._spawn)
            except (SandboxFailed, OSError, ValueError, KeyError):
                log.error("the bundled sandbox could not be restarted", exc_info=False)
                self._close_listener()
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
