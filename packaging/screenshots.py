"""Screenshots of the main views for the README, taken under Xvfb (a real X server, no screen).

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python packaging/screenshots.py [--calendar]

(run without a display it re-runs itself under `xvfb-run`; install Debian's `xvfb` first).
It starts the bundled sandbox with the demo clinic in a temporary folder, connects through the
same offline-first backend as the app, opens the window at its default size on a 1280 × 800
screen with all ten providers, drives it with the keyboard and mouse as a receptionist would,
and saves PNGs in `resources/screenshots/`: the day view, everyone's week, one provider's week
(with eligibility badges from checks run first), the booking dialog, the calendar while offline
with changes waiting, a conflict, and the conflict list after a booking another desk took
first. `--calendar` takes the calendar's only.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "resources" / "screenshots"
SCREEN = "1280x800x24"  # a clinic's common screen; the window opens at its default size
CALENDAR_ONLY = "--calendar" in sys.argv


def ensure_display() -> None:
    """Re-run under xvfb-run when there is no X display (CI, a server)."""
    if os.environ.get("DISPLAY") or os.environ.get("FRONTDESK_SHOTS_CHILD"):
        return
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        sys.exit("xvfb-run is missing: apt-get install xvfb xauth")
    env = {**os.environ, "FRONTDESK_SHOTS_CHILD": "1", "QT_QPA_PLATFORM": "xcb"}
    command = [xvfb, "-a", "-s", f"-screen 0 {SCREEN}", sys.executable, __file__, *sys.argv[1:]]
    sys.exit(subprocess.run(command, env=env, check=False).returncode)  # noqa: S603 - our own


ensure_display()
sys.path.insert(0, str(ROOT))
HOME = Path(tempfile.mkdtemp(prefix="frontdesk-shots-"))
os.environ["FRONTDESK_HOME"] = str(HOME)
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "tests.keyrings.MemoryKeyring")  # a throwaway desk

import qasync  # noqa: E402
from PySide6.QtCore import QPoint, QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog, QWidget  # noqa: E402

from frontdesk_app.api import ApiBackend, ApiKey  # noqa: E402
from frontdesk_app.config import Settings  # noqa: E402
from frontdesk_app.domain import clock  # noqa: E402
from frontdesk_app.domain.models import AppointmentCreate, Patient, Provider  # noqa: E402
from frontdesk_app.domain.timeutil import local_instant  # noqa: E402
from frontdesk_app.local.backend import LocalBackend  # noqa: E402
from frontdesk_app.sandbox.server import SandboxServer  # noqa: E402
from frontdesk_app.sync.backend import OfflineFirstBackend  # noqa: E402
from frontdesk_app.ui.calendar.booking_dialog import BookingDialog  # noqa: E402
from frontdesk_app.ui.calendar.panel import CalendarPanel  # noqa: E402
from frontdesk_app.ui.main_window import MainWindow  # noqa: E402
from frontdesk_app.ui.resources import icon, stylesheet  # noqa: E402

NO_KEYS = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier


async def settle(seconds: float = 0.6) -> None:
    """Let loads finish and paint happen."""
    await asyncio.sleep(seconds)
    QApplication.processEvents()


async def until(check: Callable[[], bool], within: float = 60.0) -> None:
    """Poll widget state (Qt has no awaitable for "the calendar has loaded")."""
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def save(widget: QWidget, name: str) -> None:
    """The window (or a dialog) as it is on the screen, whole: never a crop."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    widget.grab().save(str(path))
    print(f"saved {path.relative_to(ROOT)} ({widget.width()} x {widget.height()})")


def next_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


