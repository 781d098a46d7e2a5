"""The flow board (Ctrl+5) over the demo clinic: today's patients, moved on with the keys, the
waits turning amber and red as the clock runs, a late patient offered as a no-show, another
desk's move shown live."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from frontdesk_app.config import Settings
from frontdesk_app.domain import clock
from frontdesk_app.domain.clock import Clock
from frontdesk_app.domain.models import AppointmentQuery
from frontdesk_app.domain.timeutil import local_day_bounds
from frontdesk_app.domain.visits import VisitChange
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.sync.backend import OfflineFirstBackend
from frontdesk_app.ui.flow.board import NO_SHOW_GRACE, no_show_grace
from frontdesk_app.ui.flow.panel import TONES, FlowBoardPanel
from tests.fixtures.clock import running_at
from tests.ui.panel_support import (
    WAIT,
    ZONE,
    Desk,
    open_desk,
    open_offline_first_desk,
    panel_context,
    run,
)

pytestmark = [
    pytest.mark.ui,
    # The offscreen platform's note when a floating message sizes itself (harmless).
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


@pytest.fixture(params=["local", "sandbox"])
def desk(
    request: pytest.FixtureRequest, qtbot: QtBot, loop: object, tmp_path: Path
) -> Iterator[Desk]:
    yield from open_desk(qtbot, tmp_path / "clinic.db", request.param)


@pytest.fixture
def board(qtbot: QtBot, desk: Desk) -> FlowBoardPanel:
    ctx = panel_context(desk)
    panel = FlowBoardPanel(ctx)
    qtbot.addWidget(panel)
    panel.resize(1200, 700)
    panel.show()
    panel.on_shown()  # as the window does when its tab is chosen: the day is read then
    qtbot.waitUntil(lambda: panel.table.rowCount() > 3, timeout=WAIT)
    return panel


def _cell(board: FlowBoardPanel, appointment_id: str, column: int) -> str:
    for row in range(board.table.rowCount()):
        item = board.table.item(row, 0)
        if item is not None and item.data(Qt.ItemDataRole.UserRole) == appointment_id:
            cell = board.table.item(row, column)
            return cell.text() if cell is not None else ""
    raise AssertionError(f"{appointment_id} is not on the board")


def _select(board: FlowBoardPanel, appointment_id: str) -> None:
    for row in range(board.table.rowCount()):
        item = board.table.item(row, 0)
        if item is not None and item.data(Qt.ItemDataRole.UserRole) == appointment_id:
            board.table.selectRow(row)
            board.table.setFocus()
            return
    raise AssertionError(f"{appointment_id} is not on the board")


def test_today_s_patients_move_on_with_the_keys(
    qtbot: QtBot, desk: Desk, board: FlowBoardPanel
) -> None:
    first = next(r for r in board.visible_rows() if r.state == "scheduled")
    appointment_id = first.appointment.id
    assert first.appointment.start_time.astimezone(ZONE).date() == clock.today(ZONE)
    assert "to come" in board.summary.text()

    _select(board, appointment_id)
    qtbot.keyClick(board.table, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: _cell(board, appointment_id, 3) == "Arrived", timeout=WAIT)
    assert run(qtbot, desk.backend.get_visit(appointment_id)).state == "arrived"
    order = [(r.appointment.id, r.state) for r in board.visible_rows()]
    waiting_at = order.index((appointment_id, "arrived"))
    assert all(state != "scheduled" for _, state in order[:waiting_at])  # waiting comes first

    board.room.setText("4")
    _select(board, appointment_id)
    qtbot.keyClick(board.table, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: _cell(board, appointment_id, 3) == "In room", timeout=WAIT)
    assert _cell(board, appointment_id, 4) == "4"
    qtbot.waitUntil(lambda: board.room.text() == "", timeout=WAIT)  # ready for the next

    _select(board, appointment_id)
    qtbot.keyClick(board.table, Qt.Key.Key_Return)  # the usual next step
    qtbot.waitUntil(lambda: _cell(board, appointment_id, 3) == "With provider", timeout=WAIT)
    visit = run(qtbot, desk.backend.get_visit(appointment_id))
    assert [s.state for s in visit.history] == ["arrived", "in_room", "with_provider"]


def test_a_refused_move_is_said_in_the_panel(qtbot: QtBot, board: FlowBoardPanel) -> None:
    row = next(r for r in board.visible_rows() if r.state == "scheduled")
    _select(board, row.appointment.id)
    qtbot.keyClick(board.table, Qt.Key.Key_O)  # checked out: fine, a jump ahead
    qtbot.waitUntil(lambda: _cell(board, row.appointment.id, 3) == "Checked out", timeout=WAIT)
    _select(board, row.appointment.id)
    qtbot.keyClick(board.table, Qt.Key.Key_A)
    qtbot.waitUntil(board.message.isVisible, timeout=WAIT)
    assert "already checked out" in board.message.text


def test_waits_turn_amber_then_red_and_a_late_patient_is_offered_as_a_no_show(
    qtbot: QtBot, desk: Desk, board: FlowBoardPanel
) -> None:
    waiting = next(r for r in board.visible_rows() if r.state == "scheduled")
    run(qtbot, desk.backend.change_visit(waiting.appointment.id, VisitChange(state="arrived")))
    qtbot.waitUntil(lambda: _cell(board, waiting.appointment.id, 3) == "Arrived", timeout=WAIT)
    tones = []
    for minutes in (5, 12, 25):
        with running_at(Clock.starting_at(clock.now() + timedelta(minutes=minutes))):
            board._fill()  # what the board's timer does every half minute
            row = next(r for r in board.rows if r.appointment.id == waiting.appointment.id)
            tones.append(row.tone(clock.now()))
            assert _cell(board, waiting.appointment.id, 5) == f"{minutes} min"
    assert tones == ["calm", "amber", "red"]
    assert TONES["red"] is not None

    late = min(
        (r for r in board.rows if r.state == "scheduled"), key=lambda r: r.appointment.start_time
    )
    then = late.appointment.start_time + NO_SHOW_GRACE + timedelta(minutes=1)
    with running_at(Clock.starting_at(then)):
        board._fill()
        assert "no-show?" in _cell(board, late.appointment.id, 5)


def test_the_no_show_grace_is_the_desk_s_setting(qtbot: QtBot, board: FlowBoardPanel) -> None:
    late = min(
        (r for r in board.rows if r.state == "scheduled"), key=lambda r: r.appointment.start_time
    )
    board.ctx.settings = Settings(no_show_grace_minutes=30)
    with running_at(Clock.starting_at(late.appointment.start_time + timedelta(minutes=20))):
        board._fill()
        assert "no-show?" not in _cell(board, late.appointment.id, 5)  # 20 of 30 minutes
    board.ctx.settings = Settings(no_show_grace_minutes=5)
    with running_at(Clock.starting_at(late.appointment.start_time + timedelta(minutes=6))):
        board._fill()
        assert _cell(board, late.appointment.id, 5) == "6 min late — no-show? (N)"
    assert no_show_grace("ten") == NO_SHOW_GRACE and no_show_grace(900) == timedelta(hours=2)


def test_another_desk_s_move_shows_live(qtbot: QtBot, desk: Desk, board: FlowBoardPanel) -> None:
    row = next(r for r in board.visible_rows() if r.state == "scheduled")
    run(
        qtbot,
        desk.backend.change_visit(row.appointment.id, VisitChange(state="arrived", by="Front 2")),
    )
    qtbot.waitUntil(lambda: _cell(board, row.appointment.id, 3) == "Arrived", timeout=WAIT)


def test_the_provider_filter_keeps_one_provider_s_patients(
    qtbot: QtBot, board: FlowBoardPanel
) -> None:
    assert board.provider.count() > 2
    board.provider.setCurrentIndex(1)
    wanted = board.provider.currentData()
    assert board.visible_rows() and all(
        r.appointment.provider_id == wanted for r in board.visible_rows()
    )
    assert board.table.rowCount() == len(board.visible_rows())


def test_the_day_is_read_when_the_board_is_first_shown_not_at_start_up(
    qtbot: QtBot, desk: Desk
) -> None:
    ctx = panel_context(desk)
    hidden = FlowBoardPanel(ctx)
    qtbot.addWidget(hidden)
    qtbot.wait(300)
    assert hidden.rows == [] and hidden.table.rowCount() == 0
    hidden.on_shown()
    qtbot.waitUntil(lambda: hidden.table.rowCount() > 3, timeout=WAIT)


def test_a_day_of_more_than_one_page_is_shown_whole(
    qtbot: QtBot, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large clinic's day comes in several pages: the board reads every one."""
    start, end = local_day_bounds(clock.today(ZONE), ZONE)
    day = run(qtbot, desk.backend.list_appointments(AppointmentQuery(start=start, end=end)))
    active = {a.id for a in day.data if a.status != "cancelled"}
    assert len(active) > 6
    monkeypatch.setattr("frontdesk_app.ui.flow.panel.PAGE", 3)  # pages of three
    ctx = panel_context(desk)
    panel = FlowBoardPanel(ctx)
    qtbot.addWidget(panel)
    panel.on_shown()
    qtbot.waitUntil(lambda: {r.appointment.id for r in panel.rows} == active, timeout=WAIT)


