"""Calls, agents and transfers inside one write transaction.

Agent routing, kept simple on purpose:
- a transfer without a target goes round-robin to the available agent routed to longest ago
  (`connected`); with nobody available it is `queued` with no agent;
- a transfer with a target goes to that agent if they are available, and is refused
  (`invalid_state`) otherwise, so the desk can choose someone else;
- an agent is `busy` from the moment a call is connected to them (or they accept a queued one)
  and `available` again when they complete it; queued transfers wait for an agent to accept
  one, they are not pushed to an agent who becomes free.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import get_args

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from frontdesk_app.domain.errors import FieldError, InvalidState, ValidationFailed
from frontdesk_app.domain.ids import TRANSFER, new_id
from frontdesk_app.domain.models import (
    Agent,
    AgentStatus,
    Call,
    Patient,
    SimulatedCallRequest,
    Transfer,
    TransferCompletion,
    TransferPriority,
    TransferRequest,
)
from frontdesk_app.local.appointment_ops import EventItem, Outcome
from frontdesk_app.store.call_scripts import SCENARIOS, generate_call
from frontdesk_app.store.repositories import calls as calls_repo
from frontdesk_app.store.repositories import directory
from frontdesk_app.store.tables import AgentRow, PatientRow, TransferRow

AGENT_STATUSES: tuple[str, ...] = get_args(AgentStatus)
TRANSFER_PRIORITIES: tuple[str, ...] = get_args(TransferPriority)
# Share of simulated calls from someone the clinic already knows.
KNOWN_CALLER_SHARE = 0.8


def _agent_event(row: AgentRow) -> EventItem:
    return ("agent.status_changed", calls_repo.agent_to_model(row).model_dump(mode="json"))


def _set_status(row: AgentRow, status: AgentStatus, events: list[EventItem]) -> None:
    if row.status != status:
        row.status = status
        events.append(_agent_event(row))


def set_agent_status(session: Session, agent_id: str, status: str) -> Outcome[Agent]:
    if status not in AGENT_STATUSES:
        raise ValidationFailed(
            "Choose available, busy or away.",
            errors=[FieldError("status", "Must be available, busy or away.")],
        )
    row = calls_repo.get_agent_row(session, agent_id)
    row.status = status
    # Every accepted write is one event, even when the status does not change.
    return Outcome(calls_repo.agent_to_model(row), [_agent_event(row)])


def transfer(
    session: Session, call_id: str, request: TransferRequest, *, now: datetime
) -> Outcome[Transfer]:
    if request.priority not in TRANSFER_PRIORITIES:
        raise ValidationFailed(
            "Priority must be normal, urgent or emergency.",
            errors=[FieldError("priority", "Must be normal, urgent or emergency.")],
        )
    call = calls_repo.get_call_row(session, call_id)
    if call.status != "ai_handling":
        raise InvalidState("Only a call the assistant is still handling can be transferred.")
    events: list[EventItem] = []
    if request.target_agent_id is not None:
        agent: AgentRow | None = calls_repo.get_agent_row(session, request.target_agent_id)
        assert agent is not None
        if agent.status != "available":
            raise InvalidState(
                f"{agent.name} is {agent.status}; choose another agent or let the desk pick."
            )
    else:
        agent = calls_repo.next_available_agent(session)
    if agent is not None:
        calls_repo.mark_routed(session, agent)
        _set_status(agent, "busy", events)
    call.status = "transferring"
    row = TransferRow(
        id=new_id(TRANSFER),
        call_id=call.id,
        status="connected" if agent is not None else "queued",
        agent_id=agent.id if agent is not None else None,
        priority=request.priority,
        context_summary=request.context_summary,
        context_passed=True,
        transferred_at=now,
    )
    session.add(row)
    session.flush()
    result = calls_repo.transfer_to_model(session, row)
    events.insert(0, ("transfer.created", result.model_dump(mode="json")))
    return Outcome(result, events)


def accept(
    session: Session, transfer_id: str, agent_id: str, *, now: datetime
) -> Outcome[Transfer]:
    row = calls_repo.get_transfer_row(session, transfer_id)
    agent = calls_repo.get_agent_row(session, agent_id)
    if row.status not in ("queued", "connected"):
        raise InvalidState(f"This transfer is already {row.status}.")
    if row.agent_id is not None and row.agent_id != agent.id:
        raise InvalidState("This call was routed to another agent.")
    events: list[EventItem] = []
    row.status = "accepted"
    row.agent_id = agent.id
    row.accepted_at = now
    calls_repo.get_call_row(session, row.call_id).status = "connected"
    _set_status(agent, "busy", events)
    session.flush()
    result = calls_repo.transfer_to_model(session, row)
    events.insert(0, ("transfer.accepted", result.model_dump(mode="json")))
    return Outcome(result, events)


def complete(
    session: Session, transfer_id: str, request: TransferCompletion, *, now: datetime
) -> Outcome[Transfer]:
    if not request.disposition.strip():
        raise ValidationFailed(
            "Say how the call ended (the disposition).",
            errors=[FieldError("disposition", "Required.")],
        )
    row = calls_repo.get_transfer_row(session, transfer_id)
    if row.status not in ("connected", "accepted"):
        raise InvalidState(
            f"Only a connected or accepted transfer can be completed; this one is {row.status}."
        )
    events: list[EventItem] = []
    row.status = "completed"
    row.completed_at = now
    row.disposition = request.disposition.strip()
    row.notes = request.notes
    calls_repo.get_call_row(session, row.call_id).status = "completed"
    if row.agent_id is not None:
        agent = calls_repo.get_agent_row(session, row.agent_id)
        if agent.status == "busy":
            _set_status(agent, "available", events)
    session.flush()
    result = calls_repo.transfer_to_model(session, row)
    events.insert(0, ("transfer.completed", result.model_dump(mode="json")))
    return Outcome(result, events)


def _caller(session: Session, rng: random.Random, patient_id: str | None) -> Patient | None:
    if patient_id is not None:
        return directory.get_patient(session, patient_id)
    if rng.random() >= KNOWN_CALLER_SHARE:
        return None
    count = session.scalar(select(func.count()).select_from(PatientRow)) or 0
    if count == 0:
        return None
    row = session.scalars(
        select(PatientRow).order_by(PatientRow.id).offset(rng.randrange(count)).limit(1)
    ).first()
    return None if row is None else directory.patient_to_model(row)


def simulate(
    session: Session, request: SimulatedCallRequest, *, now: datetime, rng: random.Random
) -> Outcome[Call]:
    """A new AI-handled call; transferred at once (same transaction) when asked."""
    if request.scenario is not None and request.scenario not in SCENARIOS:
        raise ValidationFailed(
            "Unknown scenario; choose one of: " + ", ".join(SCENARIOS) + ".",
            errors=[FieldError("scenario", "Unknown scenario.")],
        )
    patient = _caller(session, rng, request.patient_id)
    call, priority = generate_call(rng, now=now, patient=patient, scenario=request.scenario)
    session.add(calls_repo.call_to_row(call))
    session.flush()
    if not request.transfer:
        return Outcome(call, [])
    moved = transfer(
        session,
        call.id,
        TransferRequest(priority=request.priority or priority, context_summary=call.summary),
        now=now,
    )
    return Outcome(
        calls_repo.call_to_model(calls_repo.get_call_row(session, call.id)), moved.events
    )
