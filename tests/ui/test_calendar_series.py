"""Recurring series from the calendar, on `LocalBackend` and through the offline-first backend
over the sandbox: "Repeat…" in the booking dialog opens the series dialog with the booking as
its first date; the series books; on one of its appointments the menu moves it and the later
ones (or the whole series) to another time, or cancels them — each one write, all or none."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialogButtonBox, QMenu, QMessageBox
from pytestqt.qtbot import QtBot

from frontdesk_app.ui.calendar.series_dialog import SeriesDialog
from tests.ui.calendar_support import (
    WAIT,
    CalendarDesk,
    book_series,
    free_slot,
    open_calendar_desk,
    run,
    some_patients,
)
from tests.ui.panel_support import ZONE
from tests.ui.test_calendar_flows import choose_patient, wait_times

pytestmark = [
    pytest.mark.ui,
    # The offscreen platform's notes when a menu pops up (harmless).
    pytest.mark.qt_log_ignore(
        "This plugin does not support propagateSizeHints",
        r"This plugin does not support raise\(\)",
        "This plugin does not support grabbing the keyboard",
    ),
]


@pytest.fixture(params=["local", "sandbox"])
def desk(
    request: pytest.FixtureRequest, qtbot: QtBot, loop: object, tmp_path: Path
) -> Iterator[CalendarDesk]:
    yield from open_calendar_desk(qtbot, tmp_path, request.param)


def test_repeat_books_a_series_and_its_menu_moves_and_cancels_the_following(
    qtbot: QtBot, desk: CalendarDesk
) -> None:
    provider = desk.providers[2]
    start = free_slot(qtbot, desk.backend, provider, skip=3)
    patient = some_patients(qtbot, desk.backend, 3)[2]
    booking = desk.panel.open_booking(provider_id=provider.id, start=start)
    wait_times(qtbot, booking)
    choose_patient(qtbot, booking, patient.last_name)
    qtbot.mouseClick(booking.repeat_button, Qt.MouseButton.LeftButton)
    dialog = desk.panel.active_dialog
    assert isinstance(dialog, SeriesDialog)
    dialog.count.setValue(3)
    qtbot.waitUntil(
        lambda: dialog.checked is not None and dialog.table.rowCount() == 3, timeout=WAIT
    )
    run(qtbot, desk.panel.window().bridge.wait_idle())
    for row in range(3):  # a date that does not fit is left out (the test wants it simple)
        choice = dialog.table.cellWidget(row, 3)
        if choice is not None:
            choice.setCurrentIndex(choice.count() - 1)  # type: ignore[attr-defined]
    with qtbot.waitSignal(dialog.booked, timeout=WAIT) as booked:
        qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    series = booked.args[0]
    assert series.appointments[0].start_time == start
    assert "Series booked" in desk.panel.message.title

    first = series.appointments[0]
    desk.panel.series.menu_for(first.id, QPoint(10, 10), desk.panel._appointment_menu)
    qtbot.waitUntil(lambda: desk.panel.context_menu is not None, timeout=WAIT)
    menu = desk.panel.context_menu
    assert isinstance(menu, QMenu)
    texts = [a.text() for a in menu.actions()]
    assert "Cancel this and the following in the series…" in texts
    assert "Move this and the following to another time…" in texts
    assert "Move the whole series to another time…" in texts
    menu.close()

    # Move them to the first one's own time of day: each is moved, none doubled.
    local = first.start_time.astimezone(ZONE)
    desk.panel.series.move(series.id, first.start_time, time(local.hour, local.minute))
    qtbot.waitUntil(lambda: "Series moved" in desk.panel.message.title, timeout=WAIT)

    box = desk.panel.series.ask_cancel(series.id, series.appointments[1].start_time)
    assert isinstance(box, QMessageBox)
    yes = next(b for b in box.buttons() if b.text() == "Cancel them")
    qtbot.mouseClick(yes, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Series cancelled" in desk.panel.message.title, timeout=WAIT)
    shown = run(qtbot, desk.other.get_series(series.id))
    assert shown.appointments[0].status == "rescheduled"  # moved (to its own time), kept
    assert {a.status for a in shown.appointments[1:]} == {"cancelled"}


def test_the_whole_series_moves_from_any_of_its_appointments(
    qtbot: QtBot, desk: CalendarDesk
) -> None:
    provider = desk.providers[1]
    start = free_slot(qtbot, desk.backend, provider, skip=2)
    patient = some_patients(qtbot, desk.backend, 4)[3]
    series = book_series(qtbot, desk.backend, provider, start, patient)
    second = series.appointments[1]
    # From the second one: "the whole series" moves the first one too.
    dialog = desk.panel.series.ask_move(series.id, second, from_this=False)
    buttons = dialog.findChild(QDialogButtonBox)
    assert isinstance(buttons, QDialogButtonBox)
    qtbot.mouseClick(buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Series moved" in desk.panel.message.title, timeout=WAIT)
    assert "2 appointments moved" in desk.panel.message.text
    shown = run(qtbot, desk.other.get_series(series.id))
    assert [a.status for a in shown.appointments] == ["rescheduled", "rescheduled"]
