"""`Curtain`: while the desk is locked, nothing but the lock page is on screen.

Drawn, it hides every other window of the app (dialogs, message boxes; popups and tooltips
are closed), disables the menus, the window's shortcuts and the status bar, puts away any
window that tries to appear meanwhile (work still running in the background), and follows
the live-calls queue so the lock page can say that a call waits and how urgent it is — the
tray then says only that too. Lifted, it brings back the windows it hid, as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDialog, QMainWindow, QMenu, QToolTip, QWidget

from frontdesk_app.ui.lock.page import LockPage

if TYPE_CHECKING:
    from frontdesk_app.ui.calls.queue import TransferQueue

_TRANSIENT = (Qt.WindowType.Popup, Qt.WindowType.ToolTip)


class Curtain(QObject):
    """`draw()` when locking, `lift()` when unlocking."""

    def __init__(self, window: QMainWindow, page: LockPage) -> None:
        super().__init__(window)
        self._window = window
        self.page = page
        self.drawn = False
        self._hidden: list[QWidget] = []
        self._disabled: list[QAction | QWidget] = []
        self._unfollow_calls: Callable[[], None] | None = None

    def draw(self) -> None:
        self.drawn = True
        QToolTip.hideText()
        for widget in QApplication.topLevelWidgets():
            self._put_away(widget)
        self._set_chrome_enabled(False)
        app = QCoreApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self._follow_calls()

    def lift(self) -> None:
        self.drawn = False
        app = QCoreApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        if self._unfollow_calls is not None:
            self._unfollow_calls()
            self._unfollow_calls = None
        self.page.set_waiting_calls("")
        self._set_chrome_enabled(True)
        hidden, self._hidden = self._hidden, []
        for widget in hidden:
            if shiboken6.isValid(widget) and not widget.isVisible():
                widget.show()

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
            # Quitting reveals nothing and the next start is locked too.
            kept = getattr(self._window, "quit_action", None)
            self._disabled = [p for p in parts if p.isEnabled() and p is not kept]
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
        if self.drawn:
            self._put_away(widget)

    # --- calls while locked -------------------------------------------------------------------

    def _follow_calls(self) -> None:
        panel: Any = getattr(self._window, "panel", None)
        calls = panel("calls") if callable(panel) else None
        queue = getattr(calls, "queue", None)
        if queue is None:  # no live calls yet (the lock page comes before the models load)
            return
        from frontdesk_app.ui.calls.queue import TransferQueue

        if not isinstance(queue, TransferQueue):
            return

        def on_change(_change: object) -> None:
            self._show_calls(queue)

        notifier = getattr(calls, "notifier", None)
        if notifier is not None:
            notifier.discreet = True
        unfollow = queue.add_listener(on_change)

        def stop() -> None:
            unfollow()
            if notifier is not None and shiboken6.isValid(notifier):
                notifier.discreet = False

        self._unfollow_calls = stop
        self._show_calls(queue)

    def _show_calls(self, queue: TransferQueue) -> None:
        from frontdesk_app.ui.calls.notifier import tray_title

        waiting = queue.queue()
        if not waiting:
            self.page.set_waiting_calls("")
            return
        count = f"{len(waiting)} calls waiting" if len(waiting) > 1 else "1 call waiting"
        self.page.set_waiting_calls(f"{tray_title(waiting[0])} — {count}. Unlock to take it.")
