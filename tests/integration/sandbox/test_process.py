"""The bundled sandbox as the desk's child process: it serves, comes back on the same port when
it dies, and stops when asked."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
from pathlib import Path

import httpx
import pytest

from frontdesk_app import runtime
from frontdesk_app.sandbox import process as sandbox_process
from frontdesk_app.sandbox.process import SandboxFailed, SandboxProcess

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


async def _payers(base_url: str, key: str) -> int:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await client.get("/v1/payers", headers={"Authorization": f"Bearer {key}"})
        return response.status_code


async def test_a_sandbox_that_dies_is_restarted_on_the_same_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRONTDESK_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(sandbox_process, "RESTART_PAUSE", 0.1)
    server = await SandboxProcess(tmp_path / "clinic.sqlite").start()
    try:
        url, key = server.base_url, server.api_key
        assert await _payers(url, key) == 200
        first = server._process
        assert first is not None
        os.kill(first.pid, signal.SIGKILL)
        for _ in range(600):  # bounded: 60 s
            if server.restarts == 1 and server.running and server._process is not first:
                break
            await asyncio.sleep(0.1)
        assert server.restarts == 1 and server.running
        assert server.base_url == url  # the desk's address for it holds
        assert await _payers(url, key) == 200  # and its key still opens it
    finally:
        await server.stop()
    assert not server.running


async def test_a_launched_sandbox_boots_while_the_caller_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`launch()` (the app calls it before its window) returns at once; `start()` then waits
    for the same child to listen, and starts no second one."""
    monkeypatch.setenv("FRONTDESK_HOME", str(tmp_path / "home"))
    server = SandboxProcess(tmp_path / "clinic.sqlite").launch()
    booting = server._launched
    assert booting is not None and booting.poll() is None and not server.running
    assert server.launch()._launched is booting  # once
    await server.start()
    try:
        assert server._process is booting and server._launched is None
        assert await _payers(server.base_url, server.api_key) == 200
    finally:
        await server.stop()
    assert not server.running and booting.poll() is not None


async def test_a_launched_sandbox_never_waited_for_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRONTDESK_HOME", str(tmp_path / "home"))
    server = SandboxProcess(tmp_path / "clinic.sqlite").launch()
    booting = server._launched
    assert booting is not None
    await server.stop()
    assert booting.poll() is not None and server._launched is None


@pytest.mark.skipif(not sandbox_process.HANDS_DOWN_SOCKETS, reason="the child binds here")
@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="scheduling priorities are POSIX's")
async def test_the_sandbox_child_runs_below_the_desks_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While it boots and while it answers, the window's thread gets the CPU first."""
    monkeypatch.setenv("FRONTDESK_HOME", str(tmp_path / "home"))
    server = SandboxProcess(tmp_path / "clinic.sqlite").launch()
    try:
        assert server._launched is not None
        child = server._launched.pid
        ours = os.getpriority(os.PRIO_PROCESS, threading.main_thread().native_id or 0)
        assert os.getpriority(os.PRIO_PROCESS, child) == ours + runtime.BACKGROUND_NICE
    finally:
        await server.stop()


async def test_a_launched_sandbox_is_reachable_at_once_and_its_key_is_not_on_its_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The desk made the socket and the key: a request sent the moment the child is launched
    waits in the socket's queue and is answered once it serves; the key travels on its
    standard input, not on a command line other users of the computer can read."""
    monkeypatch.setenv("FRONTDESK_HOME", str(tmp_path / "home"))
    server = SandboxProcess(tmp_path / "clinic.sqlite").launch()
    try:
        assert server.address_known and not server.running
        booting = server._launched
        assert booting is not None
        assert server.api_key not in " ".join(str(a) for a in booting.args)
        asked = asyncio.ensure_future(_payers(server.base_url, server.api_key))
        await server.start()
        assert await asyncio.wait_for(asked, 60) == 200
    finally:
        await server.stop()
    async with httpx.AsyncClient(base_url=server.base_url, timeout=5) as client:
        with pytest.raises(httpx.ConnectError):  # stopped: the address refuses
            await client.get("/v1/payers")


async def test_a_stop_while_the_child_is_being_started_leaves_no_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`start()` makes the child on a worker thread while the desk is closed (`stop()` on
    another): the child made is ended, and the start says it was stopped."""
    monkeypatch.setenv("FRONTDESK_HOME", str(tmp_path / "home"))
    server = SandboxProcess(tmp_path / "clinic.sqlite")
    entered, release = threading.Event(), threading.Event()
    made: list[subprocess.Popen[bytes]] = []
    popen = server._popen

    def held_popen() -> subprocess.Popen[bytes]:
        entered.set()
        release.wait(30)
        made.append(popen())
        return made[-1]

    monkeypatch.setattr(server, "_popen", held_popen)
    starting = asyncio.ensure_future(server.start())
    assert await asyncio.to_thread(entered.wait, 30)
    stopping = asyncio.ensure_future(server.stop())
    await asyncio.sleep(0.2)  # the stop is under way, the child not yet made
    release.set()
    with pytest.raises(SandboxFailed):
        await starting
    await stopping
    assert len(made) == 1 and made[0].poll() is not None
    assert not server.running
