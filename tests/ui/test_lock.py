"""The idle lock: after a (short, here) idle time every patient detail is hidden behind the lock
page, dialogs included; the right PIN brings everything back as it was; writes keep syncing and
a transferred call still rings while locked, without naming the caller."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from frontdesk_app import secrets
from frontdesk_app.api import ApiBackend, ApiKey
from frontdesk_app.config import Settings
from frontdesk_app.domain.models import AppointmentCreate, AppointmentQuery, SimulatedCallRequest
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.sandbox.server import SandboxServer
from frontdesk_app.store.encryption import generate_key
from frontdesk_app.sync.backend import OfflineFirstBackend
from frontdesk_app.sync.connectivity import Backoff
from frontdesk_app.ui.calendar.panel import CalendarPanel, calendar_panel_spec
from frontdesk_app.ui.calls.panel import CallsPanel, calls_panel_spec
from frontdesk_app.ui.lock.controller import (
    MAX_TRIES,
    LockController,
    idle_timeout_ms,
)
from frontdesk_app.ui.lock.credential import (
    KeyringHashStore,
    MemoryHashStore,
    WorkstationLock,
)
from frontdesk_app.ui.main_window import MainWindow
from frontdesk_app.ui.settings_dialog import SettingsDialog
from tests.ui.calendar_support import WAIT, ZONE, free_slot, run

pytestmark = [
    pytest.mark.ui,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]

PIN = "2468"
# Cheap parameters for tests; the app uses argon2's defaults (about half a second).
FAST_HASH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def new_lock(pin: str | None = PIN) -> tuple[WorkstationLock, MemoryHashStore]:
    store = MemoryHashStore()
    lock = WorkstationLock(store, FAST_HASH)
    if pin is not None:
        lock.set(pin)
    return lock, store


class Cable(httpx.AsyncBaseTransport):
    """The desk's network: `unplugged = True` cuts it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.unplugged = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.unplugged:
            raise httpx.ConnectError("the network is down", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def make_window(tmp_path: Path, settings: Settings) -> MainWindow:
    window = MainWindow(
        settings=settings,
        qsettings=QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat),
        settings_path=tmp_path / "settings.json",
    )
    window.resize(1300, 860)
    window.show()
    return window


def visible_texts() -> list[str]:
    """Every piece of text a passer-by could read in any window of the app right now."""
    texts: list[str] = []
    for top in QApplication.topLevelWidgets():
        if not top.isVisible():
            continue
        texts.append(top.windowTitle())
        for widget in [top, *top.findChildren(QWidget)]:
            if not widget.isVisible():
                continue
            plain = isinstance(widget, QLineEdit) and widget.echoMode() == QLineEdit.EchoMode.Normal
            if isinstance(widget, QLabel) or plain:
                texts.append(widget.text())  # type: ignore[union-attr]
    return texts


def unlock_with(qtbot: QtBot, controller: LockController, pin: str) -> None:
    controller.page.secret.setText(pin)
    qtbot.mouseClick(controller.page.button, Qt.MouseButton.LeftButton)


def close(qtbot: QtBot, window: MainWindow) -> None:
    run(qtbot, window.bridge.wait_idle())
    run(qtbot, window.detach())
    window.errors.close_reports()
    window.close()
    window.deleteLater()


@pytest.fixture
def local_desk(
    qtbot: QtBot, loop: object, tmp_path: Path
) -> Iterator[tuple[MainWindow, LocalBackend]]:
    backend = LocalBackend.open(tmp_path / "clinic.sqlite", demo=True)
    window = make_window(tmp_path, Settings(environment="standalone", clinic_timezone=ZONE.key))
    window.attach(backend, environment="Test", specs=[calendar_panel_spec()])
    calendar = window.panel("calendar")
    assert isinstance(calendar, CalendarPanel)
    qtbot.waitUntil(lambda: calendar.loaded, timeout=WAIT)
    try:
        yield window, backend
    finally:
        close(qtbot, window)
        run(qtbot, backend.aclose())


