"""File → Audit log… in the main window's menu, without importing the audit view's store code.

The view itself (`ui.audit_view`) pulls in SQLAlchemy; the menu entry is added at start-up,
so it lives here and the view is imported only when someone opens it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu


def add_audit_action(window: QMainWindow, open_view: Callable[[], object]) -> QAction:
    """File → Audit log… on the main window; `open_view()` opens the view (or explains)."""
    action = QAction("&Audit log…", window)
    action.triggered.connect(lambda _checked=False: open_view())
    menus = [m for m in (a.menu() for a in window.menuBar().actions()) if isinstance(m, QMenu)]
    if menus:
        items = menus[0].actions()
        # Above the separator before Quit.
        separators = [a for a in items if a.isSeparator()]
        if separators:
            menus[0].insertAction(separators[-1], action)
        else:
            menus[0].addAction(action)
    return action
