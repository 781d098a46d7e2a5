"""`LockController`: after idle time the main window shows only the lock page.

Locking swaps the window's central widget for the lock page (both live in one stacked widget,
so the panels keep their state, their timers and their backend subscriptions), hides every
other window of the app (dialogs, message boxes; popups are closed) and disables the menus,
the window's shortcuts and the status bar's buttons. A window that tries to appear while
locked is hidden too, and shown again after unlocking, as are the dialogs hidden at lock
time: what the person was typing is still there.

The lock is view-only: the backend keeps syncing, and the live-calls panel keeps ringing
(its tray message names the kind of call, never the caller); the lock page says that a
call is waiting and how urgent it is, without who.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QToolTip,
    QWidget,
)

from frontdesk_app.config import Settings
from frontdesk_app.ui.calls.notifier import tray_title
from frontdesk_app.ui.calls.queue import TransferQueue
from frontdesk_app.ui.lock.credential import WorkstationLock, weakness
from frontdesk_app.ui.lock.idle import IdleWatcher
from frontdesk_app.ui.lock.page import LockPage

log = logging.getLogger(__name__)

DEFAULT_MINUTES = 5
MAX_MINUTES = 240
MAX_TRIES = 5
HOLD_OFF_MS = 30_000
_TRANSIENT = (Qt.WindowType.Popup, Qt.WindowType.ToolTip)


def idle_timeout_ms(settings: Settings) -> int:
    """The settings' idle time in milliseconds (1 to 240 minutes; 5 if unreadable)."""
    try:
        minutes = int(settings.idle_lock_minutes)
    except (TypeError, ValueError):
        minutes = DEFAULT_MINUTES
    return max(1, min(minutes, MAX_MINUTES)) * 60_000


