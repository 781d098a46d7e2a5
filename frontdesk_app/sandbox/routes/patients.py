"""Registering patients: `POST /v1/patients` (operation `createPatient`, scope `patients:write`).

A likely duplicate (same name and date of birth, or same phone) is never merged: the answer is
409 `possible_duplicate` whose `candidates` lists the ids of the patients it may be (ids only,
no details in an error body), for a person to choose one or send again with
`"allow_duplicate": true`.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.responses import Response

from frontdesk_app.domain.errors import PossibleDuplicate
from frontdesk_app.domain.models import Patient, PatientCreate
from frontdesk_app.sandbox.deps import context, guarded, idempotency_key, respond
from frontdesk_app.sandbox.problems import (
    PROBLEM_MEDIA_TYPE,
    problem_body,
    request_id_of,
)

router = APIRouter(prefix="/v1", tags=["patients"])
WRITE = "patients:write"

_DUPLICATE_SCHEMA = {
    "description": "Likely duplicates (possible_duplicate): the problem lists their ids",
    "content": {
        PROBLEM_MEDIA_TYPE: {
            "schema": {
                "allOf": [
                    {"$ref": "#/components/schemas/Problem"},
                    {
                        "type": "object",
                        "required": ["candidates"],
                        "properties": {
                            "candidates": {"type": "array", "items": {"type": "string"}}
                        },
                    },
                ]
            }
        }
    },
}


def duplicate_response(error: PossibleDuplicate, request: Request) -> Response:
    """409 problem details plus `candidates`: the ids a person chooses among."""
    body = json.loads(
        problem_body(
            status=error.status,
            code=error.code,
            title=error.title,
            detail=error.message,
            request_id=request_id_of(request.scope.get("state")),
        )
    )
    body["candidates"] = list(error.candidate_ids)
    return Response(
        json.dumps(body, separators=(",", ":")).encode("utf-8"),
        status_code=error.status,
        media_type=PROBLEM_MEDIA_TYPE,
    )


_options = guarded(WRITE)
_options["responses"] = {**_options["responses"], 409: _DUPLICATE_SCHEMA}


@router.post(
    "/patients",
    status_code=201,
    response_model=Patient,
    summary="Register a patient",
    operation_id="createPatient",
    **_options,
)
async def create_patient(body: PatientCreate, request: Request) -> Response:
    try:
        created = await context(request).backend.create_patient(
            body, idempotency_key=idempotency_key(request)
        )
    except PossibleDuplicate as exc:
        return duplicate_response(exc, request)
    return respond(created, 201, {"Location": f"/v1/patients/{created.id}"})
