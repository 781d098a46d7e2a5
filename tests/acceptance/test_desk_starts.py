"""The app process as a desk runs it, under each keyring condition: start, reach the calendar,
quit, start again; `kill -9` while running, start again. Nothing may be locked or lost."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from frontdesk_app.store.encryption import file_state
from tests.acceptance.desk import CONDITIONS, Desk, explain, kill_hard, secret_service_missing

pytestmark = pytest.mark.acceptance


@pytest.fixture(params=CONDITIONS)
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    if request.param == "secret_service" and (why := secret_service_missing()):
        pytest.skip(why)
    yield Desk(tmp_path, request.param)


def test_start_quit_and_start_again(desk: Desk) -> None:
    first = desk.smoke()
    assert first.returncode == 0, explain(first)
    assert "smoke: ok" in first.stdout
    second = desk.smoke()
    assert second.returncode == 0, explain(second)
    assert "smoke: ok" in second.stdout
    mirror = desk.frontdesk_home / "mirror-bundled.sqlite"
    # With a keyring the desk's copy is encrypted; without one only the synthetic demo clinic
    # may stay plain (a real clinic's copy never does).
    assert file_state(mirror) == ("plain" if desk.condition == "none" else "encrypted")


def test_kill_9_while_running_then_start_again(desk: Desk) -> None:
    running = desk.start()
    try:
        desk.wait_for_log("calendar shown", running, timeout=240)
        # then what start-up built is frozen out of later full collections (runtime.py), and
        # nothing was collected while it was built (ui/collector.py)
        desk.wait_for_log("start-up heap settled", running, timeout=60)
        assert "objects frozen, 0 collections before" in desk.log_text()
    finally:
        kill_hard(running)
    again = desk.smoke()
    assert again.returncode == 0, explain(again)
    assert "smoke: ok" in again.stdout


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (Linux: /proc)."""
    found: list[int] = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_the_bundled_sandbox_does_not_outlive_a_killed_desk(tmp_path: Path) -> None:
    """The sandbox runs as the desk's child; `kill -9` of the desk alone (not its group, as a
    crash is) still ends it, so no orphan keeps the clinic's file open for the next start."""
    desk = Desk(tmp_path, "file")
    running = desk.start()
    try:
        desk.wait_for_log("calendar shown", running, timeout=240)
        sandboxes = _children(running.pid)
        assert sandboxes, "the bundled sandbox runs as a child process of the desk"
        os.kill(running.pid, signal.SIGKILL)
        running.wait(timeout=30)
        deadline = time.monotonic() + 60
        while any(_alive(pid) for pid in sandboxes) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(pid) for pid in sandboxes)
    finally:
        kill_hard(running)
    again = desk.smoke()
    assert again.returncode == 0, explain(again)