def test_idle_lock_hides_patient_data_and_the_pin_brings_it_all_back(
    qtbot: QtBot, local_desk: tuple[MainWindow, LocalBackend]
) -> None:
    window, _backend = local_desk
    calendar = window.panel("calendar")
    assert isinstance(calendar, CalendarPanel)
    calendar.set_mode("week")
    qtbot.waitUntil(lambda: len(calendar.model) > 0 and calendar.window().bridge.in_flight == 0)
    names = [n for n in calendar.model.patient_labels().values() if n]
    assert names, "the calendar shows patients' names"
    before = (calendar.anchor, calendar.mode, len(calendar.model))

    # Half-done work in dialogs: a settings change being typed, a message naming a patient.
    settings = window.open_settings()
    assert isinstance(settings, SettingsDialog)
    settings.workstation.setText("Front desk 9")
    notice = QMessageBox(
        QMessageBox.Icon.Information, "Reminder", f"Call {names[0]}", parent=window
    )
    notice.open()
    qtbot.waitUntil(notice.isVisible)

    lock, _store = new_lock()
    controller = LockController(window, lock, timeout_ms=200)
    controller.install()
    assert not controller.locked
    qtbot.waitUntil(lambda: controller.locked, timeout=WAIT)  # nobody touched anything

    assert controller.stack is not None and controller.stack.currentWidget() is controller.page
    assert not calendar.isVisible() and not settings.isVisible() and not notice.isVisible()
    assert [w for w in QApplication.topLevelWidgets() if w.isVisible()] == [window]
    assert not window.menuBar().isEnabled() and not window.statusBar().isEnabled()
    shown = "\n".join(visible_texts())
    assert "locked" in shown
    assert not any(name in shown for name in names)

    # A dialog that opens while locked (an answer arriving late) is put away as well.
    late = QMessageBox(QMessageBox.Icon.Warning, "Late", f"{names[-1]} called", parent=window)
    late.open()
    qtbot.waitUntil(lambda: not late.isVisible(), timeout=WAIT)
    assert not any(name in "\n".join(visible_texts()) for name in names)
    # One closed by its owner while locked (its question was answered) stays closed.
    done = QMessageBox(QMessageBox.Icon.Information, "Saved", "Booked.", parent=window)
    done.open()
    qtbot.waitUntil(lambda: not done.isVisible(), timeout=WAIT)
    done.done(0)

    unlock_with(qtbot, controller, "1357")
    qtbot.waitUntil(controller.page.error.isVisible, timeout=WAIT)
    assert controller.locked and "not right" in controller.page.error.text()
    assert not calendar.isVisible()

    unlock_with(qtbot, controller, PIN)
    qtbot.waitUntil(lambda: not controller.locked, timeout=WAIT)
    assert calendar.isVisible() and settings.isVisible() and notice.isVisible() and late.isVisible()
    assert not done.isVisible()
    assert settings.workstation.text() == "Front desk 9"  # nothing typed was lost
    assert (calendar.anchor, calendar.mode, len(calendar.model)) == before
    assert window.menuBar().isEnabled() and window.statusBar().isEnabled()
    assert controller.page.secret.text() == ""
    assert controller.watcher.counting  # and the idle clock runs again
    for dialog in (settings, notice, late):
        dialog.close()


def test_input_keeps_the_desk_unlocked(
    qtbot: QtBot, local_desk: tuple[MainWindow, LocalBackend]
) -> None:
    window, _backend = local_desk
    lock, _store = new_lock()
    controller = LockController(window, lock, timeout_ms=60_000)
    controller.install()
    assert controller.watcher.counting
    controller.watcher._timer.stop()
    qtbot.keyClick(window, Qt.Key.Key_Shift)
    assert controller.watcher.counting  # any key press or mouse move starts the count again
    controller.watcher.pause()
    qtbot.keyClick(window, Qt.Key.Key_Shift)
    assert not controller.watcher.counting
    controller.watcher.resume()
    controller.on_window_settings_changed(Settings(idle_lock_minutes=2), False)
    assert controller.watcher.timeout_ms == 120_000


