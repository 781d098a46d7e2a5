"""The sandbox's extras: synthetic AI-handled calls, the notifications it would have sent."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from frontdesk_app.domain.models import Call, Notification, Page, SimulatedCallRequest
from frontdesk_app.sandbox.deps import context, guarded, idempotency_key, respond

router = APIRouter(prefix="/v1", tags=["sandbox"])


@router.post(
    "/sandbox/calls",
    status_code=201,
    response_model=Call,
    summary="Make a synthetic AI-handled call (transfer it at once with transfer: true)",
    **guarded("calls"),
)
async def simulate_call(request: Request, body: SimulatedCallRequest | None = None) -> Response:
    call = await context(request).backend.simulate_call(
        body or SimulatedCallRequest(), idempotency_key=idempotency_key(request)
    )
    return respond(call, 201)


@router.get(
    "/sandbox/notifications",
    response_model=Page[Notification],
    summary="Notifications that would have gone to patients and providers",
    **guarded("appointments:read"),
)
async def list_notifications(
    request: Request, appointment_id: str | None = Query(None, max_length=64)
) -> Response:
    notes = await context(request).backend.list_notifications(appointment_id=appointment_id)
    return respond(Page[Notification](data=notes, next_cursor=None))
