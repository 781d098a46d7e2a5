"""What the app loads while its lock page is up (`app.warm_up_modules`) names real modules, and
loading them lets the event loop run between two."""

from __future__ import annotations

import asyncio
import importlib.util

import pytest
from pytestqt.qtbot import QtBot

from frontdesk_app import app
from tests.ui.calendar_support import run


@pytest.mark.parametrize("environment", ["standalone", "bundled", "sandbox", "production"])
def test_every_module_warmed_up_exists(environment: str) -> None:
    names = app.warm_up_modules(environment)
    assert names[: len(app.WARM_UP_FIRST)] == app.WARM_UP_FIRST
    assert all(importlib.util.find_spec(name) is not None for name in names)


def test_the_loop_runs_between_two_modules(qtbot: QtBot, loop: asyncio.AbstractEventLoop) -> None:
    turns: list[int] = []
    ticking = True

    async def tick() -> None:
        while ticking:
            turns.append(1)
            await asyncio.sleep(0)

    ticker = asyncio.ensure_future(tick())
    run(qtbot, app.warm_up(("json", "csv", "email.utils")))
    ticking = False
    qtbot.waitUntil(ticker.done, timeout=5000)
    assert len(turns) >= 3
