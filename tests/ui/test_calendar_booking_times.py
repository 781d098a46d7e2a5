"""The booking dialog says what changed: when it offers another time than the one double-clicked
(taken, or outside the provider's hours) it says why, and after "That time is taken" the focus
stays on the time list and Book stays the default button.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QPushButton
from pytestqt.qtbot import QtBot

from frontdesk_app.domain import clock
from frontdesk_app.domain.models import AppointmentCreate, AppointmentQuery, Provider
from frontdesk_app.domain.timeutil import local_instant
from frontdesk_app.ui.calendar.booking_dialog import BookingDialog
from frontdesk_app.ui.calendar.time_note import nearest
from tests.ui.calendar_support import (
    WAIT,
    ZONE,
    CalendarDesk,
    free_slot,
    go_to,
    open_calendar_desk,
    run,
    some_patients,
)
from tests.ui.test_calendar_flows import choose_patient, wait_times

pytestmark = [
    pytest.mark.ui,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


@pytest.fixture
def desk(qtbot: QtBot, loop: object, tmp_path: Path) -> Iterator[CalendarDesk]:
    yield from open_calendar_desk(qtbot, tmp_path, "local")


def hhmm(instant: datetime) -> str:
    return f"{instant.astimezone(ZONE):%H:%M}"


def a_taken_start(qtbot: QtBot, desk: CalendarDesk, provider: Provider) -> datetime:
    """The start of one of the provider's booked appointments, from tomorrow on."""
    tomorrow = clock.today(ZONE) + timedelta(days=1)
    start = local_instant(tomorrow, time(0), ZONE)
    page = run(
        qtbot,
        desk.backend.list_appointments(
            AppointmentQuery(provider_id=provider.id, start=start, end=start + timedelta(days=14))
        ),
    )
    booked = [a for a in page.data if a.status != "cancelled"]
    assert booked
    return booked[len(booked) // 2].start_time


def opened(desk: CalendarDesk) -> BookingDialog:
    dialog = desk.panel.active_dialog
    assert isinstance(dialog, BookingDialog)
    return dialog


def test_a_taken_time_is_named_with_the_nearest_free_one(qtbot: QtBot, desk: CalendarDesk) -> None:
    provider = desk.providers[4]
    taken = a_taken_start(qtbot, desk, provider)
    dialog = desk.panel.open_booking(provider_id=provider.id, start=taken)
    wait_times(qtbot, dialog)
    offered = dialog.time.selected()
    assert offered is not None and offered != taken
    assert offered == nearest(dialog.time.starts(), taken)
    assert dialog.time_note.isVisible()
    assert dialog.time_note.text() == (
        f"{hhmm(taken)} is taken; the nearest free time is {hhmm(offered)}."
    )
    # Choosing a time oneself needs no explanation.
    dialog.time.activated.emit(dialog.time.currentIndex())
    assert not dialog.time_note.isVisible()
    dialog.reject()


def test_a_double_click_outside_hours_says_so(qtbot: QtBot, desk: CalendarDesk) -> None:
    provider = desk.providers[4]
    day = a_taken_start(qtbot, desk, provider).astimezone(ZONE).date()
    first_hour = min(r.start for r in provider.weekly_hours[day.weekday()])
    early = local_instant(day, time(first_hour.hour - 1, 15), ZONE)
    go_to(qtbot, desk.panel, provider.id, early)
    view = desk.panel.view
    point = view.point_for(provider.id, early + timedelta(minutes=5))
    assert point is not None
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    dialog = opened(desk)
    wait_times(qtbot, dialog)
    offered = dialog.time.selected()
    assert offered is not None and offered > early
    assert dialog.time_note.text() == (
        f"{hhmm(early)} is outside {provider.name}'s hours; "
        f"the nearest free time is {hhmm(offered)}."
    )
    dialog.reject()


def test_after_that_time_is_taken_focus_stays_on_the_times_and_book_is_default(
    qtbot: QtBot, desk: CalendarDesk
) -> None:
    provider = desk.providers[1]
    start = free_slot(qtbot, desk.backend, provider)
    mine, theirs = some_patients(qtbot, desk.backend, 2)
    dialog = desk.panel.open_booking(provider_id=provider.id, start=start)
    wait_times(qtbot, dialog)
    assert dialog.time.selected() == start and not dialog.time_note.isVisible()
    choose_patient(qtbot, dialog, mine.last_name)
    run(
        qtbot,
        desk.other.create_appointment(
            AppointmentCreate(
                patient_id=theirs.id,
                provider_id=provider.id,
                start_time=start,
                duration_minutes=30,
                type="consultation",
            )
        ),
    )
    dialog.time.setFocus()
    qtbot.keyClick(dialog.time, Qt.Key.Key_Return)  # Enter books
    qtbot.waitUntil(lambda: dialog.message.code == "slot_unavailable", timeout=WAIT)
    wait_times(qtbot, dialog)
    offered = dialog.time.selected()
    assert offered is not None and offered != start
    assert dialog.time_note.text() == (
        f"{hhmm(start)} was just taken; the nearest free time is {hhmm(offered)}."
    )
    assert dialog.focusWidget() is dialog.time
    assert dialog.book_button.isDefault() and dialog.book_button.isEnabled()
    box = dialog.findChild(QDialogButtonBox)
    assert box is not None
    cancel = box.button(QDialogButtonBox.StandardButton.Cancel)
    assert isinstance(cancel, QPushButton) and not cancel.isDefault()
    # Enter again books the time offered.
    qtbot.keyClick(dialog.time, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: desk.panel.active_dialog is None, timeout=WAIT)
    stored = run(
        qtbot,
        desk.other.list_appointments(
            AppointmentQuery(provider_id=provider.id, start=offered, end=offered + timedelta(1))
        ),
    )
    assert any(a.start_time == offered and a.patient_id == mine.id for a in stored.data)
