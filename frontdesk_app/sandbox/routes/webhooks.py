"""Webhook endpoints: register, list, delete, and see each delivery with its attempts.

Each needs the `webhooks` scope, and an endpoint is its creator's alone: another credential
gets 404 for it, as if it did not exist.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from frontdesk_app.domain.models import Page
from frontdesk_app.sandbox.deps import context, guarded, principal_of, respond
from frontdesk_app.sandbox.schemas import (
    Delivery,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
)

router = APIRouter(prefix="/v1", tags=["webhooks"])
WEBHOOKS = "webhooks"


@router.post(
    "/webhook_endpoints",
    status_code=201,
    response_model=WebhookEndpointCreated,
    summary="Register a webhook endpoint (the answer shows its signing secret once)",
    **guarded(WEBHOOKS),
)
async def create_endpoint(body: WebhookEndpointCreate, request: Request) -> Response:
    created = await context(request).webhooks.create_endpoint(body, principal_of(request))
    return respond(created, 201)


@router.get(
    "/webhook_endpoints",
    response_model=Page[WebhookEndpoint],
    summary="List webhook endpoints",
    **guarded(WEBHOOKS),
)
async def list_endpoints(request: Request) -> Response:
    endpoints = await context(request).webhooks.list_endpoints(principal_of(request).credential_id)
    return respond(Page[WebhookEndpoint](data=endpoints, next_cursor=None))


@router.delete(
    "/webhook_endpoints/{endpoint_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a webhook endpoint (pending deliveries are cancelled)",
    **guarded(WEBHOOKS),
)
async def delete_endpoint(endpoint_id: str, request: Request) -> Response:
    await context(request).webhooks.delete_endpoint(
        endpoint_id, principal_of(request).credential_id
    )
    return Response(status_code=204)


@router.get(
    "/webhook_endpoints/{endpoint_id}/deliveries",
    response_model=Page[Delivery],
    summary="An endpoint's deliveries, newest first, with every attempt",
    **guarded(WEBHOOKS),
)
async def list_deliveries(
    endpoint_id: str,
    request: Request,
    limit: int = Query(50, ge=1, le=200),
    cursor: str | None = Query(None, max_length=200),
) -> Response:
    page = await context(request).webhooks.list_deliveries(
        endpoint_id, principal_of(request).credential_id, limit=limit, cursor=cursor
    )
    return respond(page)
