"""Sign-in and the idle lock: the window starts locked; after a (short, here) idle time every
patient detail is taken out of the window, dialogs put away; the right PIN brings everything back
as it was; people switch at the lock screen; a new computer sets up its first person and shows
the recovery code once; the code opens the desk when nobody can sign in; writes keep syncing and
a transferred call still rings while locked, without naming the caller."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QObject, QPoint, QSettings, Qt
from PySide6.QtGui import QAccessible, QGuiApplication, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QLineEdit, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from frontdesk_app.api import ApiBackend, ApiKey
from frontdesk_app.config import Settings
from frontdesk_app.domain import clock
from frontdesk_app.domain.clock import Clock, use_clock
from frontdesk_app.domain.models import AppointmentCreate, AppointmentQuery, SimulatedCallRequest
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.sandbox.server import SandboxServer
from frontdesk_app.store.desk_keys import DeskKeys
from frontdesk_app.store.encryption import generate_key
from frontdesk_app.store.keyslots import normalise_recovery_code
from frontdesk_app.store.sign_in_tries import FREE_TRIES
from frontdesk_app.sync.backend import OfflineFirstBackend
from frontdesk_app.sync.connectivity import Backoff
from frontdesk_app.ui.audit_menu import set_audit_sink
from frontdesk_app.ui.calendar.panel import CalendarPanel, calendar_panel_spec
from frontdesk_app.ui.calls.panel import CallsPanel, calls_panel_spec
from frontdesk_app.ui.lock.controller import (
    TOLD_TO_THE_APP,
    Backlog,
    LockController,
    idle_timeout_ms,
)
from frontdesk_app.ui.lock.stdin import Lines, start_reading
from frontdesk_app.ui.main_window import MainWindow
from frontdesk_app.ui.settings_dialog import SettingsDialog
from tests.fixtures.desk import ADMIN_PIN, FAST, set_up_desk
from tests.ui.calendar_support import WAIT, ZONE, free_slot, run

pytestmark = [
    pytest.mark.ui,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]

PIN = ADMIN_PIN


def new_desk(tmp_path: Path) -> DeskKeys:
    desk, _key, _admin, _code = set_up_desk(tmp_path / "desk")
    return desk


def signed_in(qtbot: QtBot, window: MainWindow, desk: DeskKeys, **options: int) -> LockController:
    """The lock on `window`, locked at start, and the administrator signed in."""
    controller = LockController(window, desk, timeout_ms=options.get("timeout_ms", 60_000))
    controller.install()
    assert controller.locked and controller.page.mode == "sign_in"
    unlock_with(qtbot, controller, PIN)
    qtbot.waitUntil(lambda: not controller.locked, timeout=WAIT)
    return controller


def accessible_objects(window: QWidget) -> list[QObject]:
    """Every object a screen reader (or any program using the accessibility API) can reach
    from the window."""
    found: list[QObject] = []
    pending = [QAccessible.queryAccessibleInterface(window)]
    while pending and len(found) < 20_000:
        node = pending.pop()
        if node is None or not node.isValid():
            continue
        if node.object() is not None:
            found.append(node.object())
        pending.extend(node.child(i) for i in range(node.childCount()))
    return found


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


def window_folder(window: MainWindow) -> Path:
    """The test's folder (where `make_window` put the window's settings)."""
    folder: Path = window.property("test_folder")
    return folder


def make_window(tmp_path: Path, settings: Settings) -> MainWindow:
    window = MainWindow(
        settings=settings,
        qsettings=QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat),
        settings_path=tmp_path / "settings.json",
    )
    window.resize(1300, 860)
    window.setProperty("test_folder", tmp_path)
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

    controller = LockController(window, new_desk(window_folder(window)), timeout_ms=200)
    controller.install()
    assert controller.locked  # the window starts locked
    unlock_with(qtbot, controller, PIN)
    qtbot.waitUntil(lambda: not controller.locked, timeout=WAIT)
    assert calendar in accessible_objects(window)
    qtbot.waitUntil(lambda: controller.locked, timeout=WAIT)  # nobody touched anything

    # Out of the window's tree: no screen reader or accessibility client reaches it.
    assert not window.isAncestorOf(calendar)
    reachable = accessible_objects(window)
    assert controller.page in reachable and calendar not in reachable
    assert not any(isinstance(o, QWidget) and calendar.isAncestorOf(o) for o in reachable)
    assert controller.stack is not None and controller.stack.currentWidget() is controller.page
    assert not calendar.isVisible() and not settings.isVisible() and not notice.isVisible()
    assert [w for w in QApplication.topLevelWidgets() if w.isVisible()] == [window]
    assert not window.menuBar().isEnabled() and not window.statusBar().isEnabled()
    assert window.quit_action.isEnabled()  # closing while locked is allowed (Ctrl+Q)
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

    unlock_with(qtbot, controller, "135792")
    qtbot.waitUntil(controller.page.error.isVisible, timeout=WAIT)
    assert controller.locked and "not right" in controller.page.error.text()
    assert not calendar.isVisible()

    unlock_with(qtbot, controller, PIN)
    qtbot.waitUntil(lambda: not controller.locked, timeout=WAIT)
    assert calendar.isVisible() and settings.isVisible() and notice.isVisible() and late.isVisible()
    assert not done.isVisible()
    assert settings.workstation.text() == "Front desk 9"  # nothing typed was lost
    assert window.isAncestorOf(calendar)
    assert (calendar.anchor, calendar.mode, len(calendar.model)) == before
    assert window.menuBar().isEnabled() and window.statusBar().isEnabled()
    assert controller.page.secret.text() == ""
    assert controller.watcher.counting  # and the idle clock runs again
    for dialog in (settings, notice, late):
        dialog.close()


def test_the_keyboard_is_back_in_the_window_after_signing_in(
    qtbot: QtBot, local_desk: tuple[MainWindow, LocalBackend]
) -> None:
    """Without a widget to type into after sign-in, Ctrl+K and the calendar's keys did
    nothing until the person clicked somewhere."""
    window, _backend = local_desk
    window.show()
    window.activateWindow()
    controller = signed_in(qtbot, window, new_desk(window_folder(window)))
    content = controller.content
    assert content is not None
    qtbot.waitUntil(lambda: content.isAncestorOf(window.focusWidget()), timeout=WAIT)
    calendar = window.panel("calendar")
    assert isinstance(calendar, CalendarPanel)
    calendar.view.setFocus()
    controller.lock()
    assert not content.isAncestorOf(window.focusWidget())
    unlock_with(qtbot, controller, PIN)
    qtbot.waitUntil(lambda: not controller.locked, timeout=WAIT)
    assert window.focusWidget() is calendar.view  # where it was before locking


def test_closing_while_locked_is_allowed(
    qtbot: QtBot, local_desk: tuple[MainWindow, LocalBackend]
) -> None:
    window, _backend = local_desk
    window.show()
    controller = signed_in(qtbot, window, new_desk(window_folder(window)))
    controller.lock()
    assert not window.menuBar().isEnabled()
    # Ctrl+Q is the window's own shortcut, so it works with the menus disabled.
    assert window.quit_action in window.actions()
    assert window.quit_action.shortcut() == QKeySequence("Ctrl+Q")
    window.quit_action.trigger()  # does nothing when the action is disabled
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT)


def test_input_keeps_the_desk_unlocked(
    qtbot: QtBot, local_desk: tuple[MainWindow, LocalBackend]
) -> None:
    window, _backend = local_desk
    controller = signed_in(qtbot, window, new_desk(window_folder(window)))
    assert controller.watcher.counting
    controller.watcher._timer.stop()
    # Input as the window system delivers it: to the window, then the widget under it.
    handle = window.windowHandle()
    assert handle is not None
    QTest.keyClick(handle, Qt.Key.Key_Shift)
    assert controller.watcher.counting  # any key press or mouse move starts the count again
    controller.watcher._timer.stop()
    QTest.mouseMove(handle, QPoint(40, 40))
    QTest.mouseMove(handle, QPoint(80, 60))
    assert controller.watcher.counting
    # A dialog is a window of its own: typing in it is activity too.
    dialog = QDialog(window)
    edit = QLineEdit(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is dialog.windowHandle(), timeout=WAIT)
    controller.watcher._timer.stop()
    dialog_handle = dialog.windowHandle()
    assert dialog_handle is not None
    QTest.keyClick(dialog_handle, Qt.Key.Key_A)
    assert controller.watcher.counting
    assert edit.text() == "a"  # the filter only watches: the key still reaches the field
    dialog.close()
    # Nothing else wakes it: repaints and timers are not input.
    controller.watcher._timer.stop()
    window.update()
    qtbot.wait(50)
    assert not controller.watcher.counting
    controller.watcher.pause()
    QTest.keyClick(handle, Qt.Key.Key_Shift)
    assert not controller.watcher.counting
    controller.watcher.resume()
    controller.on_window_settings_changed(Settings(idle_lock_minutes=2), False)
    assert controller.watcher.timeout_ms == 120_000


def test_lock_now_and_wrong_tries_held_off(
    qtbot: QtBot, local_desk: tuple[MainWindow, LocalBackend]
) -> None:
    window, _backend = local_desk
    controller = signed_in(qtbot, window, new_desk(window_folder(window)))
    assert controller.lock_action in window.menuBar().actions()[0].menu().actions()  # type: ignore[union-attr]
    controller.lock_action.trigger()  # File → Lock now (Ctrl+L)
    assert controller.locked
    for attempt in range(FREE_TRIES):
        unlock_with(qtbot, controller, f"99{attempt}917")
        qtbot.waitUntil(lambda: not controller._busy(), timeout=WAIT)
    assert "Wait 5 seconds" in controller.page.error.text()
    assert not controller.page.button.isEnabled()
    controller.on_hold_timeout()
    unlock_with(qtbot, controller, PIN)  # the desk file holds it off too: even the right PIN
    qtbot.waitUntil(lambda: not controller._busy(), timeout=WAIT)
    assert controller.locked and "Wait" in controller.page.error.text()
    controller.on_hold_timeout()
    with use_clock(Clock.starting_at(clock.now() + timedelta(seconds=6))):
        unlock_with(qtbot, controller, PIN)
        qtbot.waitUntil(lambda: not controller.locked, timeout=WAIT)


def test_people_switch_at_the_lock_screen(
    qtbot: QtBot, local_desk: tuple[MainWindow, LocalBackend]
) -> None:
    window, _backend = local_desk
    desk, key, admin, _code = set_up_desk(window_folder(window) / "desk")
    sam = desk.add_person(key, "Sam Staff", "staffpass 7")
    controller = LockController(window, desk, timeout_ms=60_000)
    seen: list[tuple[str, str]] = []
    controller.activity.connect(lambda action, who: seen.append((action, who)))
    opened: list[str] = []
    controller.key_opened.connect(opened.append)
    controller.install()
    page = controller.page
    assert [page.person.itemText(i) for i in range(page.person.count())] == [
        "Dana Admin",
        "Sam Staff",
    ]
    assert controller.submit_sign_in("sam staff", "staffpass 7")
    qtbot.waitUntil(lambda: not controller.locked, timeout=WAIT)
    assert controller.person == sam and opened == [key]
    controller.lock()
    assert page.chosen_person() == sam.id  # the one who locked is preselected
    page.person.setCurrentIndex(page.person.findData(admin.id))  # switch user
    unlock_with(qtbot, controller, PIN)
    qtbot.waitUntil(lambda: not controller.locked, timeout=WAIT)
    assert controller.person == admin and opened == [key]
    controller.lock()
    unlock_with(qtbot, controller, PIN)
    qtbot.waitUntil(lambda: not controller.locked, timeout=WAIT)
    assert seen == [
        ("sign_in", sam.id),
        ("lock", sam.id),
        ("sign_in", admin.id),
        ("lock", admin.id),
        ("unlock", admin.id),
    ]


def test_a_new_computer_sets_up_its_first_person_and_shows_the_code_once(
    qtbot: QtBot, local_desk: tuple[MainWindow, LocalBackend]
) -> None:
    window, _backend = local_desk
    folder = window_folder(window) / "desk"
    desk = DeskKeys(folder, params=FAST)
    controller = LockController(window, desk, timeout_ms=60_000)
    opened: list[str] = []
    controller.key_opened.connect(opened.append)
    controller.install()
    assert controller.locked and controller.page.mode == "set_up"
    calendar = window.panel("calendar")
    assert calendar is not None and not calendar.isVisible()
    page = controller.page
    for first, second, complaint in (
        ("739201", "739202", "differ"),
        ("111111", "111111", "too easy"),
        ("12", "12", "at least"),
    ):
        page.name.setText("Dana Admin")
        page.secret.setText(first)
        page.confirm.setText(second)
        qtbot.mouseClick(page.button, Qt.MouseButton.LeftButton)
        assert complaint in page.error.text()
        assert not desk.has_key()
    page.name.setText("Dana Admin")
    page.secret.setText("739201")
    page.confirm.setText("739201")
    qtbot.mouseClick(page.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.mode == "code", timeout=WAIT)
    code = page.shown_code.text()
    assert normalise_recovery_code(code) == code and controller.locked and not opened
    qtbot.mouseClick(page.button, Qt.MouseButton.LeftButton)  # "I have written it down"
    assert not controller.locked and page.shown_code.text() == ""
    assert len(opened) == 1 and desk.recover(code) == opened[0]
    stored = "".join(p.read_text() for p in folder.iterdir() if p.suffix == ".json")
    assert "739201" not in stored and code not in stored and opened[0] not in stored
    controller.lock()
    assert page.mode == "sign_in"
    unlock_with(qtbot, controller, "739201")
    qtbot.waitUntil(lambda: not controller.locked, timeout=WAIT)


def test_when_nobody_can_sign_in_the_recovery_code_opens_the_desk(
    qtbot: QtBot, local_desk: tuple[MainWindow, LocalBackend]
) -> None:
    window, _backend = local_desk
    desk, key, admin, code = set_up_desk(window_folder(window) / "desk")
    desk.disable(admin.id, allow_last_admin=True)
    controller = LockController(window, desk, timeout_ms=60_000)
    opened: list[str] = []
    controller.key_opened.connect(opened.append)
    controller.install()
    page = controller.page
    assert page.mode == "recover"
    page.code.setText(code.lower())
    page.name.setText("Lee Admin")
    page.secret.setText("launch pad 9")
    page.confirm.setText("launch pad 9")
    qtbot.mouseClick(page.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.mode == "code", timeout=WAIT)
    new_code = page.shown_code.text()
    assert new_code != code
    qtbot.mouseClick(page.button, Qt.MouseButton.LeftButton)
    assert not controller.locked and opened == [key]
    assert [p.name for p in desk.people()] == ["Lee Admin"]


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
        controller = signed_in(qtbot, window, new_desk(tmp_path))

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
        assert text == "Unlock FrontDesk to take it."  # the urgency only, not what it is about
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


def test_what_people_look_at_and_print_is_noted_for_the_audit_log(
    qtbot: QtBot, local_desk: tuple[MainWindow, LocalBackend], tmp_path: Path
) -> None:
    window, _backend = local_desk
    calendar = window.panel("calendar")
    assert isinstance(calendar, CalendarPanel)
    noted: list[tuple[str, str | None, str | None]] = []
    set_audit_sink(lambda action, patient, obj: noted.append((action, patient, obj)))
    try:
        calendar.export_day_sheet(tmp_path / "sheet.pdf")
    finally:
        set_audit_sink(None)
    assert noted == [("daysheet.export", None, calendar.anchor.isoformat())]
    assert (tmp_path / "sheet.pdf").stat().st_size > 0


def test_a_sign_in_before_the_app_listens_is_told_to_it_in_order(
    qtbot: QtBot, loop: object, tmp_path: Path
) -> None:
    """`--sign-in-stdin` (or a quick person) signs in while the app still loads: the session
    made afterwards still gets the key, the person and the audit's sign-in, in order."""
    window = make_window(tmp_path, Settings(environment="standalone", clinic_timezone=ZONE.key))
    desk, key, admin, _code = set_up_desk(window_folder(window) / "desk")
    controller = LockController(window, desk, timeout_ms=60_000)
    controller.install()
    backlog = Backlog(controller)
    heard: list[tuple[str, tuple[object, ...]]] = []

    def listener(name: str) -> Callable[..., None]:
        return lambda *args: heard.append((name, args))

    assert controller.submit_sign_in("dana admin", PIN)
    qtbot.waitUntil(lambda: not controller.locked, timeout=WAIT)
    assert heard == []
    backlog.tell({name: listener(name) for name in TOLD_TO_THE_APP})
    assert heard == [
        ("key_opened", (key,)),
        ("person_changed", (admin,)),
        ("activity", ("sign_in", admin.id)),
    ]
    controller.lock()  # told once: later ones reach only who listens now
    backlog.tell({name: listener(name) for name in TOLD_TO_THE_APP})
    assert len(heard) == 3
    close(qtbot, window)


