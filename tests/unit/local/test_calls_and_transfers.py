"""Calls, agents and transfers: round-robin routing, queueing, accept and complete, events."""

from __future__ import annotations

import random

import pytest

from frontdesk_app.domain import errors
from frontdesk_app.domain.models import SimulatedCallRequest, TransferCompletion, TransferRequest
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.store.call_scripts import SCENARIOS
from tests.fixtures.store import SmallClinic

pytestmark = pytest.mark.asyncio


async def new_call(backend: LocalBackend, clinic: SmallClinic) -> str:
    call = await backend.simulate_call(SimulatedCallRequest(patient_id=clinic.alice))
    assert call.status == "ai_handling"
    return call.id


async def test_round_robin_then_queue_when_nobody_is_free(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    first = await backend.transfer_call(await new_call(backend, clinic), TransferRequest())
    second = await backend.transfer_call(await new_call(backend, clinic), TransferRequest())
    third = await backend.transfer_call(await new_call(backend, clinic), TransferRequest())
    assert first.agent is not None and second.agent is not None
    assert {first.agent.id, second.agent.id} == {clinic.agent_a, clinic.agent_b}
    assert (first.status, second.status) == ("connected", "connected")
    assert (third.status, third.agent) == ("queued", None)
    agents = {a.id: a.status for a in await backend.list_agents()}
    assert agents == {clinic.agent_a: "busy", clinic.agent_b: "busy"}
    call = await backend.get_call(third.call_id)
    assert call.status == "transferring"


async def test_round_robin_rotates_when_agents_free_up(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    routed: list[str] = []
    for _ in range(4):
        transfer = await backend.transfer_call(await new_call(backend, clinic), TransferRequest())
        assert transfer.agent is not None
        routed.append(transfer.agent.id)
        await backend.complete_transfer(
            transfer.transfer_id, TransferCompletion(disposition="resolved")
        )
    assert routed == [clinic.agent_a, clinic.agent_b, clinic.agent_a, clinic.agent_b]


async def test_a_targeted_transfer_goes_to_that_agent_or_is_refused(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    transfer = await backend.transfer_call(
        await new_call(backend, clinic), TransferRequest(target_agent_id=clinic.agent_b)
    )
    assert transfer.agent is not None and transfer.agent.id == clinic.agent_b
    with pytest.raises(errors.InvalidState):
        await backend.transfer_call(
            await new_call(backend, clinic), TransferRequest(target_agent_id=clinic.agent_b)
        )
    with pytest.raises(errors.NotFound):
        await backend.transfer_call(
            await new_call(backend, clinic), TransferRequest(target_agent_id="agt_nobody")
        )


async def test_only_an_ai_handled_call_can_be_transferred(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    call_id = await new_call(backend, clinic)
    await backend.transfer_call(call_id, TransferRequest())
    with pytest.raises(errors.InvalidState) as refused:
        await backend.transfer_call(call_id, TransferRequest())
    assert refused.value.code == "invalid_state"
    with pytest.raises(errors.NotFound):
        await backend.transfer_call("call_nothing", TransferRequest())


async def test_accept_and_complete(backend: LocalBackend, clinic: SmallClinic) -> None:
    call_id = await new_call(backend, clinic)
    transfer = await backend.transfer_call(call_id, TransferRequest(priority="urgent"))
    assert transfer.agent is not None
    agent = transfer.agent.id
    other = clinic.agent_b if agent == clinic.agent_a else clinic.agent_a
    with pytest.raises(errors.InvalidState):
        await backend.accept_transfer(transfer.transfer_id, other)
    accepted = await backend.accept_transfer(transfer.transfer_id, agent)
    assert accepted.status == "accepted" and accepted.accepted_at is not None
    assert (await backend.get_call(call_id)).status == "connected"
    with pytest.raises(errors.InvalidState):
        await backend.accept_transfer(transfer.transfer_id, agent)
    with pytest.raises(errors.ValidationFailed):
        await backend.complete_transfer(transfer.transfer_id, TransferCompletion(disposition=" "))
    done = await backend.complete_transfer(
        transfer.transfer_id,
        TransferCompletion(disposition="appointment_booked", notes="Booked Tuesday 10:00"),
    )
    assert (done.status, done.disposition, done.notes) == (
        "completed",
        "appointment_booked",
        "Booked Tuesday 10:00",
    )
    assert done.call is not None and done.call.status == "completed"
    assert {a.id: a.status for a in await backend.list_agents()}[agent] == "available"
    with pytest.raises(errors.InvalidState):
        await backend.complete_transfer(transfer.transfer_id, TransferCompletion(disposition="x"))


async def test_a_queued_transfer_is_claimed_by_whoever_accepts(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    await backend.set_agent_status(clinic.agent_a, "away")
    await backend.set_agent_status(clinic.agent_b, "away")
    queued = await backend.transfer_call(await new_call(backend, clinic), TransferRequest())
    assert queued.status == "queued"
    assert [t.transfer_id for t in await backend.list_transfers(status="queued")] == [
        queued.transfer_id
    ]
    with pytest.raises(errors.InvalidState):
        await backend.complete_transfer(queued.transfer_id, TransferCompletion(disposition="x"))
    claimed = await backend.accept_transfer(queued.transfer_id, clinic.agent_b)
    assert claimed.agent is not None and claimed.agent.id == clinic.agent_b
    assert [t.transfer_id for t in await backend.list_transfers(agent_id=clinic.agent_b)] == [
        queued.transfer_id
    ]


async def test_transfer_events_carry_the_whole_call(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    call_id = await new_call(backend, clinic)
    transfer = await backend.transfer_call(call_id, TransferRequest(context_summary="Wants Tue"))
    assert transfer.agent is not None
    await backend.accept_transfer(transfer.transfer_id, transfer.agent.id)
    await backend.complete_transfer(transfer.transfer_id, TransferCompletion(disposition="done"))
    events = (await backend.list_events()).data
    assert [e.type for e in events] == [
        "transfer.created",
        "agent.status_changed",
        "transfer.accepted",
        "transfer.completed",
        "agent.status_changed",
    ]
    created = events[0].data
    assert created["transfer_id"] == transfer.transfer_id
    assert created["context_summary"] == "Wants Tue"
    call = created["call"]
    assert call["id"] == call_id
    assert call["transcript"] and call["intent"]["name"] and call["sentiment"]["label"]
    assert call["collected_data"]
    assert [e.seq for e in events] == sorted(e.seq for e in events)


async def test_agent_status_changes_are_events(backend: LocalBackend, clinic: SmallClinic) -> None:
    agent = await backend.set_agent_status(clinic.agent_a, "away")
    assert agent.status == "away"
    events = (await backend.list_events()).data
    assert [(e.type, e.data) for e in events] == [
        ("agent.status_changed", {"id": clinic.agent_a, "name": "Ada Agent", "status": "away"})
    ]
    with pytest.raises(errors.ValidationFailed):
        await backend.set_agent_status(clinic.agent_a, "asleep")  # type: ignore[arg-type]
    with pytest.raises(errors.NotFound):
        await backend.set_agent_status("agt_nobody", "away")


async def test_simulated_calls_look_real(backend: LocalBackend, clinic: SmallClinic) -> None:
    for scenario in SCENARIOS:
        call = await backend.simulate_call(SimulatedCallRequest(scenario=scenario))
        assert call.transcript[0].speaker == "ai"
        assert any(line.speaker == "caller" for line in call.transcript)
        times = [line.at for line in call.transcript]
        assert times == sorted(times) and times[0] > call.started_at
        assert 0 < call.intent.confidence <= 1 and -1 <= call.sentiment.score <= 1
        assert call.summary and call.collected_data
    urgent = await backend.simulate_call(
        SimulatedCallRequest(scenario="urgent_symptoms", transfer=True)
    )
    assert urgent.status == "transferring"
    transfers = await backend.list_transfers()
    assert transfers[-1].call_id == urgent.id
    assert transfers[-1].priority in ("urgent", "emergency")
    assert transfers[-1].context_summary == urgent.summary
    with pytest.raises(errors.ValidationFailed):
        await backend.simulate_call(SimulatedCallRequest(scenario="karaoke"))
    listed = await backend.list_calls("ai_handling")
    assert len(listed) == len(SCENARIOS)


async def test_simulator_is_reproducible_with_a_seed(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    from frontdesk_app.local.simulator import generate_call
    from tests.fixtures.store import NOW

    one, _ = generate_call(random.Random(3), now=NOW, scenario="prescription_refill")
    two, _ = generate_call(random.Random(3), now=NOW, scenario="prescription_refill")
    assert one.model_dump(exclude={"id"}) == two.model_dump(exclude={"id"})
    assert one.transcript[-1].at == NOW
