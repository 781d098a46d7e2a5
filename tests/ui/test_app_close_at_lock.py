"""A person who closes the window at the lock page, before anybody signed in (the clinic's
data still shut), ends the desk: the app does not stay running with no window."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from frontdesk_app.app import AppRunner
from frontdesk_app.config import Settings
from frontdesk_app.ui.lock.controller import LockController
from frontdesk_app.ui.main_window import MainWindow
from tests.fixtures.desk import set_up_desk
from tests.ui.calendar_support import WAIT, ZONE

pytestmark = [
    pytest.mark.ui,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


def test_closing_at_the_lock_page_ends_the_desk(
    qtbot: QtBot,
    loop: asyncio.AbstractEventLoop,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_keyring: None,
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("FRONTDESK_HOME", str(home))
    desk, _key, _admin, _code = set_up_desk(home)
    settings = Settings(environment="standalone", clinic_timezone=ZONE.key)
    window = MainWindow(
        settings=settings,
        qsettings=QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat),
        settings_path=tmp_path / "settings.json",
    )
    window.show()
    lock = LockController(window, desk, timeout_ms=60_000)
    lock.install()
    closed = asyncio.Event()
    window.closing.connect(closed.set)
    args = argparse.Namespace(smoke=False, db=str(tmp_path / "standalone.sqlite"))
    runner = AppRunner(window, args, settings, desk=desk, lock=lock, closed=closed)
    desk_life = asyncio.ensure_future(runner.main())
    qtbot.waitUntil(lambda: "sign in" in window.starting_label.text(), timeout=WAIT)
    assert lock.locked and not desk_life.done()

    window.close()
    qtbot.waitUntil(desk_life.done, timeout=WAIT)
    assert desk_life.result() == 0
    assert runner.services is None  # the clinic never opened
    window.deleteLater()