def _typed(controller: LockController) -> None:
    assert controller.submit_sign_in("dana admin", PIN)


def _read_from_standard_input_already(controller: LockController) -> None:
    lines: Lines = Future()
    lines.set_result(("Dana Admin", PIN))
    controller.sign_in_from(lines)


@pytest.mark.parametrize("sign_in", [_typed, _read_from_standard_input_already])
def test_the_key_derivation_starts_at_once_not_behind_the_loops_next_turn(
    qtbot: QtBot, loop: object, tmp_path: Path, sign_in: Callable[[LockController], None]
) -> None:
    """While the app loads, the loop's next turn may be a long import: a sign-in's key
    derivation is on its worker thread as soon as it is asked for (typed, or read from standard
    input before the lock page was up, `--sign-in-stdin`), without waiting for a turn of the
    loop (this test never gives the loop one until it has seen it start)."""
    window = make_window(tmp_path, Settings(environment="standalone", clinic_timezone=ZONE.key))
    desk = new_desk(window_folder(window))
    started = threading.Event()
    derive = desk.sign_in

    def watched(person_id: str, secret: str) -> str:
        started.set()
        return derive(person_id, secret)

    desk.sign_in = watched  # type: ignore[method-assign]
    controller = LockController(window, desk, timeout_ms=60_000)
    controller.install()
    sign_in(controller)
    for _ in range(200):  # the loop gets no turn here (sleep and look: faketime-safe)
        if started.is_set():
            break
        time.sleep(0.01)
    assert started.is_set()
    qtbot.waitUntil(lambda: not controller.locked, timeout=WAIT)
    close(qtbot, window)


def test_a_sign_in_read_later_is_delivered_through_the_loop(
    qtbot: QtBot, loop: object, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    window = make_window(tmp_path, Settings(environment="standalone", clinic_timezone=ZONE.key))
    desk = new_desk(window_folder(window))
    controller = LockController(window, desk, timeout_ms=60_000)
    controller.install()
    unknown: Lines = Future()
    controller.sign_in_from(unknown)
    threading.Thread(target=lambda: unknown.set_result(("Nobody Here", PIN))).start()
    qtbot.waitUntil(lambda: "nobody of that name" in caplog.text, timeout=WAIT)
    assert controller.locked
    lines: Lines = Future()
    controller.sign_in_from(lines)
    assert controller.locked
    threading.Thread(target=lambda: lines.set_result(("Dana Admin", PIN))).start()
    qtbot.waitUntil(lambda: not controller.locked, timeout=WAIT)
    close(qtbot, window)


def test_standard_input_is_read_on_a_thread_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Dana Admin\r\n482913\n"))
    assert start_reading().result(timeout=10) == ("Dana Admin", "482913")
    monkeypatch.setattr("sys.stdin", None)  # no standard input at all (a desktop launcher)
    assert isinstance(start_reading().exception(timeout=10), OSError)
