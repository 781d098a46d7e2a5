"""Transfer offers that ring out: an offer not accepted within the timeout passes to the next
available agent (never back to the same one) or returns to the queue, the agent who let it ring
is set away, and `transfer.offer_expired` says so; a declined offer passes on at once."""

from __future__ import annotations

import pytest

from frontdesk_app.domain import errors
from frontdesk_app.domain.models import SimulatedCallRequest, TransferRequest
from frontdesk_app.local.backend import LocalBackend
from tests.fixtures.store import Clock, SmallClinic

pytestmark = pytest.mark.asyncio


async def offered(backend: LocalBackend, clinic: SmallClinic) -> str:
    call = await backend.simulate_call(SimulatedCallRequest(patient_id=clinic.alice))
    transfer = await backend.transfer_call(call.id, TransferRequest(priority="urgent"))
    assert transfer.status == "connected" and transfer.agent is not None
    return transfer.transfer_id


async def expired_events(backend: LocalBackend) -> list[dict[str, object]]:
    page = await backend.list_events(after=0, limit=1000)
    return [e.data for e in page.data if e.type == "transfer.offer_expired"]


async def test_an_unanswered_offer_passes_on_then_returns_to_the_queue(
    backend: LocalBackend, clinic: SmallClinic, clock: Clock
) -> None:
    tid = await offered(backend, clinic)
    [first] = [t for t in await backend.list_transfers() if t.transfer_id == tid]
    assert first.agent is not None and first.offered_at == clock.now
    assert first.offer_expires_at is not None
    assert (first.offer_expires_at - first.offered_at).total_seconds() == 30
    ringing = first.agent.id

    clock.advance(seconds=29)
    assert (await backend.expire_offers()) == []
    clock.advance(seconds=2)
    [moved] = [t for t in await backend.list_transfers() if t.transfer_id == tid]
    assert moved.status == "connected" and moved.agent is not None
    assert moved.agent.id != ringing and moved.offered_at == clock.now
    agents = {a.id: a.status for a in await backend.list_agents()}
    assert agents[ringing] == "away" and agents[moved.agent.id] == "busy"
    [event] = await expired_events(backend)
    assert event["reason"] == "timeout"
    assert event["expired_agent"] == {"id": ringing, "name": first.agent.name}

    # Too late to accept: the call rings elsewhere now.
    with pytest.raises(errors.InvalidState):
        await backend.accept_transfer(tid, ringing)

    clock.advance(seconds=31)
    [back] = await backend.expire_offers()
    assert (back.status, back.agent, back.offered_at) == ("queued", None, None)
    assert back.priority == "urgent"
    assert len(await expired_events(backend)) == 2


async def test_a_declined_offer_passes_on_at_once_and_the_agent_stays_available(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    tid = await offered(backend, clinic)
    [first] = [t for t in await backend.list_transfers() if t.transfer_id == tid]
    assert first.agent is not None
    declined = await backend.decline_transfer(tid, first.agent.id)
    assert declined.agent is not None and declined.agent.id != first.agent.id
    agents = {a.id: a.status for a in await backend.list_agents()}
    assert agents[first.agent.id] == "available"
    [event] = await expired_events(backend)
    assert event["reason"] == "declined"
    # Only the agent it is offered to may decline it.
    with pytest.raises(errors.InvalidState):
        await backend.decline_transfer(tid, first.agent.id)