def test_lock_now_and_too_many_wrong_tries(
    qtbot: QtBot, local_desk: tuple[MainWindow, LocalBackend]
) -> None:
    window, _backend = local_desk
    lock, _store = new_lock()
    controller = LockController(window, lock, timeout_ms=60_000)
    controller.install()
    assert controller.lock_action in window.menuBar().actions()[0].menu().actions()  # type: ignore[union-attr]
    controller.lock_action.trigger()  # File → Lock now (Ctrl+L)
    assert controller.locked
    for attempt in range(MAX_TRIES):
        unlock_with(qtbot, controller, f"99{attempt}9")
        qtbot.waitUntil(lambda: not controller._busy(), timeout=WAIT)
    assert "Too many wrong tries" in controller.page.error.text()
    unlock_with(qtbot, controller, PIN)  # held off: even the right PIN waits
    assert controller.locked and not controller.page.button.isEnabled()
    controller.on_hold_timeout()
    unlock_with(qtbot, controller, PIN)
    qtbot.waitUntil(lambda: not controller.locked, timeout=WAIT)


def test_first_run_asks_for_a_pin_and_keeps_only_its_hash(
    qtbot: QtBot, local_desk: tuple[MainWindow, LocalBackend]
) -> None:
    window, _backend = local_desk
    lock, store = new_lock(pin=None)
    controller = LockController(window, lock, timeout_ms=60_000)
    controller.install()
    assert controller.locked and controller.page.mode == "setup"
    calendar = window.panel("calendar")
    assert calendar is not None and not calendar.isVisible()
    page = controller.page
    for first, second, complaint in (
        ("7392", "7393", "differ"),
        ("1111", "1111", "too easy"),
        ("12", "12", "at least 4"),
    ):
        page.secret.setText(first)
        page.confirm.setText(second)
        qtbot.mouseClick(page.button, Qt.MouseButton.LeftButton)
        assert complaint in page.error.text()
        assert store.value is None
    page.secret.setText("7392")
    page.confirm.setText("7392")
    qtbot.mouseClick(page.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not controller.locked, timeout=WAIT)
    assert store.value is not None and store.value.startswith("$argon2id$")
    assert "7392" not in store.value
    controller.lock()
    assert page.mode == "unlock"
    unlock_with(qtbot, controller, "7392")
    qtbot.waitUntil(lambda: not controller.locked, timeout=WAIT)


def test_the_hash_lives_in_the_keyring_or_a_private_file_without_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyed = KeyringHashStore(fallback=tmp_path / "lock.hash")
    lock = WorkstationLock(keyed, FAST_HASH)
    lock.set("5550")
    stored = secrets.get_secret("workstation-lock")
    assert stored is not None and stored.startswith("$argon2id$")
    assert lock.verify("5550") and not lock.verify("5551")
    assert not (tmp_path / "lock.hash").exists()
    secrets.delete_secret("workstation-lock")

    def unavailable(*_args: object) -> None:
        raise secrets.SecretStoreUnavailable("no keyring")

    monkeypatch.setattr(secrets, "get_secret", unavailable)
    monkeypatch.setattr(secrets, "set_secret", unavailable)
    assert not lock.is_set()
    lock.set("8081")
    path = tmp_path / "lock.hash"
    assert path.read_text().startswith("$argon2id$") and "8081" not in path.read_text()
    assert path.stat().st_mode & 0o077 == 0
    assert lock.verify("8081")


def test_idle_minutes_from_the_settings() -> None:
    assert idle_timeout_ms(Settings()) == 5 * 60_000
    assert idle_timeout_ms(Settings(idle_lock_minutes=0)) == 60_000
    assert idle_timeout_ms(Settings(idle_lock_minutes=10_000)) == 240 * 60_000
    assert idle_timeout_ms(Settings(idle_lock_minutes="x")) == 5 * 60_000  # type: ignore[arg-type]


# --- while locked, the desk keeps working -----------------------------------------------------


