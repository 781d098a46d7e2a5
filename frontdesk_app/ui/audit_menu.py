"""File → Audit log… and People at this desk… in the main window's menu, without importing the
views' store code; and `record_view`, how any panel notes that someone looked at a patient,
a call or an eligibility history, or printed a day sheet (the app records it in the audit log,
with the person signed in).

The view itself (`ui.audit_view`) pulls in SQLAlchemy; the menu entry is added at start-up,
so it lives here and the view is imported only when someone opens it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu

log = logging.getLogger(__name__)
# (action, patient id, object id) → recorded by the app; None outside the app (tests, tools).
AuditSink = Callable[[str, str | None, str | None], None]
_sink: list[AuditSink] = []


def set_audit_sink(sink: AuditSink | None) -> None:
    """Where `record_view` sends its entries (the app sets it once the window exists)."""
    _sink.clear()
    if sink is not None:
        _sink.append(sink)


def record_view(
    action: str, *, patient_id: str | None = None, object_id: str | None = None
) -> None:
    """Note in the audit log that the signed-in person looked at or printed something
    (`patient.view`, `call.view`, `eligibility.history.view`, `daysheet.print`, …)."""
    for sink in _sink:
        try:
            sink(action, patient_id, object_id)
        except Exception as exc:  # an audit failure must not break what the person does
            log.error("could not record %s in the audit log: %s", action, type(exc).__name__)


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


def add_people_action(window: QMainWindow, open_view: Callable[[], object]) -> QAction:
    """File → People at this desk… (an administrator's; `open_view()` opens it or explains)."""
    action = QAction("&People at this desk…", window)
    action.triggered.connect(lambda _checked=False: open_view())
    menus = [m for m in (a.menu() for a in window.menuBar().actions()) if isinstance(m, QMenu)]
    if menus:
        separators = [a for a in menus[0].actions() if a.isSeparator()]
        if separators:
            menus[0].insertAction(separators[-1], action)
        else:
            menus[0].addAction(action)
    return action
