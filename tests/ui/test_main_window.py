"""The main window around the calendar: panels by slot and Ctrl+1…4, what it remembers, the
keyboard in the calendar, the day sheet as PDF, and the status bar's conflict list."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from frontdesk_app.config import Settings
from frontdesk_app.domain.models import AppointmentCreate
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.ui.calendar.booking_dialog import BookingDialog
from frontdesk_app.ui.calendar.day_sheet import sheet_rows
from frontdesk_app.ui.calendar.panel import calendar_panel_spec
from frontdesk_app.ui.conflicts_dialog import ConflictListDialog
from frontdesk_app.ui.main_window import MainWindow
from frontdesk_app.ui.panels import PanelContext, PanelSpec
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

pytestmark = [
    pytest.mark.ui,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


@pytest.fixture
def desk(qtbot: QtBot, loop: object, tmp_path: Path) -> Iterator[CalendarDesk]:
    yield from open_calendar_desk(qtbot, tmp_path, "local")


def new_window(tmp_path: Path) -> MainWindow:
    window = MainWindow(
        settings=Settings(clinic_timezone=ZONE.key),
        qsettings=QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat),
        settings_path=tmp_path / "settings.json",
    )
    window.show()
    activate(window)
    return window


def activate(window: QWidget) -> None:
    """Shortcuts fire only in the active window; offscreen, nobody activates it for us."""
    window.activateWindow()


def close_window(qtbot: QtBot, window: MainWindow) -> None:
    run(qtbot, window.detach())
    window.close()
    window.deleteLater()


class NotesPanel(QLabel):
    def __init__(self, ctx: PanelContext) -> None:
        super().__init__("notes")
        self.shown = 0
        self.closed = False

    def on_shown(self) -> None:
        self.shown += 1

    def shutdown(self) -> None:
        self.closed = True


def test_panels_by_slot_shortcuts_and_remembered_state(
    qtbot: QtBot, loop: object, tmp_path: Path
) -> None:
    backend = LocalBackend.open(tmp_path / "clinic.sqlite", demo=True)
    specs = [calendar_panel_spec(), PanelSpec("notes", "Notes", 3, NotesPanel)]
    first = new_window(tmp_path)
    first.attach(backend, environment="Test", specs=specs)
    assert [first.tabs.tabText(i) for i in range(first.tabs.count())] == ["Calendar", "Notes"]
    qtbot.waitUntil(first.isActiveWindow, timeout=WAIT)
    qtbot.keyClick(first, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    notes = first.panel("notes")
    assert isinstance(notes, NotesPanel) and first.tabs.currentWidget() is notes
    assert notes.shown == 1
    qtbot.keyClick(first, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert first.current_panel_key() == "calendar"
    qtbot.keyClick(first, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    first.resize(760, 560)  # inside the offscreen screen, which restoring clamps to
    first.close()  # saves geometry and the panel shown
    run(qtbot, first.detach())
    assert notes.closed
    first.deleteLater()

    second = new_window(tmp_path)
    second.attach(backend, environment="Test", specs=specs)
    assert second.current_panel_key() == "notes"
    assert (second.width(), second.height()) == (760, 560)
    close_window(qtbot, second)
    run(qtbot, backend.aclose())


def test_keyboard_moves_books_and_changes_the_day(qtbot: QtBot, desk: CalendarDesk) -> None:
    panel, view = desk.panel, desk.panel.view
    provider = desk.providers[0]
    start = free_slot(qtbot, desk.backend, provider)
    go_to(qtbot, panel, provider.id, start)
    activate(desk.window)
    qtbot.waitUntil(desk.window.isActiveWindow, timeout=WAIT)
    view.setFocus()
    assert view.cursor_slot() == (provider.id, start)
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert view.cursor_slot() == (provider.id, start + timedelta(minutes=15))
    qtbot.keyClick(view, Qt.Key.Key_Up)
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.cursor_slot() == (desk.providers[1].id, start)

    day = panel.anchor
    qtbot.keyClick(view, Qt.Key.Key_PageDown)
    assert panel.anchor == day + timedelta(days=1)
    qtbot.keyClick(view, Qt.Key.Key_PageUp)
    assert panel.anchor == day
    view.set_cursor(provider.id, start)
    qtbot.keyClick(view, Qt.Key.Key_Left)  # first column: Left goes to the day before
    assert panel.anchor == day - timedelta(days=1)
    panel.show_instant(provider.id, start)
    qtbot.keyClick(view, Qt.Key.Key_Return)  # Enter on a free time books there
    dialog = panel.active_dialog
    assert isinstance(dialog, BookingDialog)
    qtbot.waitUntil(lambda: not dialog.time.loading, timeout=WAIT)
    assert dialog.time.selected() == start and dialog.chosen_provider() == provider.id
    dialog.reject()
    activate(desk.window)  # the dialog had been the active window
    qtbot.waitUntil(desk.window.isActiveWindow, timeout=WAIT)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    assert panel.mode == "week" and len(panel.model.days) >= 5


def test_day_sheet_lists_the_day_and_exports_a_pdf(
    qtbot: QtBot, desk: CalendarDesk, tmp_path: Path
) -> None:
    provider = desk.providers[0]
    start = free_slot(qtbot, desk.backend, provider)
    patient = some_patients(qtbot, desk.backend)[0]
    run(
        qtbot,
        desk.backend.create_appointment(
            AppointmentCreate(
                patient_id=patient.id,
                provider_id=provider.id,
                start_time=start,
                duration_minutes=30,
                type="procedure",
                notes="Fasting since midnight",
            )
        ),
    )
    go_to(qtbot, desk.panel, provider.id, start)
    qtbot.waitUntil(lambda: desk.panel.model.has_patient(patient.id), timeout=WAIT)
    sections = dict(sheet_rows(desk.panel.model, desk.panel.anchor))
    rows = next(rows for heading, rows in sections.items() if heading.startswith(provider.name))
    local = start.astimezone(ZONE)
    assert [
        f"{local:%H:%M}–{local + timedelta(minutes=30):%H:%M}",
        patient.full_name,
        "Procedure",
        "",
        "Fasting since midnight",
    ] in rows
    pdf = tmp_path / "sheet.pdf"
    assert desk.panel.export_day_sheet(pdf) >= 1
    assert pdf.read_bytes().startswith(b"%PDF")


@dataclass
class OneConflict:
    """What the status bar and the conflict list read from an offline-first backend."""

    provider_id: str
    start: datetime
    resolved: list[tuple[str, datetime | None]]
    backend: LocalBackend

    @property
    def state(self) -> Any:
        return type("State", (), {"connection": "conflicts", "pending": 0, "conflicts": 1})()

    def add_state_listener(self, listener: Callable[[Any], None]) -> Callable[[], None]:
        return lambda: None

    async def list_conflicts(self) -> list[Any]:
        request = type("Request", (), {"start_time": self.start})()
        return [
            type(
                "Conflict",
                (),
                {
                    "id": "out_1",
                    "kind": "create",
                    "reason": "Taken by another desk.",
                    "appointment_id": "tmp_apt_1",
                    "provider_id": self.provider_id,
                    "patient_id": "pat_x",
                    "duration_minutes": 30,
                    "request": request,
                    "can_choose_slot": True,
                },
            )()
        ]

    async def resolve_conflict(
        self, conflict_id: str, *, new_start_time: datetime | None = None
    ) -> None:
        self.resolved.append((conflict_id, new_start_time))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)  # everything else: the local clinic


def test_clicking_the_conflict_count_opens_the_conflict_list(
    qtbot: QtBot, loop: object, tmp_path: Path
) -> None:
    local = LocalBackend.open(tmp_path / "clinic.sqlite", demo=True)
    provider = run(qtbot, local.list_providers())[0]
    backend = OneConflict(provider.id, free_slot(qtbot, local, provider), [], local)
    window = new_window(tmp_path)
    window.attach(backend, environment="Test", specs=[calendar_panel_spec()])  # type: ignore[arg-type]
    bar = window.status
    assert bar.conflicts.isVisible() and bar.conflicts.text() == "1 conflict"
    qtbot.mouseClick(bar.conflicts, Qt.MouseButton.LeftButton)
    dialogs = [w for w in window.findChildren(QWidget) if isinstance(w, ConflictListDialog)]
    assert len(dialogs) == 1
    dialog = dialogs[0]
    qtbot.waitUntil(lambda: len(dialog.items) == 1, timeout=WAIT)
    assert dialog.items[0].reason == "Taken by another desk."
    qtbot.mouseClick(dialog.discard, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: backend.resolved == [("out_1", None)], timeout=WAIT)
    dialog.close()
    close_window(qtbot, window)
    run(qtbot, local.aclose())
