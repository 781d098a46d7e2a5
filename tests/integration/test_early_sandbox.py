"""A bundled desk launches its sandbox before its window (`app._launch_bundled_sandbox`), and
the services use that one — no second child — and stop it when they close."""

from __future__ import annotations

import asyncio
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from frontdesk_app.app_services import Services
from frontdesk_app.config import Settings
from frontdesk_app.domain import clock
from frontdesk_app.sandbox import process
from frontdesk_app.sandbox.process import BUNDLED_DB, SandboxProcess, bundled_sandbox
from frontdesk_app.sync.facade import EngineBackend

pytestmark = pytest.mark.integration


@pytest.mark.asyncio
async def test_the_services_take_the_sandbox_started_with_the_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from frontdesk_app.app_services import start_services

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("FRONTDESK_HOME", str(home))
    early = bundled_sandbox(home).launch()
    assert early.db == home / BUNDLED_DB

    def a_second_one(_data: Path) -> SandboxProcess:
        raise AssertionError("a second sandbox was started")

    monkeypatch.setattr(process, "bundled_sandbox", a_second_one)
    services = await start_services(
        Settings(environment="bundled"),
        db=str(tmp_path / "mirror.sqlite"),
        progress=lambda _a, _b: None,
        key=None,
        sandbox=early,
    )
    try:
        assert early.running
        assert await services.backend.list_providers()
    finally:
        await services.aclose()
    assert not early.running


GATE = """
import os, sys, time
gate, real = sys.argv[1], sys.argv[2:]
for _ in range(1200):  # bounded: 60 s
    if os.path.exists(gate):
        break
    time.sleep(0.05)
if open(gate).read() == "fail":
    sys.exit(3)
os.execv(real[0], real)
"""


def _held_at_a_gate(monkeypatch: pytest.MonkeyPatch, gate: Path) -> None:
    """The sandbox child boots only once `gate` exists (and exits at once if it says `fail`):
    what the desk does meanwhile is what it does while a real child boots."""
    command = process.sandbox_command

    def gated(db: Path, *, port: int, listen_fd: int | None = None) -> list[str]:
        return [sys.executable, "-c", GATE, str(gate), *command(db, port=port, listen_fd=listen_fd)]

    monkeypatch.setattr(process, "sandbox_command", gated)


async def _open_bundled(home: Path, mirror: Path) -> Services:
    from frontdesk_app.app_services import start_services

    return await start_services(
        Settings(environment="bundled"),
        db=str(mirror),
        progress=lambda _a, _b: None,
        key=None,
        sandbox=bundled_sandbox(home).launch(),
    )


async def _first_start(home: Path, mirror: Path) -> None:
    services = await _open_bundled(home, mirror)
    await services.aclose()


def _this_week() -> tuple[datetime, datetime]:
    start = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    return start - timedelta(days=7), start + timedelta(days=14)


