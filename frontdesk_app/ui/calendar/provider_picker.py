"""The providers picker: tick several providers in one opening, show all or none, saved sets.

The menu stays open while providers are ticked (a click or Space on a tick toggles it); the
columns follow a moment after the last tick, once. "Show all" ticks everyone; "Show none" clears
the ticks to tick only the ones wanted. The providers ticked can be saved under a name
("Morning team") and chosen again in one click; the desk keeps its sets (QSettings).
"""

from __future__ import annotations

import json
from functools import partial

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QInputDialog, QMenu, QToolButton, QWidget

from frontdesk_app.domain.models import Provider
from frontdesk_app.ui.resources import icon

SETTLE_MS = 250  # the columns follow this long after the last tick
ProviderSets = dict[str, list[str]]  # a set's name → provider ids


KEEPS_OPEN = "keeps_menu_open"  # an action property: choosing it leaves the menu open


def keeps_open(action: QAction | None) -> bool:
    """A tick, "Show all" or "Show none": part of choosing, the menu stays."""
    return (
        action is not None
        and action.isEnabled()
        and (action.isCheckable() or bool(action.property(KEEPS_OPEN)))
    )


class StayOpenMenu(QMenu):
    """A menu whose ticks toggle without closing it (the other entries close it as usual)."""

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        action = self.activeAction()
        if action is not None and keeps_open(action):
            action.trigger()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        action = self.activeAction()
        toggles = event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if toggles and action is not None and keeps_open(action):
            action.trigger()
            return
        super().keyPressEvent(event)


def read_sets(value: object) -> ProviderSets:
    """The sets a desk remembered (a JSON object of name → ids); anything else: none."""
    try:
        loaded = json.loads(str(value)) if value else {}
    except ValueError:
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {
        str(name): [str(pid) for pid in ids]
        for name, ids in loaded.items()
        if isinstance(ids, list)
    }


class ProviderPicker(QToolButton):
    """The "Providers" button and its menu."""

    providers_changed = Signal(list)  # provider ids to show
    sets_changed = Signal(str)  # the saved sets, as JSON, for the desk to keep

    def __init__(self, extra: list[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setText("Providers")
        self.setIcon(icon("providers"))
        self.setAccessibleName("Choose providers")
        self.setToolTip("Choose which providers' columns to show")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.ticks_menu = StayOpenMenu(self)
        self.ticks_menu.setAccessibleName("Providers")
        self.setMenu(self.ticks_menu)
        self.ticks_menu.aboutToHide.connect(self.flush)
        self._extra = extra
        self._providers: list[Provider] = []
        self.actions_by_id: dict[str, QAction] = {}
        self.sets: ProviderSets = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self._emit)
        self.naming_dialog: QInputDialog | None = None

    # --- building the menu -----------------------------------------------------------------
    def set_providers(self, providers: list[Provider], shown: list[str]) -> None:
        self._providers = list(providers)
        self._build(shown)

    def set_sets(self, sets: ProviderSets) -> None:
        self.sets = dict(sets)
        self._build(self.chosen())

    def _build(self, shown: list[str]) -> None:
        menu = self.ticks_menu
        menu.clear()
        self.actions_by_id.clear()
        for text, slot in (
            ("Show all", self.show_all),
            ("Show none (then tick the ones to show)", self.show_none),
        ):
            menu.addAction(text, slot).setProperty(KEEPS_OPEN, True)
        menu.addSeparator()
        for provider in self._providers:
            action = menu.addAction(f"{provider.name} — {provider.specialty}")
            action.setCheckable(True)
            action.setChecked(provider.id in shown)
            action.toggled.connect(self._on_toggled)
            self.actions_by_id[provider.id] = action
        menu.addSeparator()
        for name in sorted(self.sets):
            menu.addAction(f"Show {name}", partial(self.apply_set, name))
        menu.addAction("Save these as a set…", self.ask_set_name)
        if self.sets:
            forget = menu.addMenu("Forget a set")
            for name in sorted(self.sets):
                forget.addAction(name, partial(self.forget_set, name))
        menu.addSeparator()
        for action in self._extra:
            menu.addAction(action)
        self._update_text(shown)

    # --- choosing --------------------------------------------------------------------------
    def chosen(self) -> list[str]:
        return [pid for pid, action in self.actions_by_id.items() if action.isChecked()]

    def _tick(self, ids: set[str]) -> None:
        for pid, action in self.actions_by_id.items():
            was = action.blockSignals(True)
            action.setChecked(pid in ids)
            action.blockSignals(was)

    def show_all(self) -> None:
        self._tick(set(self.actions_by_id))
        self._on_toggled(True)

    def show_none(self) -> None:
        self._tick(set())
        self._on_toggled(False)

    def _on_toggled(self, _checked: bool) -> None:
        self._update_text(self.chosen())
        self._timer.start()  # the columns follow once the ticking stops

    def _emit(self) -> None:
        self._timer.stop()
        chosen = self.chosen()
        self._update_text(chosen)
        self.providers_changed.emit(chosen)

    def flush(self) -> None:
        """Apply ticks still waiting to be applied (the menu closed, a test)."""
        if self._timer.isActive():
            self._emit()

    def _update_text(self, shown: list[str]) -> None:
        total = len(self.actions_by_id)
        set_name = next((n for n, ids in self.sets.items() if set(ids) == set(shown)), None)
        if set_name is not None:
            text = set_name
        elif len(shown) == total:
            text = "All providers"
        else:
            text = f"{len(shown)} of {total} providers"
        self.setText(text)

    # --- saved sets -------------------------------------------------------------------------
    def apply_set(self, name: str) -> None:
        ids = self.sets.get(name)
        if ids is None:
            return
        self._tick(set(ids))
        self._emit()

    def save_set(self, name: str) -> None:
        name = name.strip()
        if not name or not self.chosen():
            return
        self.sets[name] = self.chosen()
        self._build(self.chosen())
        self.sets_changed.emit(json.dumps(self.sets))

    def forget_set(self, name: str) -> None:
        if self.sets.pop(name, None) is not None:
            self._build(self.chosen())
            self.sets_changed.emit(json.dumps(self.sets))

    def ask_set_name(self) -> QInputDialog:
        """Name the providers ticked ("Morning team"); opened, never exec()."""
        dialog = QInputDialog(self.window())
        dialog.setWindowTitle("Save providers as a set")
        dialog.setLabelText(f"A name for these {len(self.chosen())} providers:")
        dialog.setTextValue("Morning team")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.textValueSelected.connect(self.save_set)
        self.naming_dialog = dialog
        dialog.open()
        return dialog