@pytest.fixture
def offline_first(qtbot: QtBot, loop: object, tmp_path: Path) -> Iterator[Desk]:
    yield from open_offline_first_desk(qtbot, tmp_path)


def test_a_day_read_before_the_server_answered_is_read_again_when_it_does(
    qtbot: QtBot, offline_first: Desk, tmp_path: Path
) -> None:
    """A desk that opens its board in an outage (or before the server answers at start-up)
    shows this computer's copy; once the server answers, the board reads the day again."""
    desk = offline_first
    assert desk.server is not None and isinstance(desk.backend, OfflineFirstBackend)
    assert run(qtbot, desk.backend.puller.wait_pulled(WAIT / 1000))  # the copy is made
    desk.server.stop()
    board = FlowBoardPanel(panel_context(desk))
    qtbot.addWidget(board)
    board.on_shown()
    qtbot.waitUntil(lambda: board.table.rowCount() > 3, timeout=WAIT)
    qtbot.waitUntil(lambda: desk.backend.state.connection == "offline", timeout=WAIT)
    waiting = next(r for r in board.rows if r.visit.state == "scheduled")
    # Meanwhile another desk checks the patient in, on the server.
    other = LocalBackend.open(tmp_path / "clinic.db")
    try:
        run(qtbot, other.change_visit(waiting.appointment.id, VisitChange(state="arrived")))
    finally:
        run(qtbot, other.aclose())
    desk.server.start()
    qtbot.waitUntil(
        lambda: any(
            r.appointment.id == waiting.appointment.id and r.visit.state == "arrived"
            for r in board.rows
        ),
        timeout=WAIT,
    )
    board.shutdown()
