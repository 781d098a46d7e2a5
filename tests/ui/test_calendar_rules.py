"""The calendar's rules without a window: zoom levels and readable widths, the sentence that says
why another time is offered, lanes beside a conflict, the undo window, the picker's saved sets,
the first line of a card that never cuts a first name."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from frontdesk_app.ui.calendar.cards import first_line
from frontdesk_app.ui.calendar.layout import STRIP, lane_spans
from frontdesk_app.ui.calendar.metrics import Fonts
from frontdesk_app.ui.calendar.provider_picker import read_sets
from frontdesk_app.ui.calendar.time_note import explain, nearest
from frontdesk_app.ui.calendar.undo import UNDO_WINDOW_S, MoveHistory
from frontdesk_app.ui.calendar.zoom import (
    MAX_LEVEL,
    MIN_LEVEL,
    OVERVIEW_COLUMN,
    OVERVIEW_LEVEL,
    Zoom,
    min_column,
    readable_width,
)
from tests.ui.test_calendar_model import ZONE, at, provider, view

pytestmark = pytest.mark.ui


@pytest.fixture
def fonts(qapp: QApplication) -> Fonts:
    font = QFont(qapp.font())
    font.setPointSizeF(10)
    return Fonts.from_font(font)


def test_zoom_levels_scale_and_stay_in_bounds(fonts: Fonts) -> None:
    assert Zoom().px_per_minute == pytest.approx(1.6)
    assert Zoom(MAX_LEVEL).step(1) == Zoom(MAX_LEVEL)
    assert Zoom(MIN_LEVEL).step(-1) == Zoom(MIN_LEVEL)
    for level in range(MIN_LEVEL, MAX_LEVEL + 1):
        quarter = 15 * Zoom(level).px_per_minute
        assert quarter == pytest.approx(round(quarter))  # lines fall on whole pixels
    assert Zoom.from_setting("2") == Zoom(2)
    assert Zoom.from_setting("99") == Zoom(MAX_LEVEL)
    assert Zoom.from_setting(None) == Zoom() == Zoom.from_setting("wide")
    day = min_column("day", Zoom(), fonts, [])
    assert day == readable_width(fonts)
    assert fonts.bold_metrics.horizontalAdvance("09:15  Firstname Surname") < day
    assert min_column("day", Zoom(1), fonts, []) > day > min_column("day", Zoom(-1), fonts, [])
    names = ["Dr. Kwame Adebayo-Frost", "Dana Whitfield, NP"]
    week = min_column("week", Zoom(), fonts, names)
    assert week > fonts.small_metrics.horizontalAdvance("Adebayo-Frost")
    assert min_column("week", Zoom(OVERVIEW_LEVEL), fonts, names) == OVERVIEW_COLUMN


def test_the_first_line_gives_way_surname_first(fonts: Fonts) -> None:
    bold = fonts.bold_metrics
    label = "Bartholomew Featherstonehaugh"
    full = f"09:15  {label}"
    assert first_line("09:15", label, bold.horizontalAdvance(full), fonts) == full
    with_first = bold.horizontalAdvance("09:15  Bartholomew")
    shown = first_line("09:15", label, with_first + bold.horizontalAdvance("Fea…"), fonts)
    assert shown.startswith("09:15  Bartholomew F") and shown.endswith("…")
    assert first_line("09:15", label, with_first, fonts) == "09:15  Bartholomew"
    alone = bold.horizontalAdvance("Bartholomew")
    assert first_line("09:15", label, alone, fonts) == "Bartholomew"
    assert first_line("09:15", label, bold.horizontalAdvance("09:15"), fonts) == "09:15"
    assert first_line("09:15", label, 5, fonts) == ""


def test_why_another_time_is_offered() -> None:
    doctor = provider("prov_a")
    assert nearest([at(9, 30), at(11, 30), at(14)], at(10, 15)) == at(9, 30)
    assert nearest([at(9), at(11, 30)], at(10, 15)) == at(11, 30)  # as near: the later
    assert nearest([], at(10)) is None
    assert explain(at(10, 15), at(11, 30), doctor, ZONE) == (
        "10:15 is taken; the nearest free time is 11:30."
    )
    assert explain(at(7, 15), at(8), doctor, ZONE) == (
        "07:15 is outside Dr. prov_a's hours; the nearest free time is 08:00."
    )
    assert explain(at(12, 15), at(13), doctor, ZONE).startswith("12:15 is outside")  # lunch
    assert explain(at(10), at(10, 30), doctor, ZONE, refused=True) == (
        "10:00 was just taken; the nearest free time is 10:30."
    )
    assert explain(at(10), None, doctor, ZONE).endswith("no free time of that length on this day.")
    assert explain(at(10), at(10), doctor, ZONE) == ""


def test_a_conflict_takes_the_width_beside_the_booking_that_took_its_time() -> None:
    ours = replace(view("apt_ours", at(10)), sync_state="conflict")
    theirs = view("apt_theirs", at(10))
    later = view("apt_later", at(11))
    spans = lane_spans([ours, theirs, later], 200.0)
    assert spans["apt_ours"] == (0.0, 200.0 - STRIP)
    assert spans["apt_theirs"] == (200.0 - STRIP, STRIP)
    assert spans["apt_later"] == (0.0, 200.0)  # alone: the whole width
    plain = lane_spans([view("a", at(10)), view("b", at(10))], 200.0)
    assert plain == {"a": (0.0, 100.0), "b": (100.0, 100.0)}


def test_a_move_can_be_undone_for_a_minute_and_once() -> None:
    now = [1000.0]
    history = MoveHistory(now=lambda: now[0])
    history.record("apt_1", at(9), 30, at(10))
    now[0] += UNDO_WINDOW_S - 1
    move = history.take()
    assert move is not None and move.before == at(9) and move.before_minutes == 30
    assert history.take() is None  # an undo is not undone
    history.record("apt_1", at(9), 30, at(10))
    now[0] += UNDO_WINDOW_S + 1
    assert history.last() is None
    history.record("apt_2", at(9), 30, at(10) + timedelta(hours=1))
    history.forget("apt_2")
    assert history.last() is None


def test_saved_sets_are_read_back_and_anything_else_is_none() -> None:
    assert read_sets('{"Morning team": ["prov_a", "prov_b"]}') == {
        "Morning team": ["prov_a", "prov_b"]
    }
    assert read_sets(None) == {} == read_sets("not json") == read_sets("[1, 2]")
    assert read_sets('{"Bad": 3, "Good": []}') == {"Good": []}
