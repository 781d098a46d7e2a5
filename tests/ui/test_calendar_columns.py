"""Columns that stay readable on a clinic's 1280 × 800 screen with the demo clinic's ten providers:
whole first names, sideways scrolling under a pinned gutter and header, zoom remembered by the
desk, one provider's week and everyone's week with surnames.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, QSize, Qt
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from frontdesk_app.config import Settings
from frontdesk_app.ui.calendar.cards import CardText
from frontdesk_app.ui.calendar.metrics import GUTTER_WIDTH, HEADER_HEIGHT
from frontdesk_app.ui.calendar.panel import CalendarPanel
from frontdesk_app.ui.calendar.view import CalendarView
from frontdesk_app.ui.calendar.view_chrome import short_name, week_label
from frontdesk_app.ui.calendar.zoom import Zoom
from frontdesk_app.ui.main_window import MainWindow
from tests.ui.calendar_support import WAIT, ZONE, CalendarDesk, open_calendar_desk

pytestmark = [
    pytest.mark.ui,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


@pytest.fixture
def desk(qtbot: QtBot, loop: object, tmp_path: Path) -> Iterator[CalendarDesk]:
    yield from open_calendar_desk(qtbot, tmp_path, "local")


def viewport_image(view: CalendarView) -> QImage:
    return view.viewport().grab().toImage()


def settle(qtbot: QtBot, panel: CalendarPanel) -> None:
    """The period shown is loaded, with its patients' names, and painted."""
    qtbot.waitUntil(lambda: panel.window().bridge.in_flight == 0, timeout=WAIT)
    model = panel.model
    qtbot.waitUntil(lambda: all(model.has_patient(v.patient_id) for v in model.all()), timeout=WAIT)
    viewport_image(panel.view)


def painted_texts(qtbot: QtBot, panel: CalendarPanel) -> list[tuple[str, CardText, float]]:
    """Every visible card's patient label, its text as painted and the width it was painted in,
    from every part of the day (scrolled through top to bottom)."""
    view = panel.view
    bar = view.verticalScrollBar()
    found: dict[str, tuple[str, CardText, float]] = {}
    for value in range(0, bar.maximum() + bar.pageStep(), bar.pageStep()):
        bar.setValue(value)
        viewport_image(view)  # paints the cards in view, which works out their text
        for _, card in view.visible_cards():
            assert card.text is not None, "a visible card was not painted"
            left = card.rect.x() + 8
            found[card.view.id] = (
                panel.model.patient_label(card.view.patient_id),
                card.text,
                card.rect.x() + card.text.right - left,
            )
    return list(found.values())


def assert_first_names_whole(qtbot: QtBot, panel: CalendarPanel) -> int:
    bold = panel.view.fonts.bold_metrics  # the font the first line is drawn in
    texts = painted_texts(qtbot, panel)
    assert texts
    for label, text, width in texts:
        first_name = label.split()[0]
        assert first_name in text.first.split(), (label, text.first)
        assert bold.horizontalAdvance(text.first) <= width, (label, text.first, width)
    return len(texts)


def test_the_window_starts_at_1280_by_800_within_the_screen(qtbot: QtBot, tmp_path: Path) -> None:
    window = MainWindow(
        settings=Settings(environment="standalone", clinic_timezone=ZONE.key),
        qsettings=QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat),
        settings_path=tmp_path / "settings.json",
    )
    qtbot.addWidget(window)
    screen = window.screen()
    assert screen is not None
    assert window.size() == QSize(1280, 800).boundedTo(screen.availableGeometry().size())


def test_the_demo_clinic_at_1280_by_800_shows_ten_providers(desk: CalendarDesk) -> None:
    assert len(desk.providers) == 10
    assert desk.panel.model.shown_provider_ids == [p.id for p in desk.providers]
    assert desk.window.width() == 1280 and desk.window.height() == 800


