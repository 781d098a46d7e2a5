"""A replaying process killed with SIGKILL at random moments: no write lost, none doubled."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from frontdesk_app.sync.commands import read_summary
from tests.faults.support import (
    ROOT,
    Proxy,
    SandboxProcess,
    child_environment,
    open_desk,
    server_head,
    server_history,
)
from tests.faults.test_outage_and_live import wait_until
from tests.faults.writes import WriteScript

pytestmark = [pytest.mark.faults, pytest.mark.asyncio]
KILLS = 20
WRITES = 60
RUN_TIMEOUT = 120.0


def replay_command(mirror: Path, base_url: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "frontdesk_app",
        "sync",
        "retry",
        "--db",
        str(mirror),
        "--base-url",
        base_url,
        "--timeout",
        "60",
        "--json",
    ]


def is_prefix(done: list[str], planned: list[str]) -> bool:
    return done == planned[: len(done)]


def remaps(mirror: Path) -> dict[str, str]:
    """Temporary id → server id, as far as the (killed) replayer recorded them."""
    uri = mirror.resolve().as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=10.0)) as conn:
        rows = conn.execute("SELECT key, value FROM sync_meta WHERE key LIKE 'remap:%'").fetchall()
    return {key.removeprefix("remap:"): value for key, value in rows}


def assert_at_most_once_so_far(
    history: dict[str, list[str]], planned: dict[str, list[str]], mirror: Path
) -> None:
    """Each appointment's server history is a prefix of its plan; a booking the server made
    but the killed process never recorded shows only its one `create`."""
    mapped = remaps(mirror)
    by_server_id = {mapped.get(desk_id, desk_id): kinds for desk_id, kinds in planned.items()}
    unrecorded = [k for k in history if k not in by_server_id]
    for server_id, kinds in history.items():
        if server_id in by_server_id:
            assert is_prefix(kinds, by_server_id[server_id]), (server_id, kinds)
        else:
            assert kinds == ["create"], (server_id, kinds)
    unmapped_creates = [k for k in planned if k not in mapped and planned[k][0] == "create"]
    assert len(unrecorded) <= len(unmapped_creates)


async def test_sigkill_while_replaying_never_loses_or_doubles_a_write(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    # Paced at ten writes a second, so the kills land in the middle of the replay.
    sandbox.extra_args = ["--rate-limit", "600", "--burst", "3"]
    sandbox.start()
    mirror = tmp_path / "mirror.sqlite"
    proxy = await Proxy(sandbox.port).start()
    desk = await open_desk(mirror, proxy.base_url, sandbox.api_key)
    try:
        assert desk.puller is not None and await desk.puller.wait_pulled(60)
        rng = random.Random(4242)
        script = await WriteScript.prepare(desk, rng)
        head = server_head(sandbox.db)
        proxy.cut()
        assert await wait_until(lambda: desk.state.connection == "offline", 30)
        await script.run(WRITES)
        expected_by_desk_id = dict(script.expected)
    finally:
        await desk.aclose()
        await proxy.aclose()

    env = child_environment(tmp_path / "home")
    env["FRONTDESK_API_KEY"] = sandbox.api_key
    kills = 0
    for _ in range(KILLS):
        before = server_head(sandbox.db)
        progress = rng.randint(0, 2)
        process = subprocess.Popen(
            replay_command(mirror, sandbox.base_url),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while (
            process.poll() is None
            and server_head(sandbox.db) < before + progress
            and time.monotonic() < deadline
        ):
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.15))
        if process.poll() is not None:
            break  # it finished everything before this kill
        process.kill()
        process.wait(30)
        kills += 1
        assert_at_most_once_so_far(server_history(sandbox.db, head), expected_by_desk_id, mirror)
    assert kills >= KILLS // 2, f"the queue drained after only {kills} kills"

    final = subprocess.run(
        replay_command(mirror, sandbox.base_url),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert final.returncode == 0, final.stdout + final.stderr[-2000:]
    report = json.loads(final.stdout.strip().splitlines()[-1])
    assert (report["pending"], report["conflicts"]) == (0, 0)
    summary = read_summary(mirror)
    assert summary is not None and (summary.pending, summary.conflicts) == (0, 0)

    # Every write exactly once, in order: resolve offline ids through the mirror's remap.
    desk = await open_desk(mirror, proxy.base_url, sandbox.api_key, follow=False)
    try:
        expected = {
            (await desk.get_appointment(desk_id)).id: kinds
            for desk_id, kinds in expected_by_desk_id.items()
        }
    finally:
        await desk.aclose()
    history = server_history(sandbox.db, head)
    assert history == expected
    assert all(is_prefix(history[k], expected[k]) for k in history)
