"""The panel on show is built at attach, the others just after (`ui/panel_tabs.py`): a panel
asked for before its turn is built at once, a broken one is reported and its tab removed, and
nothing is built after a detach."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import QLabel, QTabWidget
from pytestqt.qtbot import QtBot

from frontdesk_app.config import Settings
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.ui import panel_tabs
from frontdesk_app.ui.async_bridge import AsyncBridge
from frontdesk_app.ui.errors import ErrorSink
from frontdesk_app.ui.events import EventFeed
from frontdesk_app.ui.main_window import MainWindow
from frontdesk_app.ui.panel_tabs import PanelTabs
from frontdesk_app.ui.panels import PanelContext, PanelSpec
from tests.ui.calendar_support import WAIT, ZONE, run

pytestmark = [
    pytest.mark.ui,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]

built: list[str] = []


class First(QLabel):
    """A panel that says when it has shown its data, as the calendar does."""

    data_loaded = Signal(int)

    def __init__(self, ctx: PanelContext) -> None:
        super().__init__("first")
        built.append("first")


class Later(QLabel):
    def __init__(self, ctx: PanelContext) -> None:
        super().__init__("later")
        self.shown = 0
        built.append(f"later{len([b for b in built if b.startswith('later')])}")

    def on_shown(self) -> None:
        self.shown += 1


def broken(ctx: PanelContext) -> QLabel:
    raise RuntimeError("this panel cannot open")


SPECS = [
    PanelSpec("first", "First", 1, First),
    PanelSpec("second", "Second", 2, Later),
    PanelSpec("third", "Third", 3, Later),
]


@pytest.fixture
def backend(qtbot: QtBot, loop: object, tmp_path: Path) -> Iterator[LocalBackend]:
    backend = LocalBackend.open(tmp_path / "clinic.sqlite", demo=True)
    yield backend
    run(qtbot, backend.aclose())


@pytest.fixture
def window(
    qtbot: QtBot, backend: LocalBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MainWindow]:
    monkeypatch.setattr(panel_tabs, "LATER_MS", 60_000)  # only `data_loaded` starts the rest
    built.clear()
    window = MainWindow(
        settings=Settings(clinic_timezone=ZONE.key),
        qsettings=QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat),
        settings_path=tmp_path / "settings.json",
    )
    window.show()
    yield window
    run(qtbot, window.detach())
    window.close()
    window.deleteLater()


def _titles(window: MainWindow) -> list[str]:
    return [window.tabs.tabText(i) for i in range(window.tabs.count())]


def test_only_the_panel_on_show_is_built_at_attach_and_the_rest_once_it_has_data(
    qtbot: QtBot, window: MainWindow, backend: LocalBackend
) -> None:
    window.attach(backend, environment="Test", specs=SPECS)
    assert _titles(window) == ["First", "Second", "Third"]  # every tab, with its title
    assert built == ["first"]
    first = window.tabs.currentWidget()
    assert isinstance(first, First) and window.current_panel_key() == "first"
    qtbot.wait(50)
    assert built == ["first"]  # nothing more until the first has shown its data
    first.data_loaded.emit(3)
    qtbot.waitUntil(lambda: len(built) == 3, timeout=WAIT)
    assert _titles(window) == ["First", "Second", "Third"]
    assert window.tabs.currentWidget() is first  # building the rest never changes the tab
    assert isinstance(window.tabs.widget(1), Later) and isinstance(window.tabs.widget(2), Later)


def test_a_panel_asked_for_before_its_turn_is_built_at_once(
    qtbot: QtBot, window: MainWindow, backend: LocalBackend
) -> None:
    window.attach(backend, environment="Test", specs=SPECS)
    third = window.panel("third")
    assert isinstance(third, Later) and window.tabs.widget(2) is third
    assert built == ["first", "later0"]
    # Clicking a tab still waiting builds it and shows it, as if it had always been there.
    window.tabs.setCurrentIndex(1)
    second = window.tabs.currentWidget()
    assert isinstance(second, Later) and second.shown == 1
    assert window.current_panel_key() == "second"
    assert _titles(window) == ["First", "Second", "Third"]
    # And its shortcut (Ctrl+3 → the third) shows the one already built.
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is third


def test_a_broken_panel_built_later_is_reported_and_its_tab_removed(
    qtbot: QtBot, window: MainWindow, backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported: list[str] = []
    monkeypatch.setattr(window.errors, "report", lambda exc, context="": reported.append(context))
    specs = [*SPECS[:2], PanelSpec("broken", "Broken", 3, broken)]
    window.attach(backend, environment="Test", specs=specs)
    first = window.tabs.currentWidget()
    assert isinstance(first, First)
    first.data_loaded.emit(1)
    qtbot.waitUntil(lambda: _titles(window) == ["First", "Second"], timeout=WAIT)
    assert reported == ["opening the Broken panel"]
    assert window.panel("broken") is None


def test_what_was_still_to_build_is_not_built_once_cleared(
    qtbot: QtBot, backend: LocalBackend
) -> None:
    """A detach clears the panels first: a turn that comes after builds nothing."""
    built.clear()
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    panels = PanelTabs(tabs, ErrorSink())
    panels.build(SPECS, _context(backend), first="first")
    first = panels.built["first"]
    assert isinstance(first, First)
    panels.clear()
    first.data_loaded.emit(1)  # the turn the rest waited for comes after the clear
    qtbot.wait(50)
    assert built == ["first"]
    assert panels.get("second") is None


def _context(backend: LocalBackend) -> PanelContext:
    errors = ErrorSink()
    return PanelContext(
        backend=backend,
        bridge=AsyncBridge(errors),
        errors=errors,
        events=EventFeed(backend),
        settings=Settings(clinic_timezone=ZONE.key),
        zone=ZoneInfo(ZONE.key),
        window=cast(MainWindow, None),  # the panels here never look at it
    )


def test_the_rest_are_built_within_a_bound_even_without_data(
    qtbot: QtBot, window: MainWindow, backend: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(panel_tabs, "LATER_MS", 20)
    window.attach(backend, environment="Test", specs=SPECS)
    qtbot.waitUntil(lambda: len(built) == 3, timeout=WAIT)