async def free_start(backend: Any, provider: Provider, day: date, minutes: int = 30) -> datetime:
    for offset in range(14):
        slots = (
            await backend.provider_availability(provider.id, day + timedelta(days=offset), minutes)
        ).slots
        if slots:
            return slots[len(slots) // 2].start_time
    raise RuntimeError("no free slot")


async def stage_eligibility(window: MainWindow, backend: Any, day: date) -> None:
    """Eligibility answers for the day's appointments, so the calendar's badges show: most
    checked for that day, some for the day before ("check again"), a few not at all."""
    from frontdesk_app.ui.eligibility.panel import shared_history
    from frontdesk_app.ui.eligibility.service import EligibilityService
    from frontdesk_app.ui.eligibility.state import service_codes_for

    assert window.context is not None
    service = EligibilityService(backend, shared_history(window.context), zone=window.context.zone)
    for index, appointment in enumerate(await service.appointments_on(day)):
        if index % 6 == 5:
            continue
        patient = await backend.get_patient(appointment.patient_id)
        service_day = day - timedelta(days=1) if index % 6 == 4 else day
        request = service.request_for(patient, service_day, service_codes_for(appointment.type))
        if request is not None:
            await service.check(request)


class Session:
    def __init__(self) -> None:
        self.server = SandboxServer(HOME / "bundled-sandbox.sqlite", demo=True)
        self.backend: OfflineFirstBackend | None = None
        self.window: MainWindow | None = None

    async def open(self) -> tuple[MainWindow, CalendarPanel]:
        await asyncio.to_thread(self.server.start)
        api = ApiBackend(base_url=self.server.base_url, credentials=ApiKey(self.server.api_key))
        self.backend = await OfflineFirstBackend.open(HOME / "mirror.sqlite", api)
        assert self.backend.puller is not None
        await self.backend.puller.wait_pulled(60)
        window = MainWindow(
            settings=Settings(),
            qsettings=QSettings(str(HOME / "window.ini"), QSettings.Format.IniFormat),
        )
        window.show()  # its default size: what a desk sees the first time
        window.activateWindow()  # keys go to it, as to the window a receptionist works in
        await until(window.isActiveWindow, within=10)
        window.attach(self.backend, environment="Demo clinic")
        self.window = window
        panel = window.panel("calendar")
        assert isinstance(panel, CalendarPanel)
        await until(lambda: panel.loaded)
        return window, panel

    async def close(self) -> None:
        if self.window is not None:
            await self.window.detach()
            self.window.close()
        if self.backend is not None:
            await self.backend.aclose()
        await asyncio.to_thread(self.server.stop)


def key(widget: QWidget, k: Qt.Key, modifiers: Qt.KeyboardModifier = NO_KEYS) -> None:
    """A key as the person presses it, on the widget with the focus."""
    QTest.keyClick(widget, k, modifiers)


def double_click(view: Any, point: QPoint) -> None:
    QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, NO_KEYS, point)


