"""The calendar's flows end to end, against the demo clinic in `LocalBackend` and against the
real sandbox behind the offline-first backend the app holds: book from a free slot, a refused
booking, drag-and-drop, cancel, find next opening, another desk's booking appearing live.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from frontdesk_app.domain.models import AppointmentCreate, AppointmentQuery
from frontdesk_app.ui.calendar.booking_dialog import BookingDialog
from frontdesk_app.ui.calendar.change_dialogs import CancelDialog
from frontdesk_app.ui.calendar.find_opening import FindOpeningDialog
from tests.ui.calendar_support import (
    WAIT,
    CalendarDesk,
    free_slot,
    go_to,
    open_calendar_desk,
    run,
    some_patients,
)

pytestmark = [
    pytest.mark.ui,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


@pytest.fixture(params=["local", "sandbox"])
def desk(
    request: pytest.FixtureRequest, qtbot: QtBot, loop: object, tmp_path: Path
) -> Iterator[CalendarDesk]:
    yield from open_calendar_desk(qtbot, tmp_path, request.param)


def choose_patient(qtbot: QtBot, dialog: BookingDialog, last_name: str) -> None:
    qtbot.keyClicks(dialog.patient.field, last_name)
    dialog.patient.search_now()
    results = dialog.patient.results
    qtbot.waitUntil(
        lambda: results.count() > 0 and bool(results.item(0).flags() & Qt.ItemFlag.ItemIsEnabled),
        timeout=WAIT,
    )
    results.setCurrentRow(0)
    qtbot.keyClick(dialog.patient.field, Qt.Key.Key_Return)
    assert dialog.patient.patient is not None


def wait_times(qtbot: QtBot, dialog: BookingDialog) -> None:
    qtbot.waitUntil(lambda: not dialog.time.loading, timeout=WAIT)


def test_book_by_double_click_on_a_free_slot(qtbot: QtBot, desk: CalendarDesk) -> None:
    provider = desk.providers[0]
    start = free_slot(qtbot, desk.backend, provider)
    patient = some_patients(qtbot, desk.backend)[0]
    go_to(qtbot, desk.panel, provider.id, start)
    view = desk.panel.view
    point = view.point_for(provider.id, start + timedelta(minutes=5))
    assert point is not None and view.viewport().rect().contains(point)

    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    dialog = desk.panel.active_dialog
    assert isinstance(dialog, BookingDialog)
    wait_times(qtbot, dialog)
    assert dialog.time.selected() == start  # the slot double-clicked, offered as free
    choose_patient(qtbot, dialog, patient.last_name)
    dialog.notes.setPlainText("First visit")
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: desk.panel.active_dialog is None, timeout=WAIT)
    booked = [
        v for v in desk.panel.model.all() if v.start == start and v.provider_id == provider.id
    ]
    assert len(booked) == 1 and booked[0].notes == "First visit"
    assert desk.panel.view.selected_id == booked[0].id
    stored = run(qtbot, desk.other.get_appointment(booked[0].id))
    assert stored.status == "confirmed" and stored.patient_id == booked[0].patient_id


def test_a_refused_booking_shows_the_reason_and_keeps_what_was_typed(
    qtbot: QtBot, desk: CalendarDesk
) -> None:
    provider = desk.providers[1]
    start = free_slot(qtbot, desk.backend, provider)
    mine, theirs = some_patients(qtbot, desk.backend, 2)
    dialog = desk.panel.open_booking(provider_id=provider.id, start=start)
    wait_times(qtbot, dialog)
    choose_patient(qtbot, dialog, mine.last_name)
    dialog.notes.setPlainText("Needs an interpreter")
    dialog.type.setCurrentIndex(dialog.type.findData("procedure"))
    assert dialog.time.selected() == start

    # Another desk takes the slot while this one is still typing.
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
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(dialog.message.isVisible, timeout=WAIT)
    assert dialog.message.code == "slot_unavailable"
    assert "already has" in dialog.message.text
    assert dialog.isVisible() and desk.panel.active_dialog is dialog
    assert dialog.patient.patient is not None and dialog.patient.patient.id == mine.id
    assert dialog.notes.toPlainText() == "Needs an interpreter"
    assert dialog.type.currentData() == "procedure"
    wait_times(qtbot, dialog)
    offered = [dialog.time.itemData(i) for i in range(dialog.time.count())]
    assert start not in offered
    assert not desk.window.errors.bugs
    dialog.reject()


def test_drag_and_drop_reschedules(qtbot: QtBot, desk: CalendarDesk) -> None:
    provider = desk.providers[2]
    start = free_slot(qtbot, desk.backend, provider, minutes=30)
    patient = some_patients(qtbot, desk.backend)[0]
    appointment = run(
        qtbot,
        desk.backend.create_appointment(
            AppointmentCreate(
                patient_id=patient.id,
                provider_id=provider.id,
                start_time=start,
                duration_minutes=30,
                type="follow-up",
            )
        ),
    )
    go_to(qtbot, desk.panel, provider.id, start)
    model, view = desk.panel.model, desk.panel.view
    qtbot.waitUntil(lambda: model.get(appointment.id) is not None, timeout=WAIT)
    day_slots = run(
        qtbot,
        desk.backend.provider_availability(provider.id, start.astimezone(model.zone).date(), 30),
    ).slots
    target = next(
        s.start_time
        for s in day_slots
        if abs(s.start_time - start) >= timedelta(hours=1)
        and abs(s.start_time - start) <= timedelta(hours=3)
    )

    rect = view.viewport_rect_of(appointment.id)
    assert rect is not None
    grab = QPoint(rect.center().x(), rect.top() + 6)
    offset = grab.y() - rect.top()
    drop = view.point_for(provider.id, target)
    assert drop is not None
    drop = QPoint(grab.x(), drop.y() - 2 + offset)
    view.verticalScrollBar().setValue(view.verticalScrollBar().value())
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=grab)
    qtbot.mouseMove(view.viewport(), pos=QPoint(grab.x(), grab.y() + 20))
    qtbot.mouseMove(view.viewport(), pos=drop)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=drop)

    qtbot.waitUntil(
        lambda: run(qtbot, desk.other.get_appointment(appointment.id)).start_time == target,
        timeout=WAIT,
    )
    moved = run(qtbot, desk.other.get_appointment(appointment.id))
    assert moved.status == "rescheduled" and moved.previous_time == start
    qtbot.waitUntil(
        lambda: (
            (v := model.get(appointment.id)) is not None
            and v.start == target
            and v.sync_state == "synced"
        ),
        timeout=WAIT,
    )


def test_cancel_with_a_reason_and_no_notice(qtbot: QtBot, desk: CalendarDesk) -> None:
    provider = desk.providers[3]
    start = free_slot(qtbot, desk.backend, provider)
    patient = some_patients(qtbot, desk.backend)[0]
    appointment = run(
        qtbot,
        desk.backend.create_appointment(
            AppointmentCreate(
                patient_id=patient.id,
                provider_id=provider.id,
                start_time=start,
                duration_minutes=30,
                type="telehealth",
            )
        ),
    )
    go_to(qtbot, desk.panel, provider.id, start)
    view = desk.panel.view
    qtbot.waitUntil(lambda: desk.panel.model.get(appointment.id) is not None, timeout=WAIT)
    view.select(appointment.id)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    dialog = desk.panel.active_dialog
    assert isinstance(dialog, CancelDialog)
    dialog.reason.setCurrentIndex(dialog.reason.findData("weather"))
    dialog.notify.setChecked(False)
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(
        lambda: run(qtbot, desk.other.get_appointment(appointment.id)).status == "cancelled",
        timeout=WAIT,
    )
    cancelled = run(qtbot, desk.other.get_appointment(appointment.id))
    assert cancelled.reason_code == "weather"
    notices = run(qtbot, desk.other.list_notifications(appointment_id=appointment.id))
    assert [n.kind for n in notices if n.kind == "cancelled"] == []
    # Hidden from the calendar (cancelled ones are shown only when asked for).
    qtbot.waitUntil(
        lambda: (
            appointment.id
            not in {
                v.id
                for v in desk.panel.model.in_cell(
                    provider.id, start.astimezone(view.model.zone).date()
                )
            }
        ),
        timeout=WAIT,
    )


def test_find_next_opening(qtbot: QtBot, desk: CalendarDesk) -> None:
    provider = desk.providers[0]
    dialog = desk.panel.open_find_opening()
    assert isinstance(dialog, FindOpeningDialog)
    dialog.provider.setCurrentIndex(dialog.provider.findData(provider.id))
    dialog.duration.setValue(240)  # a long opening: usually days away in a busy clinic
    qtbot.mouseClick(dialog.search_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.found is not None, timeout=WAIT)
    found = dialog.found
    assert found is not None and found.provider.id == provider.id
    day = found.start.astimezone(desk.panel.zone).date()
    slots = run(qtbot, desk.backend.provider_availability(provider.id, day, 240)).slots
    assert found.start == slots[0].start_time  # the first free start of its day
    first = dialog.from_day.date().toPython()
    for offset in range((day - first).days):  # and no earlier day had one
        earlier = first + timedelta(days=offset)
        assert not run(qtbot, desk.backend.provider_availability(provider.id, earlier, 240)).slots

    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    booking = desk.panel.active_dialog
    assert isinstance(booking, BookingDialog)
    qtbot.waitUntil(lambda: not booking.time.loading, timeout=WAIT)
    assert booking.chosen_provider() == provider.id
    assert booking.time.selected() == found.start
    booking.reject()


def test_a_booking_by_another_desk_appears_live(qtbot: QtBot, desk: CalendarDesk) -> None:
    provider = desk.providers[4]
    start = free_slot(qtbot, desk.backend, provider)
    go_to(qtbot, desk.panel, provider.id, start)
    view, model = desk.panel.view, desk.panel.model
    day = start.astimezone(model.zone).date()
    existing = next((v for v in model.all() if model.local_day(v.start) == day), None)
    if existing is not None:
        view.select(existing.id)
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum() // 2)
    scroll = (view.horizontalScrollBar().value(), view.verticalScrollBar().value())
    patient = some_patients(qtbot, desk.backend)[0]

    theirs = run(
        qtbot,
        desk.other.create_appointment(
            AppointmentCreate(
                patient_id=patient.id,
                provider_id=provider.id,
                start_time=start,
                duration_minutes=30,
                type="new-patient",
            )
        ),
    )
    qtbot.waitUntil(lambda: model.get(theirs.id) is not None, timeout=WAIT)
    assert model.get(theirs.id).type == "new-patient"  # type: ignore[union-attr]
    assert (view.horizontalScrollBar().value(), view.verticalScrollBar().value()) == scroll
    assert view.selected_id == (existing.id if existing else None)
    listed = run(qtbot, desk.backend.list_appointments(AppointmentQuery(provider_id=provider.id)))
    assert theirs.id in {a.id for a in listed.data}
