"""The event log: a page after a seq for catch-up, and a live Server-Sent Events stream."""

from __future__ import annotations

from fastapi import APIRouter, Header, Query, Request
from starlette.responses import Response, StreamingResponse

from frontdesk_app.domain.models import Event, Page
from frontdesk_app.sandbox.deps import context, guarded, principal_of, respond
from frontdesk_app.sandbox.events import filter_visible, parse_last_event_id, stream_events

router = APIRouter(prefix="/v1", tags=["events"])
MAX_SEQ = 2**62

_STREAM_DOC = {
    200: {
        "description": "Server-Sent Events: `id:` is the seq, `event:` the type, `data:` the "
        "event as JSON; a comment line is sent as a heartbeat.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


@router.get(
    "/events",
    response_model=Page[Event],
    summary="Events after a seq, oldest first (catch-up)",
    **guarded(None),
)
async def list_events(
    request: Request,
    after: int = Query(0, ge=0, le=MAX_SEQ),
    limit: int = Query(100, ge=1, le=1000),
) -> Response:
    page = await context(request).backend.list_events(after=after, limit=limit)
    # Only the events this credential may read; the cursor still moves past the others.
    data = filter_visible(page.data, principal_of(request).scopes)
    next_cursor = str(page.data[-1].seq) if page.data and page.next_cursor else None
    return respond(Page[Event](data=data, next_cursor=next_cursor))


@router.get(
    "/events/stream",
    summary="Live events (Server-Sent Events); resume with Last-Event-ID",
    response_class=StreamingResponse,
    **guarded(None, responses={**guarded(None)["responses"], **_STREAM_DOC}),
)
async def stream(
    request: Request,
    after: int = Query(0, ge=0, le=MAX_SEQ),
    last_event_id: str | None = Header(None, max_length=32),
) -> StreamingResponse:
    ctx = context(request)
    resume = parse_last_event_id(last_event_id)
    frames = stream_events(
        ctx.backend,
        ctx.hub,
        after=resume if resume is not None else after,
        scopes=principal_of(request).scopes,
        heartbeat_seconds=ctx.config.heartbeat_seconds,
    )
    return StreamingResponse(
        frames,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