async def shoot(session: Session) -> None:
    window, panel = await session.open()
    backend = session.backend
    assert backend is not None
    providers = panel.model.providers
    view = panel.view
    patients: list[Patient] = (await backend.search_patients(None, limit=3)).data
    day = next_weekday(clock.today(panel.zone) + timedelta(days=1))
    panel.set_anchor(day, force=True)
    await until(lambda: panel.loaded)
    await stage_eligibility(window, backend, day)
    await settle(1.0)

    # The day: all ten providers, the grid scrolled to the morning; the keyboard's cursor moved
    # to a booked time selects it.
    view.setFocus()
    view.set_cursor(providers[1].id, local_instant(day, time(9, 0), panel.zone))
    for _ in range(2):
        key(view, Qt.Key.Key_Down)
    view.scroll_to_minute(8 * 60 + 30)
    await settle()
    save(window, "calendar-day")

    # Everyone's week (Ctrl+W), then one provider's week: a double-click on their name.
    key(view, Qt.Key.Key_W, CTRL)
    await settle(1.5)
    view.scroll_to_minute(8 * 60 + 30)
    await settle()
    save(window, "calendar-week")
    x = 64 + int(view.grid.x_of(3) - view.horizontalScrollBar().value() + 20)
    double_click(view, QPoint(x, 12))
    await settle(1.5)
    view.scroll_to_minute(8 * 60 + 30)
    await settle()
    save(window, "calendar-provider-week")
    key(view, Qt.Key.Key_D, CTRL)
    await settle(1.0)

    # The booking dialog from a double-click on a time already taken: it says what it offers.
    taken = next(
        v for v in panel.model.all() if v.provider_id == providers[1].id and v.start.hour >= 9
    )
    view.horizontalScrollBar().setValue(0)
    view.scroll_to_minute(taken.start.astimezone(panel.zone).hour * 60 - 60)
    await settle()
    view.select(None)
    panel.open_booking(provider_id=taken.provider_id, start=taken.start)
    dialog = panel.active_dialog
    assert isinstance(dialog, BookingDialog)
    dialog.patient.set_patient(patients[0])
    dialog.type.setCurrentIndex(dialog.type.findData("new-patient"))
    dialog.notes.setPlainText("Referred for a check-up; bring previous lab results.")
    await until(lambda: not dialog.time.loading)
    await settle()
    save(dialog, "booking-dialog")
    dialog.reject()

    # Offline: the sandbox stops, two bookings wait here; another desk takes one slot first.
    shown = providers
    taken_at = await free_start(backend, shown[2], day)
    other = await free_start(backend, shown[3], day)
    await asyncio.to_thread(session.server.stop)
    for provider, when, patient in (
        (shown[2], taken_at, patients[1]),
        (shown[3], other, patients[2]),
    ):
        await backend.create_appointment(
            AppointmentCreate(
                patient_id=patient.id,
                provider_id=provider.id,
                start_time=when,
                duration_minutes=30,
                type="follow-up",
                notes="Booked while offline",
            )
        )
    await until(lambda: window.status.snapshot.pending >= 2)
    panel.show_instant(shown[2].id, taken_at)
    await settle(1.0)
    save(window, "calendar-offline")
    rival = await asyncio.to_thread(LocalBackend.open, HOME / "bundled-sandbox.sqlite")
    await rival.create_appointment(
        AppointmentCreate(
            patient_id=patients[0].id,
            provider_id=shown[2].id,
            start_time=taken_at,
            duration_minutes=30,
            type="consultation",
        )
    )
    await rival.aclose()
    await asyncio.to_thread(session.server.start)
    await until(lambda: window.status.snapshot.conflicts >= 1, within=90)
    await until(lambda: window.status.snapshot.pending == 0, within=90)

    def both_shown() -> bool:  # the other desk's booking arrives through the event stream
        return (
            sum(v.start == taken_at and v.provider_id == shown[2].id for v in panel.model.all())
            >= 2
        )

    await until(both_shown, within=60)
    panel.show_instant(shown[2].id, taken_at)
    view.select(None)
    await settle(1.0)
    save(window, "calendar-conflict")
    if CALENDAR_ONLY:
        return
    conflicts = window.open_conflicts()
    assert isinstance(conflicts, QDialog)
    await until(lambda: bool(getattr(conflicts, "items", None)))
    await until(lambda: not conflicts.time.loading)  # type: ignore[attr-defined]
    await settle()
    save(conflicts, "conflict-list")
    conflicts.close()

    # Eligibility, prescriptions and live calls (staged by packaging/panel_screenshots.py).
    from panel_screenshots import PANEL_SHOTS

    for name, stage in PANEL_SHOTS:
        await stage(window, backend)
        await settle()
        save(window, name)


async def main() -> None:
    session = Session()
    try:
        await shoot(session)
    finally:
        await session.close()


def run(work: Callable[[], Awaitable[None]] = main) -> None:
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)  # closing the window must not stop the loop
    app.setStyleSheet(stylesheet())
    app.setWindowIcon(icon("app"))
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(work())
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        icon.cache_clear()
        loop.close()
        shutil.rmtree(HOME, ignore_errors=True)


if __name__ == "__main__":
    run()
