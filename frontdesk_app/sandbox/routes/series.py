"""Recurring series (`domain/series.py`), a project route beside API.md's.

A series is booked as one unit under the client's id (`PUT`, repeatable): every start passes
the rules of a single booking, or nothing is booked. Each appointment is an ordinary one
carrying `series_id`; change or cancel one with the appointment routes, this one and the
following or all of them with `POST /v1/series/{id}/cancel`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from frontdesk_app.domain.series import (
    Series,
    SeriesCancel,
    SeriesCancelResult,
    SeriesCheck,
    SeriesCheckRequest,
    SeriesCreate,
    SeriesReschedule,
    SeriesRescheduleResult,
)
from frontdesk_app.sandbox.deps import context, guarded, idempotency_key, respond
from frontdesk_app.sandbox.routes.appointments import READ, WRITE

router = APIRouter(prefix="/v1", tags=["series"])


@router.post(
    "/series/check",
    response_model=SeriesCheck,
    summary="Which starts of a recurring series the diary can take, and what to offer instead",
    **guarded(READ),
)
async def check_series(body: SeriesCheckRequest, request: Request) -> Response:
    return respond(await context(request).backend.check_series(body))


@router.put(
    "/series/{series_id}",
    response_model=Series,
    summary="Book a recurring series: every start, or none",
    **guarded(WRITE),
)
async def save_series(series_id: str, body: SeriesCreate, request: Request) -> Response:
    series = await context(request).backend.save_series(
        series_id, body, idempotency_key=idempotency_key(request)
    )
    return respond(series)


@router.get(
    "/series/{series_id}",
    response_model=Series,
    summary="Get a series with its appointments",
    **guarded(READ),
)
async def get_series(series_id: str, request: Request) -> Response:
    return respond(await context(request).backend.get_series(series_id))


@router.post(
    "/series/{series_id}/cancel",
    response_model=SeriesCancelResult,
    summary="Cancel a series' appointments still to come, or this one and the following",
    **guarded(WRITE),
)
async def cancel_series(series_id: str, body: SeriesCancel, request: Request) -> Response:
    cancelled = await context(request).backend.cancel_series(
        series_id, body, idempotency_key=idempotency_key(request)
    )
    return respond(cancelled)


@router.post(
    "/series/{series_id}/reschedule",
    response_model=SeriesRescheduleResult,
    summary="Move a series' appointments to another time of day: all still to come, or from one",
    **guarded(WRITE),
)
async def reschedule_series(series_id: str, body: SeriesReschedule, request: Request) -> Response:
    moved = await context(request).backend.reschedule_series(
        series_id, body, idempotency_key=idempotency_key(request)
    )
    return respond(moved)
