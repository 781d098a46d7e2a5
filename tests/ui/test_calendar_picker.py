"""The providers picker: "Show none" and three ticks in one opening of the menu (it stays open),
the columns following once; a saved set ("Morning team") chosen again in one click and kept by
the desk; "Show all".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog
from pytestqt.qtbot import QtBot

from frontdesk_app.ui.calendar.provider_picker import ProviderPicker, read_sets
from tests.ui.calendar_support import WAIT, CalendarDesk, open_calendar_desk

pytestmark = [
    pytest.mark.ui,
    # The offscreen platform cannot grab the keyboard for a popup menu, nor raise it.
    pytest.mark.qt_log_ignore(
        "This plugin does not support propagateSizeHints",
        "This plugin does not support grabbing the keyboard",
        r"This plugin does not support raise\(\)",
    ),
]


@pytest.fixture
def desk(qtbot: QtBot, loop: object, tmp_path: Path) -> Iterator[CalendarDesk]:
    yield from open_calendar_desk(qtbot, tmp_path, "local")


def entry(picker: ProviderPicker, text: str) -> QAction:
    found = next((a for a in picker.ticks_menu.actions() if a.text() == text), None)
    assert found is not None, text
    return found


def click(qtbot: QtBot, picker: ProviderPicker, action: QAction) -> None:
    menu = picker.ticks_menu
    where = menu.actionGeometry(action).center()
    qtbot.mouseMove(menu, pos=where)
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=where)


def open_menu(qtbot: QtBot, picker: ProviderPicker) -> None:
    picker.ticks_menu.popup(picker.mapToGlobal(QPoint(0, picker.height())))
    qtbot.waitUntil(picker.ticks_menu.isVisible, timeout=WAIT)


def test_three_ticks_in_one_opening_and_a_saved_set(qtbot: QtBot, desk: CalendarDesk) -> None:
    panel = desk.panel
    picker = panel.toolbar.provider_button
    wanted = [p.id for p in desk.providers[2:5]]
    loads = panel.load_count

    open_menu(qtbot, picker)
    click(qtbot, picker, entry(picker, "Show none (then tick the ones to show)"))
    assert picker.ticks_menu.isVisible()
    for provider_id in wanted:
        click(qtbot, picker, picker.actions_by_id[provider_id])
        assert picker.ticks_menu.isVisible(), "the menu closed after a tick"
    assert picker.chosen() == wanted
    picker.ticks_menu.hide()
    qtbot.waitUntil(lambda: panel.model.shown_provider_ids == wanted, timeout=WAIT)
    qtbot.waitUntil(lambda: panel.load_count > loads, timeout=WAIT)
    assert [c.provider.id for c in panel.view.columns] == wanted
    assert picker.text() == "3 of 10 providers"
    assert desk.window.settings.providers_shown == wanted

    # Saved under a name, chosen again in one click after "Show all".
    open_menu(qtbot, picker)
    click(qtbot, picker, entry(picker, "Save these as a set…"))
    qtbot.waitUntil(lambda: isinstance(picker.naming_dialog, QInputDialog), timeout=WAIT)
    naming = picker.naming_dialog
    assert naming is not None and naming.textValue() == "Morning team"
    naming.textValueSelected.emit("Morning team")
    naming.close()
    assert picker.text() == "Morning team"
    assert read_sets(desk.window.remembered("calendar/provider_sets")) == {"Morning team": wanted}
    open_menu(qtbot, picker)
    click(qtbot, picker, entry(picker, "Show all"))
    picker.ticks_menu.hide()
    qtbot.waitUntil(lambda: len(panel.model.shown_provider_ids) == 10, timeout=WAIT)
    assert picker.text() == "All providers"
    open_menu(qtbot, picker)
    click(qtbot, picker, entry(picker, "Show Morning team"))
    assert not picker.ticks_menu.isVisible()  # choosing a set closes the menu
    qtbot.waitUntil(lambda: panel.model.shown_provider_ids == wanted, timeout=WAIT)
