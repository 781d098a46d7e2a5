"""Screenshots of the eligibility, prescriptions and live-calls panels in the main window.

`PANEL_SHOTS` lists (image name, staging coroutine): each stages its panel with the demo clinic
(a check run, a patient's prescriptions, an incoming emergency transfer) in an attached
`MainWindow`, for the repo's screenshot script to grab. Run alone it writes the three PNGs:

    xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python packaging/panel_screenshots.py OUT
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from frontdesk_app.domain.backend import Backend
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
    panel = window.show_panel("prescriptions")
    patient = await _insured_patient(backend, with_prescriptions=3)
    panel.show_patient(patient)
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
        panel.open_transfer(waiting[0].transfer_id)
    await _settle()


PANEL_SHOTS: list[tuple[str, Stage]] = [
    ("eligibility", stage_eligibility),
    ("prescriptions", stage_prescriptions),
    ("live-calls", stage_calls),
]


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
        window.resize(1440, 900)
        window.show()
        window.attach(backend, environment="standalone")
        await _settle(1.5)
        for filename, stage in PANEL_SHOTS:
            await stage(window, backend)
            window.grab().save(str(out / f"{filename}.png"))
            print(out / f"{filename}.png")
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
    with loop:
        loop.run_until_complete(_main(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
