"""The calendar on any day: it opens on the clinic's today (not the computer's, not UTC's),
shows that day's appointments, and the booking dialog starts on it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from frontdesk_app.domain import clock
from frontdesk_app.ui.calendar.booking_dialog import BookingDialog
from tests.fixtures.clock import NY
from tests.ui.calendar_support import CalendarDesk, open_calendar_desk

pytestmark = [
    pytest.mark.ui,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


@pytest.fixture
def desk(instant: datetime, qtbot: QtBot, loop: object, tmp_path: Path) -> Iterator[CalendarDesk]:
    yield from open_calendar_desk(qtbot, tmp_path, "local")


def test_the_calendar_opens_on_the_clinics_today(
    instant: datetime, qtbot: QtBot, desk: CalendarDesk
) -> None:
    today = instant.astimezone(NY).date()
    panel = desk.panel
    assert panel.today() == today == clock.today(NY)
    assert panel.anchor == today
    qtbot.waitUntil(lambda: panel.model.covers([today]), timeout=20_000)
    dialog = BookingDialog(
        desk.backend, panel.bridge, providers=desk.providers, zone=NY, parent=desk.window
    )
    try:
        shown = dialog.day.date()
        assert (shown.year(), shown.month(), shown.day()) == (today.year, today.month, today.day)
    finally:
        dialog.deleteLater()
