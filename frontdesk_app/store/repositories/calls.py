"""AI-handled calls, the human agents, and the transfers between them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from frontdesk_app.domain.errors import NotFound
from frontdesk_app.domain.models import (
    Agent,
    AgentRef,
    Call,
    Caller,
    CallStatus,
    Intent,
    Sentiment,
    TranscriptLine,
    Transfer,
    TransferStatus,
)
from frontdesk_app.store.tables import AgentRow, CallRow, TransferRow

# --- calls -----------------------------------------------------------------------------------


def call_to_model(row: CallRow) -> Call:
    return Call(
        id=row.id,
        status=row.status,
        caller=Caller(phone=row.caller_phone, name=row.caller_name, patient_id=row.patient_id),
        started_at=row.started_at,
        intent=Intent(name=row.intent_name, confidence=row.intent_confidence),
        sentiment=Sentiment(label=row.sentiment_label, score=row.sentiment_score),
        transcript=[TranscriptLine.model_validate(line) for line in row.transcript],
        collected_data=row.collected_data,
        summary=row.summary,
    )


def call_to_row(call: Call) -> CallRow:
    return CallRow(
        id=call.id,
        status=call.status,
        caller_phone=call.caller.phone,
        caller_name=call.caller.name,
        patient_id=call.caller.patient_id,
        started_at=call.started_at,
        intent_name=call.intent.name,
        intent_confidence=call.intent.confidence,
        sentiment_label=call.sentiment.label,
        sentiment_score=call.sentiment.score,
        transcript=[line.model_dump(mode="json") for line in call.transcript],
        collected_data=call.collected_data,
        summary=call.summary,
    )


def get_call_row(session: Session, call_id: str) -> CallRow:
    row = session.get(CallRow, call_id)
    if row is None:
        raise NotFound("No such call.")
    return row


def list_calls(session: Session, status: CallStatus | None = None) -> list[Call]:
    """Calls, newest first."""
    query = select(CallRow)
    if status is not None:
        query = query.where(CallRow.status == status)
    rows = session.scalars(query.order_by(CallRow.started_at.desc(), CallRow.id)).all()
    return [call_to_model(row) for row in rows]


# --- agents ----------------------------------------------------------------------------------


def agent_to_model(row: AgentRow) -> Agent:
    return Agent(id=row.id, name=row.name, status=row.status)


def get_agent_row(session: Session, agent_id: str) -> AgentRow:
    row = session.get(AgentRow, agent_id)
    if row is None:
        raise NotFound("No such agent.")
    return row


def list_agents(session: Session) -> list[Agent]:
    rows = session.scalars(select(AgentRow).order_by(AgentRow.position, AgentRow.id)).all()
    return [agent_to_model(row) for row in rows]


def mark_routed(session: Session, agent: AgentRow) -> None:
    """Put the agent at the back of the round-robin."""
    highest = session.scalar(select(func.max(AgentRow.last_routed_seq)))
    agent.last_routed_seq = int(highest or 0) + 1


def next_available_agent(session: Session, *, excluding: str | None = None) -> AgentRow | None:
    """Round-robin: of the available agents, the one routed to longest ago (never first)."""
    condition = AgentRow.status == "available"
    if excluding is not None:
        condition = condition & (AgentRow.id != excluding)
    return session.scalars(
        select(AgentRow)
        .where(condition)
        .order_by(
            AgentRow.last_routed_seq.is_not(None),
            AgentRow.last_routed_seq,
            AgentRow.position,
            AgentRow.id,
        )
        .limit(1)
    ).first()


# --- transfers -------------------------------------------------------------------------------


def transfer_to_model(session: Session, row: TransferRow) -> Transfer:
    """The seed's transfer object, with the whole call for the receiving agent."""
    agent = session.get(AgentRow, row.agent_id) if row.agent_id else None
    return Transfer(
        transfer_id=row.id,
        call_id=row.call_id,
        status=row.status,
        agent=AgentRef(id=agent.id, name=agent.name) if agent else None,
        context_passed=row.context_passed,
        transferred_at=row.transferred_at,
        priority=row.priority,
        context_summary=row.context_summary,
        accepted_at=row.accepted_at,
        completed_at=row.completed_at,
        disposition=row.disposition,
        notes=row.notes,
        offered_at=row.offered_at,
        offer_expires_at=row.offer_expires_at,
        call=call_to_model(get_call_row(session, row.call_id)),
    )


def get_transfer_row(session: Session, transfer_id: str) -> TransferRow:
    row = session.get(TransferRow, transfer_id)
    if row is None:
        raise NotFound("No such transfer.")
    return row


def list_transfers(
    session: Session, *, agent_id: str | None = None, status: TransferStatus | None = None
) -> list[Transfer]:
    """Transfers, oldest first (the order an agent should take them)."""
    query = select(TransferRow)
    if agent_id is not None:
        query = query.where(TransferRow.agent_id == agent_id)
    if status is not None:
        query = query.where(TransferRow.status == status)
    rows = session.scalars(query.order_by(TransferRow.transferred_at, TransferRow.id)).all()
    return [transfer_to_model(session, row) for row in rows]
