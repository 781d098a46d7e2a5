"""The window's panels as tabs, the one on show built first and the others just after.

A desk opens on one panel (the one last used, the calendar at first). Building every panel
before that one paints cost a start about a quarter of a second (the live-calls, eligibility and
prescription panels are dozens of widgets each), so the others wait in placeholder tabs that
carry their title and shortcut, and are built one per turn of the event loop once the first
has shown its data (`data_loaded`, where it has that signal) or `LATER_MS` has passed. A panel
asked for before its turn — its tab clicked, its shortcut pressed, `panel(key)` called — is
built at once. Every panel is built within about a second of the window's attach, so those
that work while hidden (the live-calls panel rings offers) are soon listening.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from frontdesk_app.ui.errors import ErrorSink
from frontdesk_app.ui.resources import icon

if TYPE_CHECKING:
    from frontdesk_app.ui.panels import PanelContext, PanelSpec

LATER_MS = 600  # the others are built this long after the first at the latest
AFTER_DATA_MS = 100  # and this long after it has its data: once it has painted them


class _Waiting(QWidget):
    """A panel's tab before the panel is built (seen only if it is clicked at that moment)."""

    def __init__(self, title: str) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        label = QLabel(f"Opening {title}…")
        label.setAccessibleName(f"Opening {title}")
        layout.addWidget(label)
        layout.addStretch(1)


class PanelTabs:
    """The panels of one attach: `build` them into `tabs`, `get` one, `clear` at detach."""

    def __init__(self, tabs: QTabWidget, errors: ErrorSink) -> None:
        self._tabs = tabs
        self._errors = errors
        self._context: PanelContext | None = None
        self.specs: dict[str, PanelSpec] = {}
        self.built: dict[str, QWidget] = {}
        self._waiting: dict[str, _Waiting] = {}
        self._generation = 0  # a later attach makes an earlier one's timers do nothing

    def build(self, specs: list[PanelSpec], context: PanelContext, *, first: str) -> None:
        """A tab for each of `specs`; `first` (if among them) built now, the others later."""
        self._context = context
        for spec in specs:
            self.specs[spec.key] = spec
            waiting = _Waiting(spec.title)
            self._waiting[spec.key] = waiting
            self._add_tab(spec, waiting)
        first = first if first in self.specs else next(iter(self.specs), "")
        if first:
            self.get(first)
        self._build_the_rest_after(self.built.get(first))

    def get(self, key: str) -> QWidget | None:
        """The panel `key`, built now if it was still waiting."""
        if key in self.built:
            return self.built[key]
        waiting = self._waiting.pop(key, None)
        if waiting is None or self._context is None:
            return None
        spec = self.specs[key]
        index = self._tabs.indexOf(waiting)
        try:
            widget = spec.factory(self._context)
        except Exception as exc:  # one broken panel must not keep the desk closed
            self._errors.report(exc, context=f"opening the {spec.title} panel")
            self._tabs.removeTab(index)
            waiting.deleteLater()
            return None
        shown = self._tabs.currentWidget() is waiting
        blocked = self._tabs.blockSignals(True)
        self._tabs.removeTab(index)
        self._add_tab(spec, widget, index)
        if shown:
            self._tabs.setCurrentIndex(index)
        self._tabs.blockSignals(blocked)
        waiting.deleteLater()
        self.built[key] = widget
        return widget

    def key_of(self, widget: QWidget | None) -> str | None:
        for pages in (self.built, self._waiting):
            for key, page in pages.items():
                if page is widget:
                    return key
        return None

    def clear(self) -> None:
        """Forget every panel (the tabs themselves are the window's to remove)."""
        self._generation += 1
        self._context = None
        self.specs.clear()
        self.built.clear()
        self._waiting.clear()

    # --- the rest, later -----------------------------------------------------------------------
    def _build_the_rest_after(self, first: QWidget | None) -> None:
        generation = self._generation
        started = False

        def start(delay_ms: int) -> None:
            nonlocal started
            if not started and generation == self._generation:
                started = True
                # With the tabs as context: a timer outliving the window never fires.
                QTimer.singleShot(delay_ms, self._tabs, lambda: self._build_next(generation))

        loaded = getattr(first, "data_loaded", None)
        if loaded is not None:
            loaded.connect(lambda *_: start(AFTER_DATA_MS))
        QTimer.singleShot(LATER_MS, self._tabs, lambda: start(0))

    def _build_next(self, generation: int) -> None:
        if generation != self._generation or not self._waiting:
            return
        self.get(next(iter(self._waiting)))
        if self._waiting:
            QTimer.singleShot(0, self._tabs, lambda: self._build_next(generation))

    def _add_tab(self, spec: PanelSpec, page: QWidget, index: int = -1) -> None:
        tab_icon = icon(spec.icon) if spec.icon else icon("")
        index = self._tabs.insertTab(index, page, tab_icon, spec.title)
        self._tabs.setTabToolTip(index, f"{spec.title} (Ctrl+{spec.slot})")
