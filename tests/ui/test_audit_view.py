"""The admin's audit view: filters by dates, user, action and patient id; CSV export of what it
shows; no way to change an entry."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QSettings
from PySide6.QtWidgets import QAbstractItemView, QPushButton
from pytestqt.qtbot import QtBot

from frontdesk_app.config import Settings
from frontdesk_app.store.audit import Actor, AuditTrail
from frontdesk_app.store.db import Store
from frontdesk_app.ui.audit_menu import add_audit_action, set_audit_sink
from frontdesk_app.ui.audit_view import AuditView
from frontdesk_app.ui.main_window import MainWindow
from tests.fixtures.store import NOW, Clock
from tests.ui.calendar_support import WAIT, ZONE

pytestmark = [
    pytest.mark.ui,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]

TODAY = date(2026, 3, 2)  # NOW is 09:00 that day in New York


def fill(store: Store) -> None:
    """Two desks over four days; the last entry is 40 days back (outside the default range)."""
    plan = [
        (0, "ann", "eligibility.check", "pat_a", "elig_1"),
        (-1, "ben", "appointment.create", "pat_a", "apt_1"),
        (-1, "ann", "prescription.view", "pat_b", "rx_1"),
        (-3, "ben", "appointment.cancel", "pat_b", "apt_2"),
        (-40, "ann", "eligibility.check", "pat_c", "elig_0"),
    ]
    with store.write() as session:
        for days, user, action, patient, obj in plan:
            clock = Clock(NOW + timedelta(days=days))
            AuditTrail(Actor(user, f"{user}-desk"), clock=clock).record(
                session, action, patient_id=patient, object_id=obj
            )


def search(qtbot: QtBot, view: AuditView) -> list[str]:
    before = view.searches
    view.search_button.click()
    qtbot.waitUntil(lambda: view.searches > before, timeout=WAIT)
    column = 6
    return [view.table.item(r, column).text() for r in range(view.table.rowCount())]


@pytest.fixture
def view(qtbot: QtBot, loop: object, store: Store) -> AuditView:
    fill(store)
    made = AuditView(store, zone=ZONE, today=TODAY)
    qtbot.addWidget(made)
    made.show()
    return made


def test_filters_by_dates_user_action_and_patient(qtbot: QtBot, view: AuditView) -> None:
    assert search(qtbot, view) == ["elig_1", "rx_1", "apt_1", "apt_2"]  # newest first
    assert view.table.item(0, 0).text() == "2026-03-02 09:00:00"  # clinic time
    assert view.table.item(0, 4).text() == "Eligibility checked"
    assert "4 entries" in view.summary.text()
    assert [view.user.itemText(i) for i in range(view.user.count())] == ["Anyone", "ann", "ben"]

    view.user.setCurrentIndex(view.user.findData("ann"))
    assert search(qtbot, view) == ["elig_1", "rx_1"]
    view.user.setCurrentIndex(0)
    view.action.setCurrentIndex(view.action.findData("appointment.cancel"))
    assert search(qtbot, view) == ["apt_2"]
    view.action.setCurrentIndex(0)
    view.patient.setText("pat_a")
    assert search(qtbot, view) == ["elig_1", "apt_1"]
    view.patient.clear()
    view.start.setDate(QDate(2026, 1, 1))
    view.end.setDate(QDate(2026, 2, 28))  # the end day is included; the day after is not
    assert search(qtbot, view) == ["apt_2", "elig_0"]
    view.start.setDate(QDate(2026, 3, 3))
    view.end.setDate(QDate(2026, 3, 31))
    assert search(qtbot, view) == []
    assert not view.export_button.isEnabled()


def test_csv_export_of_what_is_shown(qtbot: QtBot, view: AuditView, tmp_path: Path) -> None:
    assert search(qtbot, view) == ["elig_1", "rx_1", "apt_1", "apt_2"]
    view.action.setCurrentIndex(view.action.findData("appointment.create"))
    search(qtbot, view)
    target = tmp_path / "audit.csv"
    recorded: list[tuple[str, str | None, str | None]] = []
    set_audit_sink(lambda action, patient, obj: recorded.append((action, patient, obj)))
    try:
        assert view.export_to(target) == 1
    finally:
        set_audit_sink(None)
    assert target.read_text(encoding="utf-8").splitlines() == [
        "time_utc,person,person_id,user,workstation,action,patient_id,object_id,linked_id",
        "2026-03-01T14:00:00Z,,,ben,ben-desk,appointment.create,pat_a,apt_1,",
    ]
    assert recorded == [("audit.export", None, "1 entries")]  # the export is audited too


def test_the_view_cannot_change_entries(qtbot: QtBot, view: AuditView) -> None:
    search(qtbot, view)
    assert view.table.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers
    labels = {b.text().lower() for b in view.findChildren(QPushButton)}
    assert not any(word in label for label in labels for word in ("delete", "remove", "edit"))


def test_file_menu_opens_the_audit_log(qtbot: QtBot, tmp_path: Path) -> None:
    window = MainWindow(
        settings=Settings(clinic_timezone=ZONE.key),
        qsettings=QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat),
        settings_path=tmp_path / "settings.json",
    )
    qtbot.addWidget(window)
    opened: list[bool] = []
    action = add_audit_action(window, lambda: opened.append(True))
    file_menu = window.menuBar().actions()[0].menu()
    assert file_menu is not None and action in file_menu.actions()  # type: ignore[union-attr]
    action.trigger()
    assert opened == [True]
