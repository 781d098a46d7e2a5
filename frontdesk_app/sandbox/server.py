"""`SandboxServer`: the sandbox on uvicorn, in a background thread or in the foreground.

    with SandboxServer(db_path, demo=True) as srv:
        auth = {"Authorization": "Bearer " + srv.api_key}
        httpx.get(srv.base_url + "/v1/providers", headers=auth)

Port 0 picks a free loopback port, kept across `stop()`/`start()` so tests can simulate an
outage; the store and the state file are kept too. The backend is opened inside the server's
own event loop, which is uvloop with the httptools parser when they are installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import uvicorn

from frontdesk_app.domain.backend import Backend
from frontdesk_app.sandbox import credentials as creds
from frontdesk_app.sandbox.app import create_app
from frontdesk_app.sandbox.config import SandboxConfig, is_loopback, state_path_for
from frontdesk_app.sandbox.deps import SandboxContext
from frontdesk_app.sandbox.state import StateDB

T = TypeVar("T")
DESK_KEY_NAME = "desk key"  # the key a desk made for the sandbox it started
log = logging.getLogger("frontdesk_app.sandbox")
BackendFactory = Callable[[], Backend]
__all__ = ["SandboxServer", "is_loopback"]


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def _http_impl() -> str:
    try:
        import httptools  # noqa: F401
    except ImportError:
        return "h11"
    return "httptools"


class _Uvicorn(uvicorn.Server):
    """uvicorn that ends open event streams first, so stopping never waits on them."""

    def __init__(self, config: uvicorn.Config, ready: threading.Event, ctx: SandboxContext) -> None:
        super().__init__(config)
        self._ready = ready
        self._ctx = ctx

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self._ready.set()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._ctx.hub.close()
        await super().shutdown(sockets=sockets)


class SandboxServer:
    """A running sandbox with a store, a state file and a development API key."""

    def __init__(
        self,
        db_path: str | Path,
        *,
        demo: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        config: SandboxConfig | None = None,
        state_path: str | Path | None = None,
        backend_factory: BackendFactory | None = None,
        clock: Callable[[], Any] | None = None,
        graceful_seconds: int = 2,
        listen_socket: socket.socket | None = None,
        api_key: str | None = None,
    ) -> None:
        """`listen_socket`: serve on this listening socket (a desk's, inherited) instead of
        binding `host`:`port`; `api_key`: a key made by whoever started this server (the desk),
        taken as its key before it serves (see `credentials.register_key`)."""
        self.db_path = Path(db_path)
        self.state_path = Path(state_path) if state_path else state_path_for(self.db_path)
        self.demo = demo
        self.host = host
        self._port = port
        self.config = config or SandboxConfig()
        self._backend_factory = backend_factory
        self._clock = clock
        self._graceful = graceful_seconds
        self._api_key: str | None = None
        self._given_socket = listen_socket
        self._given_key = api_key
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: _Uvicorn | None = None
        self._ctx: SandboxContext | None = None

    # --- what callers use ----------------------------------------------------------------------

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("the sandbox has not been started")
        return self._port

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def api_key(self) -> str:
        """A key with every scope, created on first start and kept across restarts (or the
        key given, registered)."""
        self._take_given_key()
        if self._api_key is None:
            self._api_key = self.create_key(name="development key").api_key
        return self._api_key

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def create_client(
        self, scopes: Iterable[str] | None = None, *, name: str = "test client"
    ) -> creds.NewClient:
        return self._with_state(lambda db: creds.create_client(db, name=name, scopes=scopes))

    def create_key(
        self, scopes: Iterable[str] | None = None, *, name: str = "test key"
    ) -> creds.NewKey:
        return self._with_state(lambda db: creds.create_key(db, name=name, scopes=scopes))

    def revoke_key(self, api_key: str) -> bool:
        """Revoke a key (or key id); a running server refuses it from the next request on."""
        return self._with_state(lambda db: creds.revoke_key(db, api_key)) is not None

    def revoke_client(self, client_id: str) -> bool:
        """Revoke an OAuth client and its tokens, from the next request on."""
        return self._with_state(lambda db: creds.revoke_client(db, client_id))

    def call(self, work: Callable[[Backend], Awaitable[T]], timeout: float = 30.0) -> T:
        """Run `work(backend)` on the server's loop (to inspect or seed the clinic from a test)."""
        if self._loop is None or self._ctx is None or not self.running:
            raise RuntimeError("the sandbox is not running")
        ctx = self._ctx

        async def run() -> T:
            return await work(ctx.backend)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self, timeout: float = 120.0) -> SandboxServer:
        """Start in a background thread and return once it accepts connections."""
        if self.running:
            return self
        ready = threading.Event()
        sock = self._listening()
        failures: list[BaseException] = []
        factory = _loop_factory()

        def main() -> None:
            try:
                with asyncio.Runner(loop_factory=factory) as runner:
                    runner.run(self._serve(sock, ready))
            except BaseException as exc:  # reported to start(); SystemExit included
                failures.append(exc)
            finally:
                ready.set()

        thread = threading.Thread(target=main, name="sandbox-server", daemon=True)
        self._thread = thread
        thread.start()
        started = ready.wait(timeout) and thread.is_alive()
        if not started or failures:
            self.stop()
            raise RuntimeError("the sandbox did not start") from (failures[0] if failures else None)
        return self

    def serve_forever(self, on_ready: Callable[[SandboxServer], None] | None = None) -> None:
        """Run in the calling (main) thread until Ctrl-C or SIGTERM."""
        ready = threading.Event()
        sock = self._listening()

        async def serve() -> None:
            task = asyncio.create_task(self._serve(sock, ready))
            # `ready` is a threading.Event (set from uvicorn's startup): poll it cheaply.
            while not ready.is_set() and not task.done():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            if on_ready is not None and not task.done():
                on_ready(self)
            await task

        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(serve())

    def stop(self, timeout: float = 30.0) -> None:
        """Stop serving; open streams end, the store and state stay for a restart."""
        server, loop, thread = self._server, self._loop, self._thread
        if server is not None:
            server.should_exit = True
        if loop is not None and thread is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(lambda: None)  # wake the loop to see should_exit
        if thread is not None:
            thread.join(timeout)
        self._thread = None
        self._server = None
        self._loop = None
        self._ctx = None

    def restart(self) -> SandboxServer:
        self.stop()
        return self.start()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- internals -----------------------------------------------------------------------------

    def _listening(self) -> socket.socket:
        """The socket to serve on; a key given is valid before the first request is answered."""
        sock = self._bind()
        self._take_given_key()
        return sock

    def _take_given_key(self) -> None:
        """The key given at construction, registered once, as this server's key."""
        key = self._given_key
        if self._api_key is None and key is not None:
            self._with_state(lambda db: creds.register_key(db, key, name=DESK_KEY_NAME))
            self._api_key = key

    def _bind(self) -> socket.socket:
        if self._given_socket is not None:
            sock, self._given_socket = self._given_socket, None
            self._port = sock.getsockname()[1]
            return sock
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        # A restart on the same port must not wait for TIME_WAIT connections to expire.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self._port))
        except OSError:
            sock.close()
            raise
        sock.set_inheritable(True)
        self._port = sock.getsockname()[1]
        return sock

    def _open_backend(self) -> Backend:
        if self._backend_factory is not None:
            return self._backend_factory()
        from frontdesk_app.local.backend import LocalBackend

        timeout = self.config.offer_timeout_seconds
        if self._clock is not None:
            return LocalBackend.open(
                self.db_path, demo=self.demo, clock=self._clock, offer_timeout_s=timeout
            )
        return LocalBackend.open(self.db_path, demo=self.demo, offer_timeout_s=timeout)

    async def _serve(self, sock: socket.socket, ready: threading.Event) -> None:
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        backend = self._open_backend()
        try:
            app = create_app(backend, state_path=self.state_path, config=self.config)
            self._ctx = app.state.sandbox
            config = uvicorn.Config(
                app,
                log_config=None,
                access_log=False,
                lifespan="on",
                http=_http_impl(),
                ws="none",
                timeout_graceful_shutdown=self._graceful,
                # Connections are few and local; keep idle ones long enough for client pools.
                timeout_keep_alive=30,
            )
            assert self._ctx is not None
            server = _Uvicorn(config, ready, self._ctx)
            self._server = server
            self._loop = asyncio.get_running_loop()
            await server.serve(sockets=[sock])
        finally:
            sock.close()
            await backend.aclose()

    def _with_state(self, work: Callable[[StateDB], T]) -> T:
        db = StateDB(self.state_path)
        try:
            return work(db)
        finally:
            db.close()