def test_every_visible_tile_shows_the_first_name_in_full(qtbot: QtBot, desk: CalendarDesk) -> None:
    panel = desk.panel
    settle(qtbot, panel)
    view = panel.view
    # Ten columns do not fit: each stays readable and the grid scrolls sideways.
    assert view.grid.column_width * 10 > view.viewport().width() - GUTTER_WIDTH
    assert view.horizontalScrollBar().maximum() > 0
    seen = 0
    bar = view.horizontalScrollBar()
    for value in range(0, bar.maximum() + bar.pageStep(), bar.pageStep()):
        bar.setValue(value)
        seen += assert_first_names_whole(qtbot, panel)
    assert seen >= 20
    panel.show_provider_week(desk.providers[2].id)
    settle(qtbot, panel)
    assert assert_first_names_whole(qtbot, panel) >= 5


def test_scrolling_sideways_keeps_the_gutter_and_moves_the_header_with_the_columns(
    qtbot: QtBot, desk: CalendarDesk
) -> None:
    view = desk.panel.view
    settle(qtbot, desk.panel)
    before = viewport_image(view)
    width, height = before.width(), before.height()
    shift = 150
    view.horizontalScrollBar().setValue(shift)
    after = viewport_image(view)
    gutter = (0, HEADER_HEIGHT, GUTTER_WIDTH, height - HEADER_HEIGHT)
    assert after.copy(*gutter) == before.copy(*gutter)
    # The header stays at the top and follows the columns sideways.
    visible = width - GUTTER_WIDTH - shift
    assert after.copy(GUTTER_WIDTH, 0, visible, HEADER_HEIGHT - 1) == before.copy(
        GUTTER_WIDTH + shift, 0, visible, HEADER_HEIGHT - 1
    )
    # Scrolling down leaves the header where it is.
    view.verticalScrollBar().setValue(view.verticalScrollBar().value() + 200)
    lower = viewport_image(view)
    assert lower.copy(0, 0, width, HEADER_HEIGHT) == after.copy(0, 0, width, HEADER_HEIGHT)
    # The keyboard cursor brings a column off to the right into view.
    view.horizontalScrollBar().setValue(0)
    last = desk.providers[-1]
    start = view.cursor_slot()
    view.set_cursor(last.id, start[1] if start else desk.panel.model.window()[0])
    assert view.horizontalScrollBar().value() > 0


def test_zoom_widens_columns_and_hours_and_the_desk_remembers_it(
    qtbot: QtBot, desk: CalendarDesk
) -> None:
    panel, view = desk.panel, desk.panel.view
    settle(qtbot, panel)
    width, hour = view.grid.column_width, view.grid.px_per_minute * 60
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom == Zoom(1)
    assert view.grid.column_width > width and view.grid.px_per_minute * 60 > hour
    assert int(desk.window.remembered("calendar/zoom")) == 1
    qtbot.keyClick(view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom == Zoom(-1)
    assert view.grid.column_width < width and view.grid.px_per_minute * 60 < hour
    qtbot.keyClick(view, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom == Zoom(0) and view.grid.column_width == width
    qtbot.keyClick(view, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    # Another calendar on this desk (the window opened again) starts at the level left.
    assert Zoom.from_setting(desk.window.remembered("calendar/zoom")) == Zoom(1)


def test_one_providers_week_and_everyones_week_with_surnames(
    qtbot: QtBot, desk: CalendarDesk
) -> None:
    panel, view = desk.panel, desk.panel.view
    settle(qtbot, panel)
    # Double-clicking a provider's name above their column shows their week.
    chosen = desk.providers[1]
    x = GUTTER_WIDTH + int(view.grid.x_of(1) + view.grid.column_width / 2)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 10))
    assert panel.mode == "provider"
    settle(qtbot, panel)
    columns = view.columns
    assert {c.provider.id for c in columns} == {chosen.id}
    assert len(columns) == len({c.day for c in columns}) >= 5
    assert panel.toolbar.focus_box.currentData() == chosen.id
    # The week fits the window: no scrolling sideways to see Friday.
    assert view.horizontalScrollBar().maximum() == 0
    # Everyone's week: every provider's surname above their columns.
    panel.set_mode("week")
    settle(qtbot, panel)
    assert len(view.columns) == 10 * len({c.day for c in view.columns})
    small = view.fonts.small_metrics
    width = int(view.grid.column_width - 4)
    for column in view.columns:
        assert week_label(column.provider.name, width, small) == short_name(column.provider.name)
