"""A slot taken by another desk while this one was offline; replay through a failing server."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest

from frontdesk_app.api import ApiBackend, ApiKey
from frontdesk_app.domain.ids import is_temporary
from frontdesk_app.domain.models import AppointmentCreate, AppointmentQuery
from tests.faults.support import (
    Proxy,
    SandboxProcess,
    open_desk,
    server_head,
    server_history,
    server_rows,
)
from tests.faults.test_outage_and_live import assert_mirror_matches_server, wait_until
from tests.faults.writes import WriteScript

pytestmark = [pytest.mark.faults, pytest.mark.asyncio]


async def test_a_slot_booked_elsewhere_while_offline_becomes_a_conflict_that_resolves(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    sandbox.start()
    proxy = await Proxy(sandbox.port).start()
    desk = await open_desk(tmp_path / "mirror.sqlite", proxy.base_url, sandbox.api_key)
    other = ApiBackend(base_url=sandbox.base_url, credentials=ApiKey(sandbox.api_key))
    try:
        assert desk.puller is not None and await desk.puller.wait_pulled(60)
        script = await WriteScript.prepare(desk, random.Random(11), existing=0)
        provider = script.providers[1]
        free = [(await desk.provider_availability(provider.id, d, 30)).slots for d in script.days]
        wanted = next(slots for slots in free if slots)[0].start_time

        proxy.cut()
        assert await wait_until(lambda: desk.state.connection == "offline", 30)
        mine = await desk.create_appointment(
            AppointmentCreate(
                patient_id=script.patients[10],
                provider_id=provider.id,
                start_time=wanted,
                duration_minutes=30,
                type="new-patient",
            )
        )
        assert is_temporary(mine.id) and desk.sync_status(mine.id) == "pending"
        theirs = await other.create_appointment(
            AppointmentCreate(
                patient_id=script.patients[20],
                provider_id=provider.id,
                start_time=wanted,
                duration_minutes=30,
                type="consultation",
            )
        )

        proxy.restore()
        desk.retry_now()
        assert await desk.wait_synced(60)
        [conflict] = await desk.list_conflicts()
        assert conflict.appointment_id == mine.id
        assert conflict.code == "slot_unavailable"
        assert provider.name in conflict.reason
        assert desk.state.connection == "conflicts"
        window = AppointmentQuery(
            provider_id=provider.id, start=wanted, end=wanted + timedelta(minutes=30)
        )
        taken = [a for a in (await other.list_appointments(window)).data if a.active]
        assert [a.id for a in taken] == [theirs.id]  # the server has one booking there

        slots = await desk.suggest_slots(conflict.id)
        assert slots and wanted not in {s.start_time for s in slots}
        moved = await desk.resolve_conflict(conflict.id, new_start_time=slots[0].start_time)
        assert moved is not None and not is_temporary(moved.id)
        assert server_rows(sandbox.db, [moved.id])[moved.id].start_time == slots[
            0
        ].start_time.strftime("%Y-%m-%dT%H:%M:%S")
        assert desk.state.conflicts == 0
        assert await wait_until(lambda: desk.state.connection == "online", 30)
    finally:
        await other.aclose()
        await desk.aclose()
        await proxy.aclose()


async def test_chaos_during_replay_still_lands_every_write_exactly_once(
    sandbox: SandboxProcess, tmp_path: Path
) -> None:
    sandbox.chaos = "error=0.1,drop=0.05,delay=0.05,delay_seconds=0.2,seed=5"
    sandbox.start()
    proxy = await Proxy(sandbox.port).start()
    desk = await open_desk(tmp_path / "mirror.sqlite", proxy.base_url, sandbox.api_key)
    try:
        assert desk.puller is not None and await desk.puller.wait_pulled(60)
        script = await WriteScript.prepare(desk, random.Random(99))
        head = server_head(sandbox.db)
        proxy.cut()
        assert await wait_until(lambda: desk.state.connection == "offline", 30)
        await script.run(80)

        proxy.restore()
        desk.retry_now()
        assert await desk.wait_synced(120)
        assert (desk.state.pending, desk.state.conflicts) == (0, 0)
        expected = await script.server_ids()
        assert server_history(sandbox.db, head) == expected
        await assert_mirror_matches_server(desk, sandbox.db, list(expected))
    finally:
        await desk.aclose()
        await proxy.aclose()
