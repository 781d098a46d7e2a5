"""Undo a move: Ctrl+Z (or "Undo" on the "Moved" message) puts the last drag back — time and
provider — as another reschedule through the same write path: on the demo clinic, against the
real sandbox, and with the sandbox stopped (the undo waits in the outbox like the move).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from frontdesk_app.domain.models import Appointment, AppointmentCreate, Provider
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


@pytest.fixture
def sandbox_desk(qtbot: QtBot, loop: object, tmp_path: Path) -> Iterator[CalendarDesk]:
    yield from open_calendar_desk(qtbot, tmp_path, "sandbox")


def booked(qtbot: QtBot, desk: CalendarDesk, provider: Provider) -> Appointment:
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
    qtbot.waitUntil(lambda: desk.panel.model.get(appointment.id) is not None, timeout=WAIT)
    return appointment


def a_free_target(
    qtbot: QtBot, desk: CalendarDesk, provider: Provider, start: datetime
) -> datetime:
    """A free start the same day, an hour or two away (in view without scrolling)."""
    day = start.astimezone(desk.panel.zone).date()
    slots = run(qtbot, desk.backend.provider_availability(provider.id, day, 30)).slots
    return next(
        s.start_time
        for s in slots
        if timedelta(hours=1) <= abs(s.start_time - start) <= timedelta(hours=2)
    )


def drag(qtbot: QtBot, desk: CalendarDesk, appointment_id: str, target: datetime) -> None:
    view = desk.panel.view
    rect = view.viewport_rect_of(appointment_id)
    held = desk.panel.model.get(appointment_id)
    assert rect is not None and held is not None
    grab = QPoint(rect.center().x(), rect.top() + 6)
    drop = view.point_for(held.provider_id, target)
    assert drop is not None
    drop = QPoint(grab.x(), drop.y() - 2 + (grab.y() - rect.top()))
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=grab)
    qtbot.mouseMove(view.viewport(), pos=QPoint(grab.x(), grab.y() + 20))
    qtbot.mouseMove(view.viewport(), pos=drop)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=drop)


def shown_at(desk: CalendarDesk, appointment_id: str, start: datetime, state: str) -> bool:
    held = desk.panel.model.get(appointment_id)
    return held is not None and held.start == start and held.sync_state == state


def on_server(qtbot: QtBot, desk: CalendarDesk, appointment_id: str) -> Appointment:
    return run(qtbot, desk.other.get_appointment(appointment_id))


def test_ctrl_z_puts_a_dragged_appointment_back(qtbot: QtBot, desk: CalendarDesk) -> None:
    provider = desk.providers[2]
    appointment = booked(qtbot, desk, provider)
    start = appointment.start_time
    target = a_free_target(qtbot, desk, provider, start)
    drag(qtbot, desk, appointment.id, target)
    qtbot.waitUntil(lambda: shown_at(desk, appointment.id, target, "synced"), timeout=WAIT)
    assert on_server(qtbot, desk, appointment.id).start_time == target
    message = desk.panel.message
    assert message.isVisible() and message.title == "Moved"
    assert message.action_button.isVisible() and message.action_button.text() == "Undo"

    view = desk.panel.view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: shown_at(desk, appointment.id, start, "synced"), timeout=WAIT)
    back = on_server(qtbot, desk, appointment.id)
    assert back.start_time == start and back.provider_id == provider.id
    assert back.end_time - back.start_time == timedelta(minutes=30)
    held = desk.panel.model.get(appointment.id)
    assert held is not None and held.provider_id == provider.id
    # An undo is not itself undone: Ctrl+Z again changes nothing.
    assert not desk.panel.toolbar.undo.isEnabled()
    assert not desk.panel.undo_move()
    assert on_server(qtbot, desk, appointment.id).start_time == start


@pytest.mark.integration
def test_undo_on_the_moved_message_works_offline(qtbot: QtBot, sandbox_desk: CalendarDesk) -> None:
    desk = sandbox_desk
    provider = desk.providers[6]
    appointment = booked(qtbot, desk, provider)
    start = appointment.start_time
    qtbot.waitUntil(lambda: shown_at(desk, appointment.id, start, "synced"), timeout=WAIT)
    target = a_free_target(qtbot, desk, provider, start)

    desk.server.stop()
    drag(qtbot, desk, appointment.id, target)
    qtbot.waitUntil(lambda: shown_at(desk, appointment.id, target, "pending"), timeout=WAIT)
    message = desk.panel.message
    qtbot.waitUntil(message.action_button.isVisible, timeout=WAIT)
    qtbot.mouseClick(message.action_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown_at(desk, appointment.id, start, "pending"), timeout=WAIT)
    held = desk.panel.model.get(appointment.id)
    assert held is not None and held.provider_id == provider.id

    desk.server.start()
    qtbot.waitUntil(lambda: shown_at(desk, appointment.id, start, "synced"), timeout=60_000)
    back = on_server(qtbot, desk, appointment.id)
    assert back.start_time == start and back.provider_id == provider.id


def test_a_reschedule_from_the_dialog_is_undone_with_its_length(
    qtbot: QtBot, desk: CalendarDesk
) -> None:
    provider = desk.providers[4]
    appointment = booked(qtbot, desk, provider)
    start = appointment.start_time
    dialog = desk.panel.open_reschedule(appointment.id)
    assert dialog is not None
    qtbot.waitUntil(lambda: not dialog.time.loading, timeout=WAIT)
    dialog.duration.setValue(15)  # a shorter visit, at another time
    qtbot.waitUntil(lambda: not dialog.time.loading, timeout=WAIT)
    other = next(t for t in dialog.time.starts() if abs(t - start) >= timedelta(hours=1))
    dialog.time.setCurrentIndex(dialog.time.findData(other))
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: on_server(qtbot, desk, appointment.id).start_time == other, timeout=WAIT
    )
    moved = on_server(qtbot, desk, appointment.id)
    assert moved.end_time - moved.start_time == timedelta(minutes=15)
    # The dialog has its answer (the outbox may have sent the change before it came back).
    qtbot.waitUntil(lambda: desk.panel.active_dialog is None, timeout=WAIT)
    assert desk.panel.toolbar.undo.isEnabled()
    assert desk.panel.undo_move()
    qtbot.waitUntil(
        lambda: on_server(qtbot, desk, appointment.id).start_time == start, timeout=WAIT
    )
    back = on_server(qtbot, desk, appointment.id)
    assert back.end_time - back.start_time == timedelta(minutes=30)
    assert back.provider_id == provider.id
    qtbot.waitUntil(lambda: shown_at(desk, appointment.id, start, "synced"), timeout=WAIT)
