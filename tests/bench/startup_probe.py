"""Start the app (or a bare PySide6 window) and print when it first paints, then with data.

    python -m tests.bench.startup_probe floor
    python -m tests.bench.startup_probe app [--close-after MS] -- <frontdesk arguments>

An application-wide event filter prints `BENCH-MARK window <monotonic>` at the first paint of
any widget, and `BENCH-MARK calendar <monotonic>` at the first paint of the calendar's viewport
while its model holds appointments. The QApplication is created here, before the app's own
code runs (the app reuses it), so the product needs no timing hook; the bare floor program
carries the same filter, so both pay for it alike. `--close-after` closes the main window that
long after the calendar mark (a normal run instead of `--smoke`, for the memory benchmark).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QWidget

PREFIX = "BENCH-MARK"


class Marks(QObject):
    """Prints the marks; removes itself once it has nothing left to wait for."""

    def __init__(self, app: QApplication, *, want_calendar: bool, close_after: int | None) -> None:
        super().__init__()
        self._app = app
        self._want_calendar = want_calendar
        self._close_after = close_after
        self._window_seen = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Paint:
            return False
        if not self._window_seen:
            self._window_seen = True
            _mark("window")
            if not self._want_calendar:
                self._done()
            return False
        view = watched.parent() if isinstance(watched, QWidget) else None
        if type(view).__name__ == "CalendarView" and _has_data(view):
            _mark("calendar")
            self._done()
            if self._close_after is not None:
                QTimer.singleShot(self._close_after, _close_main_window)
        return False

    def _done(self) -> None:
        self._app.removeEventFilter(self)
        if not self._want_calendar:
            QTimer.singleShot(0, self._app.quit)


def _has_data(view: Any) -> bool:
    return bool(len(view.model) and view.columns)


def _mark(name: str) -> None:
    print(f"{PREFIX} {name} {time.monotonic():.6f}", flush=True)


def _close_main_window() -> None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMainWindow) and widget.isVisible():
            widget.close()


def floor(app: QApplication) -> int:
    """The floor: a bare program showing one window of the app's size."""
    window = QMainWindow()
    window.setWindowTitle("floor")
    window.setCentralWidget(QLabel("A bare PySide6 window"))
    window.resize(1280, 820)
    window.show()
    code = app.exec()
    window.deleteLater()
    return code


def main(argv: list[str]) -> int:
    mode, rest = argv[0], argv[1:]
    close_after: int | None = None
    if rest[:1] == ["--close-after"]:
        close_after, rest = int(rest[1]), rest[2:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    app = QApplication(sys.argv[:1])
    marks = Marks(app, want_calendar=mode == "app", close_after=close_after)
    app.installEventFilter(marks)
    if mode == "floor":
        return floor(app)
    from frontdesk_app.cli import main as frontdesk

    return frontdesk(rest)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
