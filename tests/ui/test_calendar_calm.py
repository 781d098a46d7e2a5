"""A calm screen at 1280 × 800: messages float over the grid and never move a tile; a refusal
leaves when the day changes; the toolbar fits (the rest in More, Print and PDF among it) and the
legend wraps instead of being cut.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect
from pytestqt.qtbot import QtBot

from frontdesk_app.domain.errors import SlotUnavailable
from frontdesk_app.ui.calendar.panel import CalendarPanel
from tests.ui.calendar_support import WAIT, CalendarDesk, open_calendar_desk

pytestmark = [
    pytest.mark.ui,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


@pytest.fixture
def desk(qtbot: QtBot, loop: object, tmp_path: Path) -> Iterator[CalendarDesk]:
    yield from open_calendar_desk(qtbot, tmp_path, "local")


def tile_places(panel: CalendarPanel) -> dict[str, QRect]:
    """Where every visible tile is on the screen."""
    view = panel.view
    origin = view.viewport().mapToGlobal(QPoint(0, 0))
    places: dict[str, QRect] = {}
    for _, card in view.visible_cards():
        rect = view.viewport_rect_of(card.view.id)
        assert rect is not None
        places[card.view.id] = rect.translated(origin)
    return places


def test_a_banner_leaves_every_tile_where_it_was(qtbot: QtBot, desk: CalendarDesk) -> None:
    panel = desk.panel
    qtbot.waitUntil(lambda: desk.window.bridge.in_flight == 0, timeout=WAIT)
    before = tile_places(panel)
    assert len(before) >= 10
    grid_at = panel.view.mapToGlobal(QPoint(0, 0)), panel.view.size()
    panel.message.show_message("Booked", "Mon 02 Mar 10:15 with a provider", level="info")
    qtbot.waitUntil(panel.message.isVisible, timeout=WAIT)
    qtbot.wait(50)  # any layout pass the message would cause has run
    assert (panel.view.mapToGlobal(QPoint(0, 0)), panel.view.size()) == grid_at
    assert tile_places(panel) == before
    # It floats over the grid's top edge, drawn above it.
    message = panel.message.geometry()
    assert message.intersects(panel.view.geometry())
    assert message.height() > 20
    panel.message.hide()
    qtbot.wait(50)
    assert tile_places(panel) == before


def test_a_refusal_leaves_when_the_day_changes_and_a_notice_does_not(
    qtbot: QtBot, desk: CalendarDesk
) -> None:
    panel = desk.panel
    panel.show_error(SlotUnavailable("Another booking has that time."))
    assert panel.message.isVisible() and panel.message.level == "error"
    panel.step(1)
    assert not panel.message.isVisible()
    panel.message.show_message("Day sheet saved", "day-sheet.pdf", level="info")
    panel.step(-1)
    assert panel.message.isVisible()


def test_the_toolbar_fits_1280_and_the_legend_wraps(qtbot: QtBot, desk: CalendarDesk) -> None:
    panel = desk.panel
    toolbar = panel.toolbar
    for mode in ("day", "week", "provider"):
        panel.set_mode(mode)  # type: ignore[arg-type]
        assert toolbar.wanted_width() <= toolbar.width(), mode
        book = toolbar.widgetForAction(toolbar.book)
        for button in (book, toolbar.more_button):
            assert button is not None and button.isVisible(), mode
            assert button.geometry().right() <= toolbar.width(), mode
    more = toolbar.more_menu.actions()
    assert toolbar.print_ in more and toolbar.export in more and toolbar.find_opening in more
    assert all(a.isEnabled() and a.isVisible() for a in (toolbar.print_, toolbar.export))
    legend = panel.legend
    for width in (legend.width(), 700, 420):
        flow = legend.flow(width)
        rows = 1 + max(row for _, _, row in flow)
        assert rows >= (2 if width < 700 else 1)
        for entry, x, _ in flow:
            assert x + entry.width - 18 <= width, (entry.label, width)
    assert legend.height() == 28 * (1 + max(row for _, _, row in legend.flow(legend.width())))
    legend.resize(420, legend.height())
    assert legend.height() >= 56  # it grows a row rather than cut "Not checked"
