"""Appointments: create, reschedule, cancel (the seed's three) and the calendar's reads."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from frontdesk_app.domain.models import (
    Appointment,
    AppointmentCancel,
    AppointmentCreate,
    AppointmentQuery,
    AppointmentReschedule,
    AppointmentStatus,
    CancelResult,
    Page,
    RescheduleResult,
)
from frontdesk_app.domain.timeutil import BookableTime
from frontdesk_app.sandbox.deps import context, guarded, idempotency_key, respond

router = APIRouter(prefix="/v1", tags=["appointments"])
READ = "appointments:read"
WRITE = "appointments:write"


@router.post(
    "/appointments",
    status_code=201,
    response_model=Appointment,
    summary="Create an appointment",
    **guarded(WRITE),
)
async def create_appointment(body: AppointmentCreate, request: Request) -> Response:
    created = await context(request).backend.create_appointment(
        body, idempotency_key=idempotency_key(request)
    )
    return respond(created, 201, {"Location": f"/v1/appointments/{created.id}"})


@router.post(
    "/appointments/{appointment_id}/reschedule",
    response_model=RescheduleResult,
    summary="Reschedule an appointment",
    **guarded(WRITE),
)
async def reschedule_appointment(
    appointment_id: str, body: AppointmentReschedule, request: Request
) -> Response:
    result = await context(request).backend.reschedule_appointment(
        appointment_id, body, idempotency_key=idempotency_key(request)
    )
    return respond(result)


@router.post(
    "/appointments/{appointment_id}/cancel",
    response_model=CancelResult,
    summary="Cancel an appointment",
    **guarded(WRITE),
)
async def cancel_appointment(
    appointment_id: str, request: Request, body: AppointmentCancel | None = None
) -> Response:
    result = await context(request).backend.cancel_appointment(
        appointment_id, body or AppointmentCancel(), idempotency_key=idempotency_key(request)
    )
    return respond(result)


@router.get(
    "/appointments",
    response_model=Page[Appointment],
    summary="List appointments (for the calendar)",
    **guarded(READ),
)
async def list_appointments(
    request: Request,
    *,
    provider_id: str | None = None,
    patient_id: str | None = None,
    start: BookableTime | None = None,
    end: BookableTime | None = None,
    status: AppointmentStatus | None = None,
    client_reference: str | None = Query(None, min_length=1, max_length=255),
    limit: int = Query(500, ge=1, le=1000),
    cursor: str | None = Query(None, max_length=200),
) -> Response:
    query = AppointmentQuery(
        provider_id=provider_id,
        patient_id=patient_id,
        start=start,
        end=end,
        status=status,
        client_reference=client_reference,
        limit=limit,
        cursor=cursor,
    )
    return respond(await context(request).backend.list_appointments(query))


@router.get(
    "/appointments/{appointment_id}",
    response_model=Appointment,
    summary="Get an appointment",
    **guarded(READ),
)
async def get_appointment(appointment_id: str, request: Request) -> Response:
    return respond(await context(request).backend.get_appointment(appointment_id))
