"""The front desk's day under SIGKILL: a recurring series, a check-in and a waitlist entry,
queued offline, replayed by a process killed at random moments. The series is never half
booked on the server (at every kill it has none of its appointments or all of them), the
check-in moves the visit once, the entry is saved once; after a last run all three are done."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import time
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from frontdesk_app.domain import clock
from frontdesk_app.domain.models import AppointmentQuery
from frontdesk_app.domain.series import SeriesCheckRequest, SeriesCreate, SeriesRule
from frontdesk_app.domain.visits import VisitChange
from frontdesk_app.domain.waitlist import WaitlistRequest
from tests.faults.support import (
    ROOT,
    Proxy,
    SandboxProcess,
    child_environment,
    open_desk,
    server_head,
)
from tests.faults.test_crash import RUN_TIMEOUT, replay_command
from tests.faults.test_outage_and_live import wait_until

pytestmark = [pytest.mark.faults, pytest.mark.asyncio]
KILLS = 8
SERIES_ID = "ser_crashtest001"
ENTRY_ID = "wl_crashtest0001"


def _count(db: Path, sql: str, *args: str) -> int:
    uri = db.resolve().as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=10.0)) as conn:
        return int(conn.execute(sql, args).fetchone()[0])


def series_booked(db: Path) -> int:
    return _count(db, "SELECT count(*) FROM appointments WHERE series_id = ?", SERIES_ID)


def visit_moves(db: Path, appointment_id: str) -> int:
    uri = db.resolve().as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=10.0)) as conn:
        row = conn.execute(
            "SELECT history FROM visits WHERE appointment_id = ?", (appointment_id,)
        ).fetchone()
    return 0 if row is None else len(json.loads(row[0]))


def entries_saved(db: Path) -> int:
    return _count(db, "SELECT count(*) FROM waitlist WHERE id = ?", ENTRY_ID)


async def test_sigkill_never_half_books_a_series_nor_doubles_a_check_in(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    sandbox.extra_args = ["--rate-limit", "600", "--burst", "2"]
    sandbox.start()
    mirror = tmp_path / "mirror.sqlite"
    proxy = await Proxy(sandbox.port).start()
    desk = await open_desk(mirror, proxy.base_url, sandbox.api_key)
    try:
        assert desk.puller is not None and await desk.puller.wait_pulled(60)
        start = clock.now() + timedelta(days=1)
        page = await desk.list_appointments(
            AppointmentQuery(start=start, end=start + timedelta(days=2), limit=50)
        )
        arriving = next(a for a in page.data if a.active)
        patient = (await desk.search_patients(limit=120)).data[-1]
        provider = (await desk.list_providers())[1]
        free = await desk.provider_availability(provider.id, (start + timedelta(days=7)).date(), 30)
        first = free.slots[len(free.slots) // 2].start_time
        weekday = first.astimezone(ZoneInfo(provider.timezone)).weekday()
        rule = SeriesRule(every_weeks=1, weekdays=[weekday], count=4)
        checked = await desk.check_series(
            SeriesCheckRequest(
                patient_id=patient.id,
                provider_id=provider.id,
                start_time=first,
                duration_minutes=30,
                type="follow-up",
                rule=rule,
            )
        )
        starts = [o.start_time for o in checked.occurrences if o.bookable]
        assert len(starts) >= 2
        proxy.cut()
        assert await wait_until(lambda: desk.state.connection == "offline", 30)
        await desk.save_series(
            SERIES_ID,
            SeriesCreate(
                patient_id=patient.id,
                provider_id=provider.id,
                duration_minutes=30,
                type="follow-up",
                rule=rule,
                starts=starts,
            ),
        )
        await desk.change_visit(arriving.id, VisitChange(state="arrived", by="Front desk"))
        await desk.save_waitlist_entry(
            ENTRY_ID,
            WaitlistRequest(
                patient_id=arriving.patient_id,
                type="consultation",
                duration_minutes=30,
            ),
        )
        assert desk.state.pending == 3
    finally:
        await desk.aclose()
        await proxy.aclose()

    env = child_environment(tmp_path / "home")
    env["FRONTDESK_API_KEY"] = sandbox.api_key
    rng = random.Random(77)
    kills = 0
    for _ in range(KILLS):
        before = server_head(sandbox.db)
        process = subprocess.Popen(
            replay_command(mirror, sandbox.base_url),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            if server_head(sandbox.db) > before or rng.random() < 0.02:
                break
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.1))
        if process.poll() is not None:
            break
        process.kill()
        process.wait(30)
        kills += 1
        # All or nothing, and never twice, whatever moment the kill came at.
        assert series_booked(sandbox.db) in (0, len(starts))
        assert visit_moves(sandbox.db, arriving.id) <= 1
        assert entries_saved(sandbox.db) <= 1

    assert kills >= 1, "the queue drained before any kill"

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
    assert series_booked(sandbox.db) == len(starts)
    assert visit_moves(sandbox.db, arriving.id) == 1
    assert entries_saved(sandbox.db) == 1
