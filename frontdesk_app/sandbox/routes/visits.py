"""Visits: check-in and the flow board (`domain/visits.py`), a project route beside API.md's."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from frontdesk_app.domain.models import Page
from frontdesk_app.domain.timeutil import BookableTime
from frontdesk_app.domain.visits import Visit, VisitChange
from frontdesk_app.sandbox.deps import context, guarded, idempotency_key, principal_of, respond
from frontdesk_app.sandbox.routes.appointments import READ, WRITE

router = APIRouter(prefix="/v1", tags=["visits"])


@router.post(
    "/appointments/{appointment_id}/visit",
    response_model=Visit,
    summary="Move a patient's visit on (arrived, in a room, with the provider, out, no-show)",
    **guarded(WRITE),
)
async def change_visit(appointment_id: str, body: VisitChange, request: Request) -> Response:
    # Who moved it: the person the desk names, else the calling credential.
    named = body if body.by else body.model_copy(update={"by": principal_of(request).credential_id})
    visit = await context(request).backend.change_visit(
        appointment_id, named, idempotency_key=idempotency_key(request)
    )
    return respond(visit)


@router.get(
    "/appointments/{appointment_id}/visit",
    response_model=Visit,
    summary="Get an appointment's visit",
    **guarded(READ),
)
async def get_visit(appointment_id: str, request: Request) -> Response:
    return respond(await context(request).backend.get_visit(appointment_id))


@router.get(
    "/visits",
    response_model=Page[Visit],
    summary="The visits that moved, of the appointments starting in [start, end)",
    **guarded(READ),
)
async def list_visits(request: Request, start: BookableTime, end: BookableTime) -> Response:
    visits = await context(request).backend.list_visits(start, end)
    return respond(Page[Visit](data=visits, next_cursor=None))
