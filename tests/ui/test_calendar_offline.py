"""With the sandbox stopped, a booking made in the calendar shows as pending (and the status
bar says offline, one change waiting); after the sandbox restarts it is confirmed by itself."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from frontdesk_app.domain.ids import is_temporary
from frontdesk_app.domain.models import AppointmentQuery
from frontdesk_app.ui.calendar.booking_dialog import BookingDialog
from tests.ui.calendar_support import (
    WAIT,
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
    pytest.mark.integration,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


@pytest.fixture
def desk(qtbot: QtBot, loop: object, tmp_path: Path) -> Iterator[CalendarDesk]:
    yield from open_calendar_desk(qtbot, tmp_path, "sandbox")


def test_offline_booking_is_pending_then_confirmed_after_restart(
    qtbot: QtBot, desk: CalendarDesk
) -> None:
    provider = desk.providers[5]
    start = free_slot(qtbot, desk.backend, provider)
    patient = some_patients(qtbot, desk.backend)[0]
    go_to(qtbot, desk.panel, provider.id, start)
    model, status = desk.panel.model, desk.window.status

    desk.server.stop()
    dialog = desk.panel.open_booking(provider_id=provider.id, start=start)
    assert isinstance(dialog, BookingDialog)
    wait_times(qtbot, dialog)  # free times come from the local copy while offline
    assert dialog.time.selected() == start
    choose_patient(qtbot, dialog, patient.last_name)
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: desk.panel.active_dialog is None, timeout=WAIT)

    def mine() -> list[str]:
        return [
            v.sync_state for v in model.all() if v.start == start and v.provider_id == provider.id
        ]

    qtbot.waitUntil(lambda: mine() == ["pending"], timeout=WAIT)
    qtbot.waitUntil(lambda: status.snapshot.connection == "offline", timeout=WAIT)
    assert status.snapshot.pending == 1 and status.pending.text() == "1 change waiting"

    desk.server.start()
    qtbot.waitUntil(lambda: mine() == ["synced"], timeout=60_000)
    confirmed = next(v for v in model.all() if v.start == start and v.provider_id == provider.id)
    assert not is_temporary(confirmed.id)
    qtbot.waitUntil(lambda: status.snapshot.pending == 0, timeout=WAIT)
    on_server = run(
        qtbot,
        desk.other.list_appointments(
            AppointmentQuery(provider_id=provider.id, start=start, end=start + timedelta(hours=1))
        ),
    )
    assert [(a.id, a.patient_id) for a in on_server.data if a.start_time == start] == [
        (confirmed.id, patient.id)
    ]
