"""Insurance eligibility checks and prescription status."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from frontdesk_app.domain.models import EligibilityRequest, EligibilityResult, Page, Prescription
from frontdesk_app.sandbox.deps import context, guarded, idempotency_key, respond
from frontdesk_app.store.repositories.paging import MAX_LIMIT

router = APIRouter(prefix="/v1", tags=["eligibility", "prescriptions"])


@router.post(
    "/eligibility/checks",
    response_model=EligibilityResult,
    summary="Check a patient's insurance eligibility",
    **guarded("eligibility"),
)
async def check_eligibility(body: EligibilityRequest, request: Request) -> Response:
    result = await context(request).backend.check_eligibility(
        body, idempotency_key=idempotency_key(request)
    )
    return respond(result)


@router.get(
    "/eligibility/checks",
    response_model=Page[EligibilityResult],
    summary="A patient's earlier eligibility checks, newest first",
    **guarded("eligibility"),
)
async def list_eligibility_checks(
    request: Request,
    patient_id: str = Query(..., max_length=64),
    limit: int = Query(20, ge=1, le=MAX_LIMIT),
) -> Response:
    # One page: a patient's history is short, and the newest answers are the ones that matter.
    checks = await context(request).backend.list_eligibility_checks(patient_id, limit=limit)
    return respond(Page[EligibilityResult](data=checks, next_cursor=None))


@router.get(
    "/prescriptions",
    response_model=Page[Prescription],
    summary="A patient's prescriptions",
    **guarded("prescriptions:read"),
)
async def list_prescriptions(
    request: Request,
    patient_id: str = Query(..., max_length=64),
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = Query(None, max_length=200),
) -> Response:
    page = await context(request).backend.list_prescriptions(patient_id, limit=limit, cursor=cursor)
    return respond(page)


@router.get(
    "/prescriptions/{prescription_id}",
    response_model=Prescription,
    summary="Get a prescription's status",
    **guarded("prescriptions:read"),
)
async def get_prescription(prescription_id: str, request: Request) -> Response:
    return respond(await context(request).backend.get_prescription(prescription_id))
