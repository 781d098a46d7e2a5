"""AI-handled calls, their transfer to people, the agents and the transfer queue."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from frontdesk_app.domain.models import (
    Agent,
    AgentStatusUpdate,
    Call,
    CallStatus,
    Page,
    Transfer,
    TransferCompletion,
    TransferRequest,
    TransferStatus,
)
from frontdesk_app.sandbox.deps import context, guarded, idempotency_key, respond
from frontdesk_app.sandbox.schemas import TransferAccept

router = APIRouter(prefix="/v1", tags=["calls"])
CALLS = "calls"


@router.get("/calls", response_model=Page[Call], summary="List calls", **guarded(CALLS))
async def list_calls(request: Request, status: CallStatus | None = None) -> Response:
    calls = await context(request).backend.list_calls(status)
    return respond(Page[Call](data=calls, next_cursor=None))


@router.get("/calls/{call_id}", response_model=Call, summary="Get a call", **guarded(CALLS))
async def get_call(call_id: str, request: Request) -> Response:
    return respond(await context(request).backend.get_call(call_id))


@router.post(
    "/calls/{call_id}/transfer",
    status_code=201,
    response_model=Transfer,
    summary="Transfer an AI-handled call to a person",
    **guarded(CALLS),
)
async def transfer_call(
    call_id: str, request: Request, body: TransferRequest | None = None
) -> Response:
    transfer = await context(request).backend.transfer_call(
        call_id, body or TransferRequest(), idempotency_key=idempotency_key(request)
    )
    return respond(transfer, 201)


@router.get("/agents", response_model=Page[Agent], summary="List agents", **guarded(CALLS))
async def list_agents(request: Request) -> Response:
    agents = await context(request).backend.list_agents()
    return respond(Page[Agent](data=agents, next_cursor=None))


@router.put(
    "/agents/{agent_id}/status",
    response_model=Agent,
    summary="Set an agent's status",
    **guarded(CALLS),
)
async def set_agent_status(agent_id: str, body: AgentStatusUpdate, request: Request) -> Response:
    return respond(await context(request).backend.set_agent_status(agent_id, body.status))


@router.get("/transfers", response_model=Page[Transfer], summary="List transfers", **guarded(CALLS))
async def list_transfers(
    request: Request, agent_id: str | None = None, status: TransferStatus | None = None
) -> Response:
    transfers = await context(request).backend.list_transfers(agent_id=agent_id, status=status)
    return respond(Page[Transfer](data=transfers, next_cursor=None))


@router.post(
    "/transfers/{transfer_id}/accept",
    response_model=Transfer,
    summary="An agent accepts a transfer",
    **guarded(CALLS),
)
async def accept_transfer(transfer_id: str, body: TransferAccept, request: Request) -> Response:
    transfer = await context(request).backend.accept_transfer(
        transfer_id, body.agent_id, idempotency_key=idempotency_key(request)
    )
    return respond(transfer)


@router.post(
    "/transfers/{transfer_id}/decline",
    response_model=Transfer,
    summary="The agent a transfer is offered to passes it on now",
    operation_id="declineTransfer",
    **guarded(CALLS),
)
async def decline_transfer(transfer_id: str, body: TransferAccept, request: Request) -> Response:
    transfer = await context(request).backend.decline_transfer(
        transfer_id, body.agent_id, idempotency_key=idempotency_key(request)
    )
    return respond(transfer)


@router.post(
    "/transfers/{transfer_id}/complete",
    response_model=Transfer,
    summary="Complete a transfer with its disposition",
    **guarded(CALLS),
)
async def complete_transfer(
    transfer_id: str, body: TransferCompletion, request: Request
) -> Response:
    transfer = await context(request).backend.complete_transfer(
        transfer_id, body, idempotency_key=idempotency_key(request)
    )
    return respond(transfer)