@pytest.mark.asyncio
@pytest.mark.skipif(not process.HANDS_DOWN_SOCKETS, reason="the child binds its own port here")
async def test_a_warm_bundled_desk_opens_its_copy_while_the_sandbox_boots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The desk made the child's socket and key: it opens its offline copy without waiting for
    the child; what it asks meanwhile waits in the socket's queue and is answered once the
    child serves."""
    home, mirror, gate = tmp_path / "home", tmp_path / "mirror.sqlite", tmp_path / "gate"
    home.mkdir()
    monkeypatch.setenv("FRONTDESK_HOME", str(home))
    await _first_start(home, mirror)
    _held_at_a_gate(monkeypatch, gate)
    services = await _open_bundled(home, mirror)
    try:
        backend = services.backend
        assert isinstance(backend, EngineBackend)
        assert await backend.calendar_rows(*_this_week())  # from the copy, the child held
        assert backend.state.connection == "connecting"
        gate.write_text("go")
        assert await backend.wait_pulled(60)  # the pull queued meanwhile is answered
        assert await backend.list_providers()
    finally:
        await services.aclose()


@pytest.mark.asyncio
@pytest.mark.skipif(not process.HANDS_DOWN_SOCKETS, reason="the child binds its own port here")
async def test_a_warm_bundled_desk_whose_sandbox_cannot_start_works_offline_on_its_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    home, mirror, gate = tmp_path / "home", tmp_path / "mirror.sqlite", tmp_path / "gate"
    home.mkdir()
    monkeypatch.setenv("FRONTDESK_HOME", str(home))
    await _first_start(home, mirror)
    _held_at_a_gate(monkeypatch, gate)
    gate.write_text("fail")
    services = await _open_bundled(home, mirror)
    try:
        backend = services.backend
        assert isinstance(backend, EngineBackend)
        for _ in range(600):  # bounded: 60 s
            if backend.state.connection == "offline":
                break
            await asyncio.sleep(0.1)
        assert backend.state.connection == "offline"  # its address now refuses
        assert await backend.calendar_rows(*_this_week())
        assert "the bundled sandbox did not start" in caplog.text
    finally:
        await services.aclose()


@pytest.mark.asyncio
async def test_a_first_bundled_start_whose_sandbox_cannot_start_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a copy there is nothing to work on: the failure is the desk's to say."""
    home, gate = tmp_path / "home", tmp_path / "gate"
    home.mkdir()
    monkeypatch.setenv("FRONTDESK_HOME", str(home))
    _held_at_a_gate(monkeypatch, gate)
    gate.write_text("fail")
    with pytest.raises(process.SandboxFailed):
        await _open_bundled(home, tmp_path / "mirror.sqlite")


@pytest.mark.asyncio
async def test_a_start_given_up_while_the_sandbox_boots_stops_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window closed (the connect cancelled) while a first start waits for the sandbox:
    its child is stopped, not left running behind a desk that is gone."""
    from frontdesk_app.app_services import start_services

    home, gate = tmp_path / "home", tmp_path / "gate"
    home.mkdir()
    monkeypatch.setenv("FRONTDESK_HOME", str(home))
    _held_at_a_gate(monkeypatch, gate)
    # (The gate does not watch its standard input as the sandbox does: it is terminated.)
    monkeypatch.setattr(process, "STOP_TIMEOUT", 1.0)
    early = bundled_sandbox(home).launch()
    booting = early._launched
    assert booting is not None
    opening = asyncio.ensure_future(
        start_services(
            Settings(environment="bundled"),
            db=str(tmp_path / "mirror.sqlite"),
            progress=lambda _a, _b: None,
            key=None,
            sandbox=early,
        )
    )
    for _ in range(600):  # bounded: 60 s, until it waits for the child
        if (tmp_path / "mirror.sqlite").exists():
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    assert not opening.done()
    opening.cancel()
    with pytest.raises(asyncio.CancelledError):
        await opening
    assert booting.poll() is not None and early.stopping and not early.running


@pytest.mark.asyncio
async def test_a_start_given_up_while_waiting_for_the_first_pull_closes_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first start waits for the clinic's schedule from a server that does not answer; the
    window closes meanwhile: the sync engine (its thread, the mirror) is closed with it."""
    import socket

    from frontdesk_app.app_services import start_services
    from frontdesk_app.store.encryption import generate_key

    monkeypatch.setenv("FRONTDESK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FRONTDESK_API_KEY", "fdk_test_" + "a" * 43)
    with socket.socket() as unused:  # an address nobody answers at
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}"
    before = {t.ident for t in threading.enumerate()}
    opening = asyncio.ensure_future(
        start_services(
            Settings(environment="custom", custom_url=url),
            db=str(tmp_path / "mirror.sqlite"),
            progress=lambda _a, _b: None,
            key=generate_key(),
        )
    )

    def engines() -> list[threading.Thread]:
        return [
            t
            for t in threading.enumerate()
            if t.ident not in before and t.name.startswith("frontdesk-engine") and t.is_alive()
        ]

    for _ in range(600):  # bounded: 60 s, until the engine runs and the pull waits
        if engines() and (tmp_path / "mirror.sqlite").exists():
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    assert not opening.done() and engines()
    opening.cancel()
    with pytest.raises(asyncio.CancelledError):
        await opening
    for _ in range(100):  # bounded: 10 s
        if not engines():
            break
        await asyncio.sleep(0.1)
    assert not engines()