def test_writes_sync_and_transfers_ring_while_locked_without_naming_anyone(
    qtbot: QtBot, loop: object, tmp_path: Path
) -> None:
    server = SandboxServer(tmp_path / "sandbox.sqlite", demo=True).start()
    network = Cable(httpx.AsyncHTTPTransport())
    api = ApiBackend(
        base_url=server.base_url, credentials=ApiKey(server.api_key), transport=network
    )
    other = ApiBackend(base_url=server.base_url, credentials=ApiKey(server.create_key().api_key))
    agents = run(qtbot, other.list_agents())
    me = agents[0].id
    for agent in agents:
        run(qtbot, other.set_agent_status(agent.id, "available" if agent.id == me else "away"))
    backend = run(
        qtbot,
        OfflineFirstBackend.open(
            tmp_path / "mirror.sqlite",
            api,
            key=generate_key(),
            probe_backoff=Backoff(initial=0.05, maximum=0.2, jitter=0.0),
        ),
    )
    window: MainWindow | None = None
    try:
        assert backend.puller is not None and run(qtbot, backend.puller.wait_pulled(30))
        window = make_window(
            tmp_path, Settings(environment="bundled", clinic_timezone=ZONE.key, agent_id=me)
        )
        window.attach(
            backend, environment="Test", specs=[calendar_panel_spec(), calls_panel_spec()]
        )
        calls = window.panel("calls")
        assert isinstance(calls, CallsPanel)
        qtbot.waitUntil(lambda: calls.queue.status == "available", timeout=WAIT)
        calls.notifier._want_sound = False
        lock, _store = new_lock()
        controller = LockController(window, lock, timeout_ms=60_000)
        controller.install()

        # A booking made just before the desk was left, while the network was down.
        assert backend.monitor is not None
        network.unplugged = True
        backend.monitor.report_failure(httpx.ConnectError("unplugged"))
        qtbot.waitUntil(lambda: backend.state.connection == "offline", timeout=WAIT)
        provider = run(qtbot, backend.list_providers())[0]
        patient = run(qtbot, backend.search_patients(None, limit=1)).data[0]
        start = free_slot(qtbot, backend, provider)
        booked = run(
            qtbot,
            backend.create_appointment(
                AppointmentCreate(
                    patient_id=patient.id,
                    provider_id=provider.id,
                    start_time=start,
                    duration_minutes=30,
                    type="consultation",
                )
            ),
        )
        assert backend.state.pending == 1
        controller.lock()
        network.unplugged = False  # back while nobody is at the desk
        backend.retry_now()
        qtbot.waitUntil(lambda: backend.state.pending == 0, timeout=WAIT)
        assert controller.locked
        query = AppointmentQuery(
            provider_id=provider.id, start=start, end=start + timedelta(minutes=30)
        )
        found = run(qtbot, other.list_appointments(query)).data
        assert [a.patient_id for a in found if a.status != "cancelled"] == [patient.id]
        assert booked.start_time == start

        # A caller is transferred to this agent while the desk is locked.
        caller = run(
            qtbot,
            other.simulate_call(
                SimulatedCallRequest(transfer=True, priority="urgent", patient_id=patient.id)
            ),
        )
        qtbot.waitUntil(lambda: bool(calls.notifier.sent), timeout=WAIT)
        title, text = calls.notifier.sent[-1]
        assert title == "Urgent call waiting"
        assert controller.page.call_banner.isVisible()
        banner = controller.page.call_banner.text()
        assert "Urgent call waiting" in banner and "Unlock" in banner
        private = [patient.first_name, patient.last_name, caller.caller.phone]
        if caller.caller.name:
            private.append(caller.caller.name)
        for secret_text in private:
            assert secret_text not in f"{title} {text} {banner}"
            assert secret_text not in "\n".join(visible_texts())
        assert not calls.isVisible()

        unlock_with(qtbot, controller, PIN)
        qtbot.waitUntil(lambda: not controller.locked, timeout=WAIT)
        window.show_panel("calls")
        qtbot.waitUntil(lambda: bool(calls.queue.queue()), timeout=WAIT)
        assert not controller.page.call_banner.isVisible()
    finally:
        if window is not None:
            close(qtbot, window)
        run(qtbot, other.aclose())
        run(qtbot, backend.aclose())
        server.stop()
