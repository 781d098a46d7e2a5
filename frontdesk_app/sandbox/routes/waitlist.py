"""The waitlist (ASAP list, `domain/waitlist.py`), a project route beside API.md's.

Booking an entry is `POST /v1/appointments` with `waitlist_entry_id`: the same write path as
any booking, so a slot two desks offer at once is booked once.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from frontdesk_app.domain.models import Page
from frontdesk_app.domain.waitlist import WaitlistEntry, WaitlistRequest
from frontdesk_app.sandbox.deps import context, guarded, idempotency_key, respond
from frontdesk_app.sandbox.routes.appointments import READ, WRITE

router = APIRouter(prefix="/v1", tags=["waitlist"])


@router.put(
    "/waitlist/{entry_id}",
    response_model=WaitlistEntry,
    summary="Add a patient to the waitlist, change what they asked for, or take them off",
    **guarded(WRITE),
)
async def save_waitlist_entry(entry_id: str, body: WaitlistRequest, request: Request) -> Response:
    entry = await context(request).backend.save_waitlist_entry(
        entry_id, body, idempotency_key=idempotency_key(request)
    )
    return respond(entry)


@router.get(
    "/waitlist/{entry_id}",
    response_model=WaitlistEntry,
    summary="Get a waitlist entry",
    **guarded(READ),
)
async def get_waitlist_entry(entry_id: str, request: Request) -> Response:
    return respond(await context(request).backend.get_waitlist_entry(entry_id))


@router.get(
    "/waitlist",
    response_model=Page[WaitlistEntry],
    summary="The waitlist, longest waiting first",
    **guarded(READ),
)
async def list_waitlist(
    request: Request,
    status: Literal["waiting", "booked", "removed", "all"] = Query("waiting"),
) -> Response:
    entries = await context(request).backend.list_waitlist(None if status == "all" else status)
    return respond(Page[WaitlistEntry](data=entries, next_cursor=None))
