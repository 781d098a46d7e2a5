"""Start the app (or a bare PySide6 window) and print when it first paints, then with data.

    python -m tests.bench.startup_probe floor
    python -m tests.bench.startup_probe libraries {standalone|bundled}
    python -m tests.bench.startup_probe app [--close-after MS] -- <frontdesk arguments>

An application-wide event filter prints `BENCH-MARK window <monotonic>` at the first paint of
any widget, and `BENCH-MARK calendar <monotonic>` at the first paint of the calendar's viewport
while its model holds appointments. The QApplication is created here, before the app's own
code runs (the app reuses it), so the product needs no timing hook; the bare floor program
carries the same filter, so both pay for it alike. `--close-after` closes the main window that
long after the calendar mark (a normal run instead of `--smoke`, for the memory benchmark).

`libraries` is the floor's window, then an import of the libraries a desk in that mode loads
before its calendar can show (`STACK`), and `BENCH-MARK libraries`: what the chosen stack
alone costs, whatever the desk's own code does.

Every mode runs as the shipped desk does: the packages the PyInstaller bundle leaves out
(`excludes` in packaging/frontdesk.spec; in the development venv for tests and tools) cannot
be imported, so an optional import the desk never makes frozen (httpx's command line, say)
is not timed here either.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QWidget

PREFIX = "BENCH-MARK"
# Third-party libraries a desk imports before its calendar shows data (PySide6 is the floor's).
STACK: dict[str, tuple[str, ...]] = {
    "standalone": (
        "qasync",
        "keyring",
        "argon2",
        "cryptography.hazmat.primitives.ciphers.aead",
        "sqlalchemy.orm",
        "sqlcipher3",
        "pydantic",
    ),
}
STACK["bundled"] = (*STACK["standalone"], "httpx", "httpx_sse")
SPEC = Path(__file__).resolve().parents[2] / "packaging" / "frontdesk.spec"


def left_out_of_the_bundle(spec: Path = SPEC) -> frozenset[str]:
    """The module names the bundle's spec lists in `excludes` (its literal strings)."""
    import ast

    tree = ast.parse(spec.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "excludes" for t in node.targets)
            and isinstance(node.value, ast.List)
        ):
            return frozenset(
                e.value
                for e in node.value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            )
    raise LookupError(f"no excludes list in {spec}")


class LeftOut:
    """A finder first on `sys.meta_path` that makes the modules in `names` (and their
    submodules) unimportable, as in the bundle."""

    def __init__(self, names: frozenset[str]) -> None:
        self._names = names

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        parts = fullname.split(".")
        if any(".".join(parts[:n]) in self._names for n in range(1, len(parts) + 1)):
            raise ModuleNotFoundError(f"No module named {fullname!r} (not in the bundle)")
        return None


class Marks(QObject):
    """Prints the marks; removes itself once it has nothing left to wait for."""

    def __init__(self, app: QApplication, *, want_calendar: bool, close_after: int | None) -> None:
        super().__init__()
        self._app = app
        self._want_calendar = want_calendar
        self._close_after = close_after
        self.window_seen = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Paint:
            return False
        if not self.window_seen:
            self.window_seen = True
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


def libraries(app: QApplication, marks: Marks, mode: str) -> int:
    """The floor's window, then (once it has painted) the stack's libraries for `mode`, then
    the mark."""
    window = QMainWindow()
    window.setCentralWidget(QLabel("A bare PySide6 window"))
    window.resize(1280, 820)
    window.show()
    while not marks.window_seen:
        app.processEvents()
    for name in STACK[mode]:
        importlib.import_module(name)
    _mark("libraries")
    window.deleteLater()
    return 0


def main(argv: list[str]) -> int:
    mode, rest = argv[0], argv[1:]
    if mode != "floor":  # (the floor imports none of them: it pays nothing for the check)
        sys.meta_path.insert(0, LeftOut(left_out_of_the_bundle()))
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
    if mode == "libraries":
        return libraries(app, marks, rest[0])
    from frontdesk_app.cli import main as frontdesk

    return frontdesk(rest)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
