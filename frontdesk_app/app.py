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
import importlib
import logging
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication

from frontdesk_app import runtime
from frontdesk_app.config import APP_NAME, Settings, config_dir, data_dir, load_settings
from frontdesk_app.domain import threads
from frontdesk_app.domain.errors import AuthenticationFailed, FrontDeskError
from frontdesk_app.ui.collector import GuiCollector
from frontdesk_app.ui.lock.stdin import start_reading
from frontdesk_app.ui.main_window import MainWindow
from frontdesk_app.ui.resources import icon, stylesheet

if TYPE_CHECKING:
    from frontdesk_app.app_services import Services
    from frontdesk_app.sandbox.process import SandboxProcess
    from frontdesk_app.store.desk_keys import DeskKeys
    from frontdesk_app.ui.lock.controller import Backlog, LockController

log = logging.getLogger(__name__)
SETTLE_AFTER_MS = 1000  # after the calendar's data is painted: the heap is settled (runtime.py)


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
        backlog: Backlog | None = None,
        sandbox: SandboxProcess | None = None,
        closed: asyncio.Event | None = None,
        collector: GuiCollector | None = None,
    ) -> None:
        self.window = window
        self._collector = collector
        self.args = args
        self.settings = settings
        self.desk = desk
        self.lock = lock
        self.services: Services | None = None
        # The bundled sandbox, launched before the window; the first connect takes it.
        self._early_sandbox = sandbox
        self._restart: asyncio.Task[None] | None = None
        # Given when the window could close before this runner existed (while the app loads).
        self.closed = closed or asyncio.Event()
        if closed is None:
            window.closing.connect(self.closed.set)
        window.settings_changed.connect(self._on_settings_changed)
        from frontdesk_app.app_services import audit_trail
        from frontdesk_app.ui.lock.session import DeskSession

        self.session = DeskSession(
            window,
            desk,
            lock,
            audit_trail(settings),
            store=lambda: self.services.store if self.services is not None else None,
            reopen=self._reopen_encrypted,
            backlog=backlog,
        )

    async def connect(self) -> bool:
        from frontdesk_app.app_services import start_services

        try:
            key = await self.session.store_key(self.settings.environment)
            sandbox = await self._take_early_sandbox(keep=self.settings.environment == "bundled")
            self.services = await start_services(
                self.settings,
                db=self.args.db,
                progress=self.window.set_starting,
                key=key,
                audit=self.session.trail,
                sandbox=sandbox,
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
            # full collections, which would otherwise stall the window (see runtime.py), and
            # the collections held while it was built resume (ui/collector.py).
            QTimer.singleShot(SETTLE_AFTER_MS, self._settle_heap)

        calendar.data_loaded.connect(on_loaded)

    def _settle_heap(self) -> None:
        if self._collector is None:
            log.info("start-up heap settled: %d objects frozen", runtime.settle_heap())
            return
        before = sum(self._collector.collections)
        frozen = self._collector.settle()
        log.info("start-up heap settled: %d objects frozen, %d collections before", frozen, before)

    def _explain_failure(self, exc: BaseException) -> None:
        if isinstance(exc, FrontDeskError):
            self.window.set_starting(exc.title, exc.message, failed=True)
            from frontdesk_app.app_services import SetupNeeded

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
        await self._take_early_sandbox(keep=False)  # closed before the first connect took it
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

    async def _take_early_sandbox(self, *, keep: bool) -> SandboxProcess | None:
        """The sandbox launched before the window, once: for a bundled connect (`keep`), else
        stopped (the settings changed before the first connect, or the desk closes first)."""
        early, self._early_sandbox = self._early_sandbox, None
        if early is None or keep:
            return early
        await early.stop()
        return None

    async def main(self) -> int:
        if self.args.smoke:
            return await self.smoke()
        connecting = asyncio.ensure_future(self.connect())
        await self.closed.wait()
        if not connecting.done():  # closed before the desk opened: at the lock page, say
            connecting.cancel()
        await asyncio.gather(connecting, return_exceptions=True)
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


# What a desk imports between its lock page and the calendar, in that order (app_services and
# MainWindow.attach import the same; a test holds the names to real modules).
WARM_UP_FIRST = ("frontdesk_app.ui.lock.session", "frontdesk_app.app_services")
WARM_UP_SERVICES = {
    "standalone": ("frontdesk_app.local.backend",),
    "remote": (
        "frontdesk_app.local.backend",
        "frontdesk_app.api",
        "frontdesk_app.store.sealed_secrets",
        "frontdesk_app.sync.backend",
        "frontdesk_app.sync.engine",
        "frontdesk_app.sync.facade",
    ),
}
WARM_UP_WINDOW = ("frontdesk_app.ui.events", "frontdesk_app.ui.panels")


def warm_up_modules(environment: str) -> tuple[str, ...]:
    services = WARM_UP_SERVICES["standalone" if environment == "standalone" else "remote"]
    return (*WARM_UP_FIRST, *services, *WARM_UP_WINDOW)


async def warm_up(modules: tuple[str, ...]) -> None:
    """Import `modules` one per turn of the event loop: the lock page keeps answering between
    two (a module takes up to ~0.2 s), and a sign-in's key derivation runs on its thread
    meanwhile, where it would otherwise wait for these imports or be followed by them. Only
    earlier than where the app imports them anyway, never different."""
    for name in modules:
        await asyncio.sleep(0)
        importlib.import_module(name)


async def _desk(
    window: MainWindow, settings: Settings, make_runner: Callable[..., AppRunner]
) -> int:
    """The desk's life once the lock page is up: the rest of the app loads in turns of the
    loop while a sign-in (its key derivation on a thread of its own) goes on, then runs
    (`make_runner`: the runner with all but the window's closing, made once they have loaded)."""
    from frontdesk_app.ui.audit_menu import add_audit_action, add_people_action, set_audit_sink

    closed = asyncio.Event()
    window.closing.connect(closed.set)  # (a person may close the window while the app loads)
    await warm_up(warm_up_modules(settings.environment))
    runner = make_runner(closed=closed)
    add_audit_action(window, runner.open_audit)
    add_people_action(window, runner.session.open_people)
    set_audit_sink(runner.session.record_view)
    return await runner.main()


def _launch_bundled_sandbox(settings: Settings) -> SandboxProcess | None:
    """A bundled desk's sandbox starts before its window, in its own process (another core),
    and boots while the window paints, the person signs in and the app loads (it needs no key:
    the demo clinic's file is plain). It exits with the desk (its standard input closes)."""
    if settings.environment != "bundled":
        return None
    from frontdesk_app.sandbox.process import bundled_sandbox

    return bundled_sandbox(data_dir()).launch()


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


def _effective_settings(settings: Settings, args: argparse.Namespace) -> Settings:
    """Command-line choices override the saved settings for this run only."""
    if getattr(args, "standalone", False):
        return replace(settings, environment="standalone")
    if getattr(args, "bundled", False):
        return replace(settings, environment="bundled")
    if getattr(args, "api_url", None):
        return replace(settings, environment="custom", custom_url=args.api_url)
    return settings


def run(args: argparse.Namespace) -> int:
    from frontdesk_app.logs import configure_logging

    configure_logging("frontdesk-app")
    # `--sign-in-stdin`: read from now on, so that the sign-in starts once the lock page is up.
    sign_in_lines = start_reading() if getattr(args, "sign_in_stdin", False) else None
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
    # Before any other thread starts: cyclic garbage is collected on this thread only, and not
    # before start-up is over (the runner settles the heap once the calendar shows its data).
    collector = GuiCollector(app)
    collector.start(held=True)
    settings = _effective_settings(load_settings(), args)
    early = _launch_bundled_sandbox(settings)
    qsettings = QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, qsettings=qsettings)
    window.show()
    # Paint the first frame now: everything after this (FastAPI, httpx, SQLAlchemy) is imported
    # inside the first coroutine, and the window must not wait for those imports to appear.
    app.processEvents()
    # Only now the rest: the event loop's bridge, the models, the services (app_services).
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    _install_error_hooks(window, loop)
    from frontdesk_app.store.desk_keys import DeskKeys
    from frontdesk_app.ui.audit_menu import set_audit_sink
    from frontdesk_app.ui.lock.controller import Backlog

    desk = DeskKeys(data_dir())
    lock = _install_lock(window, settings, desk, smoke=bool(args.smoke))
    backlog = Backlog(lock)  # a sign-in while the app loads is heard by its session later
    if sign_in_lines is not None:
        lock.sign_in_from(sign_in_lines)
    try:
        code = int(
            loop.run_until_complete(
                _desk(
                    window,
                    settings,
                    functools.partial(
                        AppRunner,
                        window,
                        args,
                        settings,
                        desk=desk,
                        lock=lock,
                        backlog=backlog,
                        sandbox=early,
                        collector=collector,
                    ),
                )
            )
        )
    except KeyboardInterrupt:
        code = 130
    finally:
        _finish_tasks(loop)
        sys.excepthook = sys.__excepthook__
        set_audit_sink(None)
        window.hide()
        window.deleteLater()
        app.processEvents()
        del window
        icon.cache_clear()
        loop.close()
        asyncio.set_event_loop(None)
        collector.stop()
    return code
