"""The app process as a desk runs it, under each keyring condition: start, reach the calendar,
quit, start again; `kill -9` while running, start again. Nothing may be locked or lost."""

from __future__ import annotations

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
    finally:
        kill_hard(running)
    again = desk.smoke()
    assert again.returncode == 0, explain(again)
    assert "smoke: ok" in again.stdout
