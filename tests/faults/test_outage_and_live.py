"""An outage with 200 writes, and other desks' bookings arriving live — real sandbox process."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from frontdesk_app.api import ApiBackend, ApiKey
from frontdesk_app.domain.changes import change_of
from frontdesk_app.domain.errors import NotFound
from frontdesk_app.domain.models import AppointmentCreate
from frontdesk_app.store.tables import AppointmentRow
from frontdesk_app.sync.backend import OfflineFirstBackend
from tests.faults.support import (
    SandboxProcess,
    open_desk,
    server_head,
    server_history,
    server_rows,
)
from tests.faults.writes import WriteScript

pytestmark = [pytest.mark.faults, pytest.mark.asyncio]


async def wait_until(condition: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.02)
    return condition()


async def assert_mirror_matches_server(desk: OfflineFirstBackend, db: Path, ids: list[str]) -> None:
    truth = server_rows(db, ids)
    assert set(truth) == set(ids)
    for appointment_id in ids:
        mine = await desk.get_appointment(appointment_id)
        theirs = truth[appointment_id]
        assert (mine.status, mine.start_time.strftime("%Y-%m-%dT%H:%M:%S")) == (
            theirs.status,
            theirs.start_time,
        ), appointment_id
        assert mine.duration_minutes == theirs.duration_minutes
    with desk.local.store.read() as session:
        leftovers = session.scalars(
            select(AppointmentRow.id).where(AppointmentRow.id.like("tmp\\_apt\\_%", escape="\\"))
        ).all()
    assert leftovers == []


async def test_an_outage_with_200_writes_loses_nothing_and_doubles_nothing(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    sandbox.start()
    desk = await open_desk(tmp_path / "mirror.sqlite", sandbox.base_url, sandbox.api_key)
    try:
        assert desk.puller is not None and await desk.puller.wait_pulled(60)
        script = await WriteScript.prepare(desk, random.Random(20260302))
        head = server_head(sandbox.db)

        sandbox.stop()
        assert await wait_until(lambda: desk.state.connection == "offline", 30)
        await script.run(200)
        assert desk.state.pending == 200
        assert desk.state.connection == "offline"
        assert sum(len(kinds) for kinds in script.expected.values()) == 200
        created_then_changed = [i for i in script.created if len(script.expected[i]) > 1]
        assert len(created_then_changed) >= 10  # moves and cancels of offline bookings

        sandbox.start()
        desk.retry_now()
        assert await desk.wait_synced(120)
        assert (desk.state.pending, desk.state.conflicts) == (0, 0)
        assert await wait_until(lambda: desk.state.connection == "online", 30)

        expected = await script.server_ids()
        # Every write once, in each appointment's order, and nothing else happened.
        assert server_history(sandbox.db, head) == expected
        await assert_mirror_matches_server(desk, sandbox.db, list(expected))
    finally:
        await desk.aclose()


async def test_another_desks_booking_appears_here_within_a_second(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    sandbox.start()
    desk = await open_desk(tmp_path / "mirror.sqlite", sandbox.base_url, sandbox.api_key)
    other = ApiBackend(base_url=sandbox.base_url, credentials=ApiKey(sandbox.api_key))
    seen: list[str] = []
    desk.add_event_listener(
        lambda events: seen.extend(c.appointment_id for c in map(change_of, events) if c)
    )
    try:
        assert desk.puller is not None and await desk.puller.wait_pulled(60)
        assert await wait_until(
            lambda: desk.puller is not None and desk.puller.stream_state == "streaming", 30
        )
        script = await WriteScript.prepare(desk, random.Random(7), existing=0)
        provider = script.providers[0]
        for day in script.days:
            slots = (await other.provider_availability(provider.id, day, 30)).slots
            if slots:
                break
        theirs = await other.create_appointment(
            AppointmentCreate(
                patient_id=script.patients[3],
                provider_id=provider.id,
                start_time=slots[0].start_time,
                duration_minutes=30,
                type="consultation",
            )
        )
        booked_at = time.monotonic()

        async def arrived() -> bool:
            try:
                await desk.local.get_appointment(theirs.id)
            except NotFound:
                return False
            return True

        found = False
        while time.monotonic() - booked_at < 1.0 and not found:
            found = await arrived()
            if not found:
                await asyncio.sleep(0.02)
        assert found, "the other desk's booking did not reach this desk's store within a second"
        assert theirs.id in seen  # and the UI heard of it
    finally:
        await other.aclose()
        await desk.aclose()
