"""`CallSimulator` places synthetic calls on a backend, transferring some, until told to stop."""

from __future__ import annotations

import asyncio
import random

import pytest

from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.local.simulator import CallSimulator
from tests.fixtures.store import SmallClinic


@pytest.mark.asyncio
async def test_places_the_limit_then_stops(backend: LocalBackend, clinic: SmallClinic) -> None:
    simulator = CallSimulator(
        backend, interval=0.001, transfer_share=0.5, limit=6, rng=random.Random(4)
    )
    await asyncio.wait_for(simulator.run(), timeout=30)
    assert len(simulator.placed) == 6
    calls = await backend.list_calls()
    assert {c.id for c in calls} == {c.id for c in simulator.placed}
    transferred = {t.call_id for t in await backend.list_transfers()}
    statuses = {c.id: c.status for c in calls}
    assert transferred == {cid for cid, status in statuses.items() if status == "transferring"}
    assert 0 < len(transferred) < 6  # this seed transfers some, not all


@pytest.mark.asyncio
async def test_runs_in_the_background_until_stopped(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    simulator = CallSimulator(backend, interval=0.001, transfer_share=0.0, rng=random.Random(1))
    task = simulator.start()
    assert simulator.start() is task
    for _ in range(200):
        if len(simulator.placed) >= 3:
            break
        await asyncio.sleep(0.01)
    await simulator.stop()
    assert task.done()
    placed = len(simulator.placed)
    assert placed >= 3
    await asyncio.sleep(0.02)
    assert len(simulator.placed) == placed
    assert all(c.status == "ai_handling" for c in await backend.list_calls())


def test_interval_must_be_positive(backend: LocalBackend) -> None:
    with pytest.raises(ValueError, match="interval"):
        CallSimulator(backend, interval=0)
