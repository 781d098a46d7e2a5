"""`IdleWatcher`: `idle` fires after a stretch with no keyboard, mouse or touch input.

Input from the window system reaches a window (`QWindow`) before the widget under it, so an
event filter on each of the app's windows (the main window, and each dialog or menu as it takes
the focus) restarts a single-shot timer on every input event. Not an application-wide filter:
that would call into Python for every event of every object — each timer, repaint and layout
— and each call waits for the GIL, which the sync engine's thread holds much of the time while
a queue drains (benchmark 3 measured the window's longest stall twice as long with it).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QWindow

INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.KeyRelease,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
        QEvent.Type.TabletPress,
        QEvent.Type.TabletMove,
        QEvent.Type.InputMethod,
    }
)


class IdleWatcher(QObject):
    """Emits `idle` once `timeout_ms` pass without input; `pause()` while locked."""

    idle = Signal()

    def __init__(self, timeout_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(max(1, timeout_ms))
        self._timer.timeout.connect(self.idle)
        self._installed = False
        self._paused = False

    @property
    def timeout_ms(self) -> int:
        return self._timer.interval()

    @property
    def counting(self) -> bool:
        return self._timer.isActive()

    def set_timeout(self, timeout_ms: int) -> None:
        self._timer.setInterval(max(1, timeout_ms))
        if not self._paused and self._installed:
            self._timer.start()

    def start(self) -> None:
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication) and not self._installed:
            for window in QGuiApplication.topLevelWindows():
                window.installEventFilter(self)
            app.focusWindowChanged.connect(self._watch)
            self._installed = True
        self._paused = False
        self._timer.start()

    def stop(self) -> None:
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication) and self._installed:
            app.focusWindowChanged.disconnect(self._watch)
            for window in QGuiApplication.topLevelWindows():
                window.removeEventFilter(self)
        self._installed = False
        self._timer.stop()

    def _watch(self, window: QWindow | None) -> None:
        """A window that takes the focus (a dialog, a menu) is watched too (installing twice
        is harmless: Qt keeps one)."""
        if window is not None:
            window.installEventFilter(self)

    def pause(self) -> None:
        self._paused = True
        self._timer.stop()

    def resume(self) -> None:
        self._paused = False
        self._timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Called for every event of the watched windows (input, expose, one per repaint):
        # keep it to one set lookup.
        if not self._paused and event.type() in INPUT_EVENTS:
            self._timer.start()
        return False
