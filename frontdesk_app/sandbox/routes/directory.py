"""The directory a front desk looks things up in: providers, free slots, patients, payers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from frontdesk_app.domain.models import Availability, Page, Patient, Payer, Provider
from frontdesk_app.domain.timeutil import BookableDate
from frontdesk_app.sandbox.deps import context, guarded, respond

router = APIRouter(prefix="/v1", tags=["directory"])
READ = "appointments:read"


@router.get("/providers", response_model=Page[Provider], summary="List providers", **guarded(READ))
async def list_providers(request: Request) -> Response:
    providers = await context(request).backend.list_providers()
    return respond(Page[Provider](data=providers, next_cursor=None))


@router.get(
    "/providers/{provider_id}", response_model=Provider, summary="Get a provider", **guarded(READ)
)
async def get_provider(provider_id: str, request: Request) -> Response:
    return respond(await context(request).backend.get_provider(provider_id))


@router.get(
    "/providers/{provider_id}/availability",
    response_model=Availability,
    summary="A provider's free slots on a day, in 15-minute steps",
    **guarded(READ),
)
async def provider_availability(
    provider_id: str,
    request: Request,
    date: Annotated[BookableDate, Query(description="Clinic-local day, YYYY-MM-DD")],
    duration_minutes: int = Query(30, ge=5, le=480),
) -> Response:
    availability = await context(request).backend.provider_availability(
        provider_id, date, duration_minutes
    )
    return respond(availability)


@router.get(
    "/patients",
    response_model=Page[Patient],
    summary="Search patients by part of a name, a date of birth or a phone number",
    **guarded(READ),
)
async def search_patients(
    request: Request,
    q: str | None = Query(None, max_length=200),
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = Query(None, max_length=200),
) -> Response:
    page = await context(request).backend.search_patients(q or None, limit=limit, cursor=cursor)
    return respond(page)


@router.get(
    "/patients/{patient_id}", response_model=Patient, summary="Get a patient", **guarded(READ)
)
async def get_patient(patient_id: str, request: Request) -> Response:
    return respond(await context(request).backend.get_patient(patient_id))


@router.get("/payers", response_model=Page[Payer], summary="List payers", **guarded(READ))
async def list_payers(request: Request) -> Response:
    payers = await context(request).backend.list_payers()
    return respond(Page[Payer](data=payers, next_cursor=None))
