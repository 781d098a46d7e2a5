"""Every tile says what it is: a booking waiting to sync and one in conflict show their time,
patient and type like the others, with their mark; a conflict says "Conflict — click to resolve",
and clicking it opens the conflict list on that conflict; one of a recurring series says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from frontdesk_app.domain.models import AppointmentCreate, Patient, Provider
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.ui.calendar.cards import MARKS, RECURRING, Card
from frontdesk_app.ui.calendar.describe import SERIES_WORDS, describe
from frontdesk_app.ui.calendar.model import AppointmentView
from frontdesk_app.ui.calendar.palette import type_style
from frontdesk_app.ui.conflicts_dialog import ConflictListDialog
from tests.ui.calendar_support import (
    WAIT,
    CalendarDesk,
    book_series,
    free_slot,
    go_to,
    open_calendar_desk,
    run,
    some_patients,
)

pytestmark = [
    pytest.mark.ui,
    pytest.mark.integration,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


@pytest.fixture
def desk(qtbot: QtBot, loop: object, tmp_path: Path) -> Iterator[CalendarDesk]:
    yield from open_calendar_desk(qtbot, tmp_path, "sandbox")


def painted_card(qtbot: QtBot, desk: CalendarDesk, appointment_id: str) -> Card:
    """The tile of this appointment as painted now (scrolled into view first)."""
    view = desk.panel.view
    held = desk.panel.model.get(appointment_id)
    assert held is not None
    view.set_cursor(held.provider_id, held.start)
    view.viewport().grab()
    found = next((c for _, c in view.visible_cards() if c.view.id == appointment_id), None)
    assert found is not None and found.text is not None
    return found


def book_offline(
    qtbot: QtBot, desk: CalendarDesk, provider: Provider, start: datetime, patient: Patient
) -> AppointmentView:
    run(
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

    def mine() -> AppointmentView | None:
        return next(
            (
                v
                for v in desk.panel.model.all()
                if v.start == start and v.provider_id == provider.id and v.sync_state != "synced"
            ),
            None,
        )

    qtbot.waitUntil(lambda: mine() is not None, timeout=WAIT)
    found = mine()
    assert found is not None
    return found


def assert_says_who_and_when(desk: CalendarDesk, card: Card, patient: Patient) -> None:
    assert card.text is not None
    start = f"{card.view.start.astimezone(desk.panel.zone):%H:%M}"
    assert card.text.first.startswith(start)
    assert patient.first_name in card.text.first.split()
    assert not card.text.dot


def test_waiting_and_conflict_tiles_say_what_they_are_and_a_click_resolves(
    qtbot: QtBot, desk: CalendarDesk, tmp_path: Path
) -> None:
    provider = desk.providers[3]
    start = free_slot(qtbot, desk.backend, provider)
    mine, rivals = some_patients(qtbot, desk.backend, 2)
    go_to(qtbot, desk.panel, provider.id, start)

    desk.server.stop()
    waiting = book_offline(qtbot, desk, provider, start, mine)
    qtbot.waitUntil(lambda: desk.panel.model.has_patient(mine.id), timeout=WAIT)
    card = painted_card(qtbot, desk, waiting.id)
    assert_says_who_and_when(desk, card, mine)
    assert card.text is not None and card.text.mark == MARKS["pending"][0]
    assert card.text.second == type_style("follow-up").label

    # Another desk took the time meanwhile: the server refuses ours when it is back.
    rival = LocalBackend.open(tmp_path / "sandbox.sqlite")
    try:
        run(
            qtbot,
            rival.create_appointment(
                AppointmentCreate(
                    patient_id=rivals.id,
                    provider_id=provider.id,
                    start_time=start,
                    duration_minutes=30,
                    type="consultation",
                )
            ),
        )
    finally:
        run(qtbot, rival.aclose())
    desk.server.start()
    qtbot.waitUntil(lambda: desk.window.status.snapshot.conflicts >= 1, timeout=90_000)

    def in_conflict() -> AppointmentView | None:
        return next(
            (
                v
                for v in desk.panel.model.all()
                if v.patient_id == mine.id and v.sync_state == "conflict"
            ),
            None,
        )

    qtbot.waitUntil(lambda: in_conflict() is not None, timeout=WAIT)
    conflict = in_conflict()
    assert conflict is not None

    def both_shown() -> bool:  # the other desk's booking, beside ours in the same column
        model = desk.panel.model
        return sum(v.start == start and v.provider_id == provider.id for v in model.all()) >= 2

    qtbot.waitUntil(both_shown, timeout=60_000)
    card = painted_card(qtbot, desk, conflict.id)
    assert card.w > desk.panel.view.grid.column_width / 2  # it takes the width it needs
    assert_says_who_and_when(desk, card, mine)
    assert card.text is not None and card.text.mark == "Conflict — click to resolve"

    # Clicking the tile opens the conflict list on this conflict.
    view = desk.panel.view
    rect = view.viewport_rect_of(conflict.id)
    assert rect is not None
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    def dialog() -> ConflictListDialog | None:
        found = [w for w in QApplication.topLevelWidgets() if isinstance(w, ConflictListDialog)]
        return found[0] if found and found[0].isVisible() else None

    qtbot.waitUntil(lambda: bool(getattr(dialog(), "items", None)), timeout=WAIT)
    shown = dialog()
    assert shown is not None
    current = shown.current()
    assert current is not None and current.appointment_id == conflict.id
    shown.close()
    qtbot.waitUntil(lambda: dialog() is None, timeout=WAIT)
    # From the keyboard: Enter on the selected conflict opens the list on it too.
    view.select(conflict.id)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(getattr(dialog(), "items", None)), timeout=WAIT)
    again = dialog()
    assert again is not None
    current = again.current()
    assert current is not None and current.appointment_id == conflict.id
    assert desk.panel.active_dialog is None  # no reschedule dialog for a refused change
    again.close()


def test_a_tile_of_a_recurring_series_says_so(qtbot: QtBot, desk: CalendarDesk) -> None:
    provider = desk.providers[2]
    start = free_slot(qtbot, desk.backend, provider)
    [patient] = some_patients(qtbot, desk.backend, 1)
    booked = book_series(qtbot, desk.backend, provider, start, patient, notes="physio")
    first = booked.appointments[0]
    go_to(qtbot, desk.panel, provider.id, start)
    qtbot.waitUntil(lambda: desk.panel.model.get(first.id) is not None, timeout=WAIT)

    card = painted_card(qtbot, desk, first.id)
    assert_says_who_and_when(desk, card, patient)
    assert card.text is not None and card.text.second is not None
    assert card.text.second.startswith(f"{type_style('follow-up').label} · {RECURRING}")
    assert SERIES_WORDS in describe(desk.panel.model, card.view, None)
