"""Calls, agents and transfers inside one write transaction.

Agent routing, kept simple on purpose:
- a transfer without a target goes round-robin to the available agent routed to longest ago
  (`connected`); with nobody available it is `queued` with no agent;
- a transfer with a target goes to that agent if they are available, and is refused
  (`invalid_state`) otherwise, so the desk can choose someone else;
- an agent is `busy` from the moment a call is connected to them (or they accept a queued one)
  and `available` again when they complete it; queued transfers wait for an agent to accept
  one, they are not pushed to an agent who becomes free;
- an offer (`connected`) not accepted within the offer timeout (default 30 s) expires: the
  agent who let it ring is set `away`, and the call goes to the next available agent, or back
  to the queue (`transfer.offer_expired`). Expiry runs before every transfer write and read,
  and on a timer in the sandbox, so a caller is never left ringing at an empty desk.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
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
DEFAULT_OFFER_TIMEOUT_S = 30.0


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


def _offer(row: TransferRow, agent: AgentRow, now: datetime, timeout_s: float) -> None:
    row.status = "connected"
    row.agent_id = agent.id
    row.offered_at = now
    row.offer_expires_at = now + timedelta(seconds=timeout_s)


def _pass_on(
    session: Session,
    row: TransferRow,
    *,
    reason: str,
    missed_status: AgentStatus,
    now: datetime,
    timeout_s: float,
    events: list[EventItem],
) -> Transfer:
    """An offer that was not taken goes to the next available agent (never the same one), or
    back to the queue; `transfer.offer_expired` says why (`timeout` or `declined`)."""
    missed = calls_repo.get_agent_row(session, row.agent_id) if row.agent_id else None
    if missed is not None:
        _set_status(missed, missed_status, events)
    agent = calls_repo.next_available_agent(session, excluding=missed.id if missed else None)
    if agent is not None:
        calls_repo.mark_routed(session, agent)
        _set_status(agent, "busy", events)
        _offer(row, agent, now, timeout_s)
    else:
        row.status = "queued"
        row.agent_id = None
        row.offered_at = None
        row.offer_expires_at = None
    session.flush()
    result = calls_repo.transfer_to_model(session, row)
    data = result.model_dump(mode="json")
    data["expired_agent"] = {"id": missed.id, "name": missed.name} if missed else None
    data["reason"] = reason
    events.append(("transfer.offer_expired", data))
    return result


def has_expired_offers(session: Session, *, now: datetime) -> bool:
    """A cheap read: whether any offer has rung out (so a listing need not write otherwise)."""
    found = session.scalar(
        select(TransferRow.id)
        .where(TransferRow.status == "connected", TransferRow.offer_expires_at <= now)
        .limit(1)
    )
    return found is not None


def expire_offers(
    session: Session, *, now: datetime, timeout_s: float = DEFAULT_OFFER_TIMEOUT_S
) -> Outcome[list[Transfer]]:
    """Every offer past its time passes on; the agent who let it ring is set away (not at the
    desk, so no further calls until they say so)."""
    rows = session.scalars(
        select(TransferRow)
        .where(TransferRow.status == "connected", TransferRow.offer_expires_at <= now)
        .order_by(TransferRow.offer_expires_at, TransferRow.id)
    ).all()
    events: list[EventItem] = []
    moved = [
        _pass_on(
            session,
            row,
            reason="timeout",
            missed_status="away",
            now=now,
            timeout_s=timeout_s,
            events=events,
        )
        for row in rows
    ]
    return Outcome(moved, events)


def decline(
    session: Session,
    transfer_id: str,
    agent_id: str,
    *,
    now: datetime,
    timeout_s: float = DEFAULT_OFFER_TIMEOUT_S,
) -> Outcome[Transfer]:
    """The agent it is offered to passes the call on at once; they stay available."""
    row = calls_repo.get_transfer_row(session, transfer_id)
    calls_repo.get_agent_row(session, agent_id)
    if row.status != "connected" or row.agent_id != agent_id:
        raise InvalidState("Only a call offered to you can be declined.")
    events: list[EventItem] = []
    result = _pass_on(
        session,
        row,
        reason="declined",
        missed_status="available",
        now=now,
        timeout_s=timeout_s,
        events=events,
    )
    return Outcome(result, events)


def transfer(
    session: Session,
    call_id: str,
    request: TransferRequest,
    *,
    now: datetime,
    offer_timeout_s: float = DEFAULT_OFFER_TIMEOUT_S,
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
        status="queued",
        agent_id=None,
        priority=request.priority,
        context_summary=request.context_summary,
        context_passed=True,
        transferred_at=now,
    )
    if agent is not None:
        _offer(row, agent, now, offer_timeout_s)
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
    row.offer_expires_at = None
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
    session: Session,
    request: SimulatedCallRequest,
    *,
    now: datetime,
    rng: random.Random,
    offer_timeout_s: float = DEFAULT_OFFER_TIMEOUT_S,
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
        offer_timeout_s=offer_timeout_s,
    )
    return Outcome(
        calls_repo.call_to_model(calls_repo.get_call_row(session, call.id)), moved.events
    )


def caller_patient(transfer: Transfer) -> str | None:
    """The patient a transferred call is about, when the AI identified them."""
    return transfer.call.caller.patient_id if transfer.call is not None else None
