"""Screenshots of the eligibility, prescriptions, live-calls, flow-board and waitlist panels
and the patient card.

`PANEL_SHOTS` lists (image name, staging coroutine): each stages its panel with the demo clinic
(a check run and tomorrow's batch, a prescription looked up by id, an emergency taken with the
call bar showing, a patient's card from Ctrl+K) in an attached `MainWindow` at its default size,
for the repo's screenshot script to grab. Run alone it writes the PNGs:

    QT_QPA_PLATFORM=xcb xvfb-run -s "-screen 0 1280x800x24" \
        .venv/bin/python packaging/panel_screenshots.py OUT
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtGui import QColor

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.clock import Clock, system_now, use_clock
from frontdesk_app.domain.models import SimulatedCallRequest

Stage = Callable[[Any, Backend], Awaitable[None]]
SETTLE = 0.8


async def _settle(seconds: float = SETTLE) -> None:
    await asyncio.sleep(seconds)


async def _insured_patient(backend: Backend, *, with_prescriptions: int = 0) -> Any:
    """A demo patient with working insurance (and a few prescriptions when asked)."""
    payers = {p.id: p for p in await backend.list_payers()}
    page = await backend.search_patients("an", limit=60)
    for patient in page.data:
        insurance = patient.insurance
        if insurance is None or not payers[insurance.payer_id].available:
            continue
        if with_prescriptions:
            found = await backend.list_prescriptions(patient.id)
            if len(found.data) < with_prescriptions:
                continue
        return patient
    return page.data[0]


async def stage_eligibility(window: Any, backend: Backend) -> None:
    panel = window.show_panel("eligibility")
    patient = await _insured_patient(backend)
    await _settle()
    panel.prefill(patient, service_codes=["99213", "20610"])
    await _settle()
    panel.run_check()
    await _settle()
    panel.batch.start()
    for _ in range(60):
        if not panel.batch.running:
            break
        await asyncio.sleep(0.25)
    await _settle()


async def stage_prescriptions(window: Any, backend: Backend) -> None:
    """A prescription looked up by its id: the panel names whose it is and lists theirs."""
    panel = window.show_panel("prescriptions")
    patient = await _insured_patient(backend, with_prescriptions=3)
    found = await backend.list_prescriptions(patient.id)
    panel.look_up_id(found.data[-1].id)
    await _settle(1.2)


async def stage_calls(window: Any, backend: Backend) -> None:
    """Three callers waiting and an emergency just transferred, opened."""
    panel = window.show_panel("calls")
    agents = await backend.list_agents()
    for agent in agents:
        await backend.set_agent_status(agent.id, "away")
    panel.set_agent(agents[0].id)
    await _settle()
    for scenario, priority in (
        ("billing_question", None),
        ("book_appointment", None),
        ("prescription_refill", "urgent"),
        ("urgent_symptoms", "emergency"),
    ):
        await backend.simulate_call(
            SimulatedCallRequest(transfer=True, scenario=scenario, priority=priority)
        )
    panel.set_status("available")
    await _settle(1.5)
    waiting = panel.queue.queue()
    if waiting:
        panel.accept(waiting[0].transfer_id)  # the emergency: the call bar shows it
    await _settle(1.5)


async def stage_patient_card(window: Any, backend: Backend) -> None:
    """Ctrl+K, a patient with upcoming appointments: their card over the calendar."""
    from frontdesk_app.domain import clock
    from frontdesk_app.domain.models import AppointmentQuery

    window.show_panel("calendar")
    start = clock.now() + timedelta(days=1)
    page = await backend.list_appointments(
        AppointmentQuery(start=start, end=start + timedelta(days=6), limit=50)
    )
    patient = await backend.get_patient(page.data[len(page.data) // 2].patient_id)
    finder = window.patient_finder.finder
    finder.start()
    await _settle()
    finder.open_card(patient)
    await _settle(1.5)


async def stage_flow_board(window: Any, backend: Backend) -> None:
    """Ctrl+5 at this moment of the demo clinic's day, the first waiting patient selected."""
    panel = window.show_panel("flow")
    for _ in range(100):  # bounded: the day is read in well under ten seconds
        if panel.table.rowCount():
            break
        await _settle(0.1)
    panel.table.selectRow(0)
    panel.table.setFocus()
    await _settle()