class LockController(QObject):
    """Puts the idle lock on `window`; `install()` once the window exists."""

    locked_changed = Signal(bool)

    def __init__(self, window: QMainWindow, lock: WorkstationLock, *, timeout_ms: int) -> None:
        super().__init__(window)
        self._window = window
        self._lock = lock
        self.page = LockPage()
        self.watcher = IdleWatcher(timeout_ms, self)
        self.watcher.idle.connect(self.on_watcher_idle)
        self.stack: QStackedWidget | None = None
        self.content: QWidget | None = None
        self.locked = False
        self._hidden: list[QWidget] = []
        self._disabled: list[QAction | QWidget] = []
        self._failures = 0
        self._task: asyncio.Future[None] | None = None
        self._unfollow_calls: Callable[[], None] | None = None
        self._hold = QTimer(self)
        self._hold.setSingleShot(True)
        self._hold.timeout.connect(self.on_hold_timeout)
        self.lock_action = QAction("&Lock now", window)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.triggered.connect(lambda _checked=False: self.lock())
        self.page.unlock_requested.connect(self.on_page_unlock_requested)
        self.page.setup_requested.connect(self.on_page_setup_requested)

    # --- setting up ---------------------------------------------------------------------------

    def install(self) -> None:
        """Wrap the central widget, add File → Lock now, start watching; on first run (no PIN
        yet) lock at once and ask for one."""
        content = self._window.takeCentralWidget()
        if content is None:
            content = QWidget()
        stack = QStackedWidget()
        stack.setObjectName("lockStack")
        stack.addWidget(content)
        stack.addWidget(self.page)
        stack.setCurrentWidget(content)
        self._window.setCentralWidget(stack)
        self.stack, self.content = stack, content
        self._window.addAction(self.lock_action)
        menus = [m for m in (a.menu() for a in self._window.menuBar().actions()) if m]
        if menus and isinstance(menus[0], QMenu):
            first = menus[0]
            if first.actions():
                first.insertAction(first.actions()[0], self.lock_action)
            else:
                first.addAction(self.lock_action)
        self.watcher.start()
        if not self._lock.is_set():
            self.lock(setup=True)

    def on_window_settings_changed(self, settings: object, _reconnect: bool = False) -> None:
        if isinstance(settings, Settings):
            self.watcher.set_timeout(idle_timeout_ms(settings))

    # --- locking ------------------------------------------------------------------------------

    def on_watcher_idle(self) -> None:
        self.lock()

    def lock(self, *, setup: bool = False) -> None:
        """Hide everything about patients now (`setup`: ask for a first PIN)."""
        if self.stack is None:
            return
        if self.locked:
            if setup:
                self.page.show_mode("setup")
            return
        self.locked = True
        self.watcher.pause()
        self.page.show_mode("setup" if setup else "unlock")
        QToolTip.hideText()
        for widget in QApplication.topLevelWidgets():
            self._put_away(widget)
        self.stack.setCurrentWidget(self.page)
        self._set_chrome_enabled(False)
        app = QCoreApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self._follow_calls()
        self.page.focus_input()
        log.info("workstation locked (%s)", "first run" if setup else "idle or asked")
        self.locked_changed.emit(True)

    def _release(self) -> None:
        if not self.locked or self.stack is None or self.content is None:
            return
        self.locked = False
        app = QCoreApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        if self._unfollow_calls is not None:
            self._unfollow_calls()
            self._unfollow_calls = None
        self.page.clear()
        self.page.set_waiting_calls("")
        self._failures = 0
        self.stack.setCurrentWidget(self.content)
        self._set_chrome_enabled(True)
        hidden, self._hidden = self._hidden, []
        for widget in hidden:
            if shiboken6.isValid(widget) and not widget.isVisible():
                widget.show()
        self.watcher.resume()
        log.info("workstation unlocked")
        self.locked_changed.emit(False)

    def _put_away(self, widget: QWidget) -> None:
        """Hide a window other than the main one (close it if it is a popup or tooltip)."""
        if (
            not shiboken6.isValid(widget)
            or widget is self._window
            or not widget.isWindow()
            or not widget.isVisible()
        ):
            return
        if widget.windowType() in _TRANSIENT:
            widget.close()
            return
        widget.hide()
        if widget not in self._hidden:
            self._hidden.append(widget)
            if isinstance(widget, QDialog):
                # Answered or closed by its owner meanwhile: it must not come back at unlock.
                widget.finished.connect(lambda _result, w=widget: self._forget(w))

    def _forget(self, widget: QWidget) -> None:
        if widget in self._hidden:
            self._hidden.remove(widget)

    def _set_chrome_enabled(self, enabled: bool) -> None:
        if not enabled:
            parts: list[QAction | QWidget] = [self._window.menuBar(), self._window.statusBar()]
            parts.extend(self._window.actions())
            for top in self._window.menuBar().actions():
                menu = top.menu()
                if isinstance(menu, QMenu):
                    parts.extend(menu.actions())
            self._disabled = [p for p in parts if p.isEnabled()]
            for part in self._disabled:
                part.setEnabled(False)
            return
        for part in self._disabled:
            if shiboken6.isValid(part):
                part.setEnabled(True)
        self._disabled = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Installed only while locked: a dialog or message box opened by work still running
        # in the background is put away as it appears, and shown again after unlocking.
        if event.type() == QEvent.Type.Show and isinstance(watched, QWidget) and watched.isWindow():
            QTimer.singleShot(0, self, lambda w=watched: self._put_away_late(w))
        return False

    def _put_away_late(self, widget: QWidget) -> None:
        if self.locked:
            self._put_away(widget)

    # --- calls while locked -------------------------------------------------------------------

    def _follow_calls(self) -> None:
        panel: Any = getattr(self._window, "panel", None)
        calls = panel("calls") if callable(panel) else None
        queue = getattr(calls, "queue", None)
        if not isinstance(queue, TransferQueue):
            return

        def on_change(_change: object) -> None:
            self._show_calls(queue)

        self._unfollow_calls = queue.add_listener(on_change)
        self._show_calls(queue)

    def _show_calls(self, queue: TransferQueue) -> None:
        waiting = queue.queue()
        if not waiting:
            self.page.set_waiting_calls("")
            return
        count = f"{len(waiting)} calls waiting" if len(waiting) > 1 else "1 call waiting"
        self.page.set_waiting_calls(f"{tray_title(waiting[0])} — {count}. Unlock to take it.")

    # --- unlocking ----------------------------------------------------------------------------

    def on_page_unlock_requested(self, secret: str) -> None:
        if self._busy() or self._hold.isActive():
            return
        self.page.set_busy(True)
        self._task = asyncio.ensure_future(self._check(secret))

    def on_page_setup_requested(self, secret: str, confirmation: str) -> None:
        if self._busy():
            return
        if secret != confirmation:
            self.page.set_error("The two entries differ: type the same PIN twice.")
            return
        problem = weakness(secret)
        if problem is not None:
            self.page.set_error(problem)
            return
        self.page.set_busy(True, "Saving…")
        self._task = asyncio.ensure_future(self._save(secret))

    def _busy(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _check(self, secret: str) -> None:
        try:
            ok = await asyncio.to_thread(self._lock.verify, secret)
        except Exception:
            log.exception("checking the workstation PIN failed")
            ok = None
        if not shiboken6.isValid(self) or not self.locked:
            return
        if ok:
            self._release()
            return
        self.page.clear()
        if ok is None:
            self.page.set_error("The PIN could not be checked (the keyring did not answer).")
        else:
            self._failures += 1
            if self._failures >= MAX_TRIES:
                self.page.set_busy(True, "Please wait…")
                self.page.set_error(
                    f"Too many wrong tries. Wait {HOLD_OFF_MS // 1000} seconds, then try again."
                )
                self._hold.start(HOLD_OFF_MS)
                return
            self.page.set_error("That PIN or password is not right.")
        self.page.focus_input()

    async def _save(self, secret: str) -> None:
        try:
            await asyncio.to_thread(self._lock.set, secret)
        except (ValueError, OSError) as exc:
            if shiboken6.isValid(self):
                self.page.clear()
                self.page.set_error(
                    str(exc) if isinstance(exc, ValueError) else "The PIN could not be saved."
                )
            return
        if shiboken6.isValid(self):
            self._release()

    def on_hold_timeout(self) -> None:
        self._hold.stop()
        self._failures = 0
        self.page.clear()
        self.page.focus_input()
