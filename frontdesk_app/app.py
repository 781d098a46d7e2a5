"""The desktop app's composition root: Qt application, qasync loop, window, then the backend.

The window is shown before anything heavy is imported (SQLAlchemy, httpx, FastAPI): the first
frame costs little more than a bare PySide6 window, and the clinic loads behind a "starting"
page. The backend is chosen from the settings (or the command line):

- bundled (default on a fresh machine): the sandbox shipped with the app, with the demo
  clinic, on a free loopback port, behind the same offline-first layer as production;
- sandbox / production / custom: the FrontDeskOS API, credentials from the keyring;
- standalone: the embedded store only.

The desk's own stores (the standalone clinic, the offline mirror and its outbox) are encrypted
with SQLCipher under the desk's store key, and record an audit log; the bundled sandbox's
store stays plain (it holds only the synthetic demo clinic). The store key is kept only in
key slots (`store.desk_keys`): the window starts locked, and the first person to sign in
opens the stores; where the OS keyring holds a slot, the stores open (and sync) at once,
behind the lock. Only a `--smoke` run at a computer nobody was set up at runs without a
person (and there the demo clinic's copy may stay plain when there is no keyring).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import qasync
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication

from frontdesk_app import runtime
from frontdesk_app.config import APP_NAME, Settings, config_dir, data_dir, load_settings
from frontdesk_app.domain import threads
from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import AuthenticationFailed, FrontDeskError
from frontdesk_app.ui.main_window import MainWindow
from frontdesk_app.ui.resources import icon, stylesheet

if TYPE_CHECKING:
    from frontdesk_app.store.audit import AuditTrail
    from frontdesk_app.store.db import Store
    from frontdesk_app.store.desk_keys import DeskKeys
    from frontdesk_app.ui.lock.controller import LockController

log = logging.getLogger(__name__)
# How long a start waits for the schedule: a first start has nothing to show without it; a
# later one shows its offline copy if the server has not answered almost at once.
PULL_WAIT = 60.0
OFFLINE_COPY_WAIT = 1.5
SETTLE_AFTER_MS = 1000  # after the calendar's data is painted: the heap is settled (runtime.py)
ENV_LABELS = {
    "bundled": "Demo clinic",
    "sandbox": "Sandbox",
    "production": "Production",
    "custom": "Custom server",
    "standalone": "Standalone",
}
Progress = Callable[[str, str], None]


class SetupNeeded(FrontDeskError):
    """The chosen API has no saved credentials (or they were refused): open the settings."""

    code = "setup_needed"
    title = "Sign-in details needed"


@dataclass
class Services:
    """The backend the window holds, and what has to be stopped after it."""

    backend: Backend
    environment: str
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # The desk's own (encrypted) store, where the audit log is kept.
    store: Store | None = None

    @property
    def label(self) -> str:
        return ENV_LABELS.get(self.environment, self.environment)

    async def aclose(self) -> None:
        await self.backend.aclose()
        for close in reversed(self.closers):
            try:
                await close()
            except Exception:
                log.exception("closing a service failed")


def effective_settings(settings: Settings, args: argparse.Namespace) -> Settings:
    """Command-line choices override the saved settings for this run only."""
    if getattr(args, "standalone", False):
        return replace(settings, environment="standalone")
    if getattr(args, "bundled", False):
        return replace(settings, environment="bundled")
    if getattr(args, "api_url", None):
        return replace(settings, environment="custom", custom_url=args.api_url)
    return settings


async def start_services(
    settings: Settings,
    *,
    db: str | None,
    progress: Progress,
    key: str | None,
    audit: AuditTrail | None = None,
) -> Services:
    """Open the backend the settings ask for, the desk's stores with the store `key` (None
    only where nobody was set up yet and there is no keyring: then only the demo clinic's
    copy may open, unencrypted). Heavy modules are imported here, not above."""
    env = settings.environment
    trail = audit or _audit_trail(settings)
    if env == "standalone":
        progress("Opening the clinic…", "Working on this computer only.")
        from frontdesk_app.local.backend import LocalBackend

        path = Path(db) if db else data_dir() / "standalone.sqlite"
        store_key = _required(key)
        local = await asyncio.to_thread(
            functools.partial(LocalBackend.open, path, demo=True, key=store_key, audit=trail)
        )
        return Services(local, env, store=local.store)

    from frontdesk_app.api import ApiBackend, ApiKey, Credentials, load_credentials
    from frontdesk_app.store.sealed_secrets import use_for_credentials
    from frontdesk_app.sync.backend import OfflineFirstBackend
    from frontdesk_app.sync.engine import Engine
    from frontdesk_app.sync.facade import EngineBackend

    async def forget_vault() -> None:
        use_for_credentials(data_dir(), None)

    credentials: Credentials | None
    # Without a keyring the API's credentials are sealed under the store key in the desk file;
    # that vault is open while these services are, and closed with them.
    use_for_credentials(data_dir(), key)
    closers: list[Callable[[], Awaitable[None]]] = [forget_vault]
    if env == "bundled":
        progress(
            "Starting the demo clinic…",
            "The sandbox runs on this computer. The first start creates a synthetic demo "
            "clinic, which takes a few seconds.",
        )
        # Its own process: its threads and GIL are not the desk's, and a crash there is a
        # restart (the desk is offline for a moment), not a dead desk.
        from frontdesk_app.sandbox.process import SandboxProcess

        server = await SandboxProcess(data_dir() / "bundled-sandbox.sqlite").start()
        closers.append(server.stop)
        base_url = server.base_url
        credentials = ApiKey(server.api_key)
    else:
        base_url = _base_url(settings)
        api_key = os.environ.get("FRONTDESK_API_KEY") if env == "custom" else None
        credentials = (
            ApiKey(api_key)
            if api_key
            else await asyncio.to_thread(
                lambda: load_credentials(
                    environment=env, auth_method=settings.auth_method, client_id=settings.client_id
                )
            )
        )
        if credentials is None:
            raise SetupNeeded(
                "FrontDesk has no API key or OAuth client saved for this server. "
                "Enter them in Settings (Ctrl+,)."
            )
    progress("Connecting…", base_url)
    mirror = Path(db) if db else data_dir() / f"mirror-{env}.sqlite"
    # The API client, the replayer, the event stream and the puller live on the sync engine's
    # thread; the window holds the facade (see domain/threads.py).
    engine = Engine().start()

    async def open_on_engine() -> OfflineFirstBackend:
        api = ApiBackend(base_url=base_url, credentials=credentials)
        try:
            return await OfflineFirstBackend.open(mirror, api, key=mirror_key, audit=trail)
        except BaseException:
            await api.aclose()
            raise

    try:
        mirror_key = await asyncio.to_thread(_mirror_key, mirror, env, key)
        backend = await EngineBackend.open(engine, open_on_engine)
    except BaseException:
        await engine.stop()
        for close in closers:
            await close()
        raise
    services = Services(backend, env, closers, store=backend.local.store)
    # With an offline copy from an earlier start the calendar opens from it at once (the pull
    # catches up behind it, and the status bar says whether the server answers); only a desk
    # that never pulled waits for the clinic's schedule.
    has_copy = await backend.has_offline_copy()
    if not has_copy:
        progress("Fetching the clinic's schedule…", "Later starts only fetch what changed.")
    wait = OFFLINE_COPY_WAIT if has_copy else PULL_WAIT
    if not await backend.wait_pulled(wait, unless_down=has_copy):
        log.info("schedule not fetched within %s s; opening with the local copy", wait)
    if backend.state.detail and "sign" in backend.state.detail.lower():
        await services.aclose()
        raise AuthenticationFailed(backend.state.detail)
    return services


def _mirror_key(path: Path, env: str, key: str | None) -> str | None:
    """The offline copy's key. Only the demo clinic's copy (synthetic data) may stay plain on
    a computer where nobody was set up and there is no keyring, so that the demo still opens
    there; it is encrypted in place as soon as the desk has a key. Real clinics' copies are
    never left plain."""
    from frontdesk_app.store.encryption import file_state

    if key is not None or env != "bundled" or file_state(path) == "encrypted":
        return _required(key)
    log.warning("no store key yet: the demo clinic's offline copy is kept unencrypted")
    return None


def _required(key: str | None) -> str:
    from frontdesk_app.store.encryption import KeyringUnavailable

    if key is None:
        raise KeyringUnavailable(
            "This computer has no password store (keyring) to keep the clinic's key in, and "
            "nobody has signed in yet. Set up the first person at the lock screen; the "
            "clinic's data opens when they sign in."
        )
    return key


def _audit_trail(settings: Settings) -> AuditTrail:
    """Entries name the person logged in to this computer and the workstation."""
    from frontdesk_app.store.audit import AuditTrail, current_actor

    return AuditTrail(current_actor(settings.workstation_name))


def _base_url(settings: Settings) -> str:
    from frontdesk_app.api import InsecureBaseUrl, validate_base_url

    url = settings.base_url()
    if not url:
        raise SetupNeeded("Enter the API's address in Settings (Ctrl+,).")
    try:
        return validate_base_url(url)
    except InsecureBaseUrl as exc:
        raise SetupNeeded(str(exc)) from None


class AppRunner:
    """Owns the services and the window's attachment to them, across settings changes."""

    def __init__(
        self,
        window: MainWindow,
        args: argparse.Namespace,
        settings: Settings,
        *,
        desk: DeskKeys,
        lock: LockController | None = None,
    ) -> None:
        self.window = window
        self.args = args
        self.settings = settings
        self.desk = desk
        self.lock = lock
        self.services: Services | None = None
        self.closed = asyncio.Event()
        self._restart: asyncio.Task[None] | None = None
        window.closing.connect(self.closed.set)
        window.settings_changed.connect(self._on_settings_changed)
        from frontdesk_app.ui.lock.session import DeskSession

        self.session = DeskSession(
            window,
            desk,
            lock,
            _audit_trail(settings),
            store=lambda: self.services.store if self.services is not None else None,
            reopen=self._reopen_encrypted,
        )

    async def connect(self) -> bool:
        try:
            key = await self.session.store_key(self.settings.environment)
            self.services = await start_services(
                self.settings,
                db=self.args.db,
                progress=self.window.set_starting,
                key=key,
                audit=self.session.trail,
            )
        except (FrontDeskError, OSError, RuntimeError) as exc:
            self._explain_failure(exc)
            return False
        self.window.attach(self.services.backend, environment=self.services.label)
        self.session.store_opened()
        self._when_the_calendar_shows()
        return True

    def _when_the_calendar_shows(self) -> None:
        """When the calendar first shows data: one log line (for IT, and for the tests that
        start the app as a desk does and wait for it), and the heap is settled."""
        calendar: Any = self.window.panel("calendar")
        if calendar is None:
            return

        def on_loaded(count: int) -> None:
            calendar.data_loaded.disconnect(on_loaded)
            log.info("calendar shown: %d appointments in view", count)
            # Start-up is over: once this is painted, what it built is frozen out of later
            # full collections, which would otherwise stall the window (see runtime.py).
            QTimer.singleShot(SETTLE_AFTER_MS, _settle_heap)

        calendar.data_loaded.connect(on_loaded)

    def _explain_failure(self, exc: BaseException) -> None:
        if isinstance(exc, FrontDeskError):
            self.window.set_starting(exc.title, exc.message, failed=True)
            if isinstance(exc, SetupNeeded | AuthenticationFailed) and not self.args.smoke:
                self.window.open_settings()
        else:
            log.error("could not start the clinic: %s", type(exc).__name__, exc_info=exc)
            self.window.set_starting(
                "The clinic could not be opened",
                "Check the connection settings (Ctrl+,), or start in standalone mode. "
                "Details are in the log.",
                failed=True,
            )

    def open_audit(self) -> None:
        """File → Audit log…: the administrator's read-only view of this desk's audit log."""
        store = self.services.store if self.services is not None else None
        if store is None:
            self.window.message.show_message(
                "The audit log is not available yet",
                "It opens once the clinic's data on this computer is open.",
                level="info",
            )
            return
        from frontdesk_app.ui.audit_view import AuditView

        view = AuditView(store, zone=ZoneInfo(self.settings.clinic_timezone), parent=self.window)
        view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        view.open()
        view.search()

    async def disconnect(self) -> None:
        await self.window.detach()
        if self.services is not None:
            services, self.services = self.services, None
            await services.aclose()

    def _on_settings_changed(self, settings: Settings, reconnect: bool) -> None:
        self.settings = settings
        if reconnect and (self._restart is None or self._restart.done()):
            self._restart = asyncio.ensure_future(self._reconnect())

    def _reopen_encrypted(self) -> None:
        """The demo clinic opened plain before anybody was set up: open it again, encrypted."""
        if self._restart is None or self._restart.done():
            self._restart = asyncio.ensure_future(self._reconnect())

    async def _reconnect(self) -> None:
        await self.disconnect()
        self.window.set_starting("Reconnecting…")
        await self.connect()

    async def main(self) -> int:
        if getattr(self.args, "sign_in_stdin", False):
            self.session.sign_in_from_stdin()
        if self.args.smoke:
            return await self.smoke()
        await self.connect()
        await self.closed.wait()
        if self._restart is not None:
            await asyncio.gather(self._restart, return_exceptions=True)
        await self.disconnect()
        return 0

    async def smoke(self) -> int:
        """Exit 0 once the calendar shows appointments, 1 if not within the timeout (which
        counts from the start, services included). A day with no appointments (a Sunday) is
        not a failure: the week is tried next."""
        ok = False
        try:
            async with asyncio.timeout(self.args.smoke_timeout):
                if await self.connect():
                    await self._calendar_shows_data()
                    ok = True
        except TimeoutError:
            log.error("smoke: no appointments shown within %s s", self.args.smoke_timeout)
        await self.disconnect()
        print("smoke: ok" if ok else "smoke: FAILED", flush=True)
        return 0 if ok else 1

    async def _calendar_shows_data(self) -> None:
        calendar: Any = self.window.panel("calendar")
        if calendar is None:
            raise TimeoutError
        shown = asyncio.Event()

        def on_loaded(count: int) -> None:
            if count > 0 and calendar.view.columns:
                shown.set()
            elif calendar.mode == "day":
                calendar.set_mode("week")

        calendar.data_loaded.connect(on_loaded)
        if calendar.loaded:
            on_loaded(len(calendar.model))
        await shown.wait()


