"""The desk the calendar tests drive: a main window with the calendar panel over a backend.

`local`: a `LocalBackend` with the demo clinic (another client is the same store).
`sandbox`: what the app holds in production — `OfflineFirstBackend` over `ApiBackend` to a
real `SandboxServer` on loopback; another client is a second `ApiBackend` with its own key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from frontdesk_app.config import Settings
from frontdesk_app.domain import clock
from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.ids import SERIES, new_id
from frontdesk_app.domain.models import Patient, Provider
from frontdesk_app.domain.series import Series, SeriesCreate, SeriesRule, occurrences
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.ui.calendar.panel import CalendarPanel, calendar_panel_spec
from frontdesk_app.ui.main_window import MainWindow

T = TypeVar("T")
ZONE = ZoneInfo("America/New_York")
WAIT = 20_000


def run(qtbot: QtBot, coro: Coroutine[Any, Any, T], timeout: int = WAIT) -> T:
    """Await `coro` on the session's qasync loop while Qt keeps processing events."""
    task = asyncio.ensure_future(coro)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


@dataclass
class CalendarDesk:
    window: MainWindow
    panel: CalendarPanel
    backend: Backend
    other: Backend
    server: Any = None

    @property
    def providers(self) -> list[Provider]:
        return self.panel.model.providers


def open_calendar_desk(qtbot: QtBot, tmp_path: Path, kind: str) -> Iterator[CalendarDesk]:
    server: Any = None
    if kind == "local":
        local = LocalBackend.open(tmp_path / "clinic.sqlite", demo=True)
        backend: Backend = local
        other: Backend = local
    else:
        from frontdesk_app.api import ApiBackend, ApiKey
        from frontdesk_app.sandbox.server import SandboxServer
        from frontdesk_app.sync.backend import OfflineFirstBackend

        server = SandboxServer(tmp_path / "sandbox.sqlite", demo=True).start()
        api = ApiBackend(base_url=server.base_url, credentials=ApiKey(server.api_key))
        sync = run(qtbot, OfflineFirstBackend.open(tmp_path / "mirror.sqlite", api))
        assert sync.puller is not None
        assert run(qtbot, sync.puller.wait_pulled(30))
        backend = sync
        other = ApiBackend(
            base_url=server.base_url, credentials=ApiKey(server.create_key().api_key)
        )
    settings = Settings(environment="standalone", clinic_timezone=ZONE.key)
    qsettings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    window = MainWindow(
        settings=settings, qsettings=qsettings, settings_path=tmp_path / "settings.json"
    )
    window.resize(1280, 800)  # a clinic's common screen
    window.show()
    window.attach(backend, environment="Test", specs=[calendar_panel_spec()])
    panel = window.panel("calendar")
    assert isinstance(panel, CalendarPanel)
    qtbot.waitUntil(lambda: panel.loaded, timeout=WAIT)
    try:
        yield CalendarDesk(window, panel, backend, other, server)
    finally:
        run(qtbot, window.bridge.wait_idle())
        run(qtbot, window.detach())
        if other is not backend:
            run(qtbot, other.aclose())
        run(qtbot, backend.aclose())
        if server is not None:
            server.stop()
        window.errors.close_reports()
        window.close()
        window.deleteLater()


def working_days(start: date, count: int = 30) -> Iterator[date]:
    for offset in range(count):
        yield start + timedelta(days=offset)


def free_slot(
    qtbot: QtBot, backend: Backend, provider: Provider, *, minutes: int = 30, skip: int = 0
) -> datetime:
    """A free start of `provider` from tomorrow on (never in the next few minutes)."""
    tomorrow = clock.today(ZONE) + timedelta(days=1)
    for day in working_days(tomorrow):
        slots = run(qtbot, backend.provider_availability(provider.id, day, minutes)).slots
        if len(slots) > skip:
            return slots[skip].start_time
    raise AssertionError("no free slot in 30 days")


def some_patients(qtbot: QtBot, backend: Backend, count: int = 2) -> list[Patient]:
    return run(qtbot, backend.search_patients(None, limit=count)).data[:count]


def book_series(
    qtbot: QtBot,
    backend: Backend,
    provider: Provider,
    start: datetime,
    patient: Patient,
    *,
    weeks: int = 2,
    notes: str | None = None,
) -> Series:
    """A weekly series of 30-minute follow-ups from `start`, booked through `backend`."""
    rule = SeriesRule(every_weeks=1, weekdays=[start.astimezone(ZONE).weekday()], count=weeks)
    request = SeriesCreate(
        patient_id=patient.id,
        provider_id=provider.id,
        duration_minutes=30,
        type="follow-up",
        notes=notes,
        rule=rule,
        starts=occurrences(start, rule, ZONE),
    )
    return run(qtbot, backend.save_series(new_id(SERIES), request))


def go_to(qtbot: QtBot, panel: CalendarPanel, provider_id: str, start: datetime) -> None:
    """Show that provider's day with the cursor on `start`, and wait until it is loaded."""
    panel.show_instant(provider_id, start)
    before = panel.load_count
    panel.reload()
    qtbot.waitUntil(lambda: panel.load_count > before, timeout=WAIT)
    qtbot.waitUntil(lambda: panel.window().bridge.in_flight == 0, timeout=WAIT)