async def stage_waitlist(window: Any, backend: Backend) -> None:
    """Ctrl+6 just after a cancellation (made through the backend, as the calendar's dialog
    does): the freed slot that most waiting patients fit is chosen, its best candidate
    selected."""
    from zoneinfo import ZoneInfo

    from frontdesk_app.domain import clock
    from frontdesk_app.domain.models import AppointmentCancel, AppointmentQuery
    from frontdesk_app.domain.waitlist import FreeSlot, candidates

    panel = window.show_panel("waitlist")
    zone = ZoneInfo("America/New_York")
    waiting = await backend.list_waitlist()
    start = clock.now() + timedelta(hours=20)
    page = await backend.list_appointments(
        AppointmentQuery(start=start, end=start + timedelta(days=4), limit=600)
    )

    def fitting(a: Any) -> int:
        slot = FreeSlot(a.provider_id, a.start_time, a.duration_minutes)
        return len(candidates(waiting, slot, zone=zone, now=clock.now()))

    weekdays = [
        a
        for a in page.data
        if a.status != "cancelled" and a.start_time.astimezone(zone).weekday() < 5
    ]
    chosen = max(weekdays, key=fitting)
    await backend.cancel_appointment(chosen.id, AppointmentCancel(reason_code="patient_request"))
    for _ in range(100):  # bounded: the cancel's event arrives within a second
        if panel.freed:
            break
        await _settle(0.1)
    panel.slot_list.setCurrentRow(1)
    await _settle()
    panel.table.selectRow(0)
    panel.table.setFocus()
    await _settle()


def grab_card(window: Any, path: str) -> None:
    """The card is a window of its own: paint it over the main window's picture."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QPainter

    picture = window.grab()
    card = window.patient_finder.finder.card
    painter = QPainter(picture)
    offset = QPoint((picture.width() - card.width()) // 2, (picture.height() - card.height()) // 2)
    painter.fillRect(picture.rect(), QColor(0, 0, 0, 60))
    painter.drawPixmap(offset, card.grab())
    painter.end()
    picture.save(path)
    card.close()


PANEL_SHOTS: list[tuple[str, Stage]] = [
    ("eligibility", stage_eligibility),
    ("prescriptions", stage_prescriptions),
    ("live-calls", stage_calls),
    ("flow-board", stage_flow_board),
    ("waitlist", stage_waitlist),
]
# Shots of a window over the main window, grabbed by `grab_card` (this script only).
CARD_SHOTS: list[tuple[str, Stage]] = [("patient-card", stage_patient_card)]


async def _main(out: Path) -> None:
    import tempfile

    from PySide6.QtCore import QSettings

    from frontdesk_app.config import Settings
    from frontdesk_app.local.backend import LocalBackend
    from frontdesk_app.ui.main_window import MainWindow

    with tempfile.TemporaryDirectory() as tmp:
        backend = LocalBackend.open(Path(tmp) / "demo.sqlite", demo=True)
        settings = Settings(environment="standalone")
        qsettings = QSettings(str(Path(tmp) / "window.ini"), QSettings.Format.IniFormat)
        window = MainWindow(
            settings=settings, qsettings=qsettings, settings_path=Path(tmp) / "s.json"
        )
        window.show()  # its default size (1280 × 800), as on a clinic's 1280 × 800 screen
        window.attach(backend, environment="standalone")
        await _settle(1.5)
        for filename, stage in [*PANEL_SHOTS, *CARD_SHOTS]:
            await stage(window, backend)
            path = str(out / f"{filename}.png")
            if (filename, stage) in CARD_SHOTS:
                grab_card(window, path)
            else:
                window.grab().save(path)
            print(path)
        await window.bridge.wait_idle()
        await window.detach()
        await backend.aclose()
        window.close()


def main(argv: list[str]) -> int:
    import qasync
    from PySide6.QtWidgets import QApplication

    from frontdesk_app.ui.resources import stylesheet

    app = QApplication(argv[:1])
    app.setStyleSheet(stylesheet())
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    out = Path(argv[1]) if len(argv) > 1 else Path("resources/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with loop, use_clock(Clock.starting_at(_clinic_morning())):
        loop.run_until_complete(_main(out))
    return 0


def _clinic_morning() -> datetime:
    """The next weekday at 10:40 in the clinic: a working morning, whatever time the script
    runs at, so that the flow board shows a day under way (the demo is built around it)."""
    from zoneinfo import ZoneInfo

    from frontdesk_app.domain.timeutil import local_instant
    from frontdesk_app.store.demo_data import CLINIC_TIMEZONE

    zone = ZoneInfo(CLINIC_TIMEZONE)
    day = system_now().astimezone(zone).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return local_instant(day, time(10, 40), zone)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