def _settle_heap() -> None:
    log.info("start-up heap settled: %d objects frozen", runtime.settle_heap())


def _finish_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is still running (a stream reader, a retry) before the loop closes."""
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def _install_error_hooks(window: MainWindow, loop: asyncio.AbstractEventLoop) -> None:
    """Exceptions escaping Qt slots or stray tasks reach the same error sink as the rest."""

    def excepthook(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        window.errors.report(exc.with_traceback(tb))

    def loop_handler(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, BaseException):
            window.errors.report(exc)
        else:
            log.error("event loop: %s", context.get("message", "unknown problem"))

    sys.excepthook = excepthook
    loop.set_exception_handler(loop_handler)


def _install_lock(
    window: MainWindow, settings: Settings, desk: DeskKeys, *, smoke: bool
) -> LockController:
    """Sign-in and the idle lock. The window starts locked (sign in, or set up the first
    person), except in a `--smoke` run at a computer nobody was set up at."""
    from frontdesk_app.domain.errors import FrontDeskError as DeskError
    from frontdesk_app.ui.lock.controller import LockController, idle_timeout_ms

    try:
        nobody = not desk.people() and not desk.has_key()
    except DeskError:
        nobody = False
    controller = LockController(
        window, desk, timeout_ms=idle_timeout_ms(settings), require_person=not (smoke and nobody)
    )
    controller.install()
    window.settings_changed.connect(controller.on_window_settings_changed)
    return controller


def run(args: argparse.Namespace) -> int:
    from frontdesk_app.logs import configure_logging

    configure_logging("frontdesk-app")
    # This thread is the GUI's: HTTP and the sync engine never run here (domain/threads.py).
    threads.mark("gui")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setWindowIcon(icon("app"))
    app.setStyleSheet(stylesheet())
    # The app decides when to quit (after the backend has closed), not the last window.
    app.setQuitOnLastWindowClosed(False)
    settings = effective_settings(load_settings(), args)
    qsettings = QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, qsettings=qsettings)
    window.show()
    # Paint the first frame now: everything after this (FastAPI, httpx, SQLAlchemy) is imported
    # inside the first coroutine, and the window must not wait for those imports to appear.
    app.processEvents()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    _install_error_hooks(window, loop)
    from frontdesk_app.store.desk_keys import DeskKeys
    from frontdesk_app.ui.audit_menu import add_audit_action, add_people_action, set_audit_sink

    desk = DeskKeys(data_dir())
    lock = _install_lock(window, settings, desk, smoke=bool(args.smoke))
    runner = AppRunner(window, args, settings, desk=desk, lock=lock)
    add_audit_action(window, runner.open_audit)
    add_people_action(window, runner.session.open_people)
    set_audit_sink(runner.session.record_view)
    try:
        code = int(loop.run_until_complete(runner.main()))
    except KeyboardInterrupt:
        code = 130
    finally:
        _finish_tasks(loop)
        sys.excepthook = sys.__excepthook__
        set_audit_sink(None)
        window.hide()
        window.deleteLater()
        app.processEvents()
        del window, runner
        icon.cache_clear()
        loop.close()
        asyncio.set_event_loop(None)
    return code
