"""A desk whose server is down when it starts: the calendar opens from the offline copy (no
minute of "Connecting…"), and when the server comes back the desk reconnects by itself."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from frontdesk_app.app_services import OFFLINE_COPY_WAIT
from tests.acceptance.desk import Desk, explain, kill_hard
from tests.faults.support import ROOT, SandboxProcess

pytestmark = pytest.mark.acceptance


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SandboxProcess]:
    """The clinic's server as its own process, at the machine's real date (as the desk is)."""
    home = tmp_path / "server-home"
    home.mkdir()
    db = tmp_path / "server" / "clinic.sqlite"
    db.parent.mkdir()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("FRONTDESK_", "PYTHON_KEYRING"))
    }
    env.update(FRONTDESK_HOME=str(home), PYTHONPATH=str(ROOT))
    process = SandboxProcess(db, home, environment=env)
    yield process
    process.stop()


def test_server_down_at_start_then_back(tmp_path: Path, server: SandboxProcess) -> None:
    # A file keyring an administrator chose: a real clinic's offline copy needs a keyring.
    desk = Desk(tmp_path / "desk", "file")
    desk.folder.mkdir()
    server.start()
    desk.extra_env = {"FRONTDESK_API_KEY": server.api_key}
    url = ["--api-url", server.base_url]

    first = desk.smoke(*url)
    assert first.returncode == 0, explain(first)

    server.stop()
    offline = desk.smoke(*url)
    assert offline.returncode == 0, explain(offline)
    # It did not wait for the server (a minute of "Connecting…"): the copy was opened at once.
    assert f"not fetched within {OFFLINE_COPY_WAIT} s; opening with the local copy" in (
        desk.log_text()
    )

    running = desk.start(*url)
    try:
        desk.wait_for_log("calendar shown", running, timeout=120)
        reachable_before = desk.log_text().count("API reachable")
        server.start()  # the same port, as a server restarted after an outage
        desk.wait_for_log("API reachable", running, timeout=120, count=reachable_before + 1)
    finally:
        kill_hard(running)
