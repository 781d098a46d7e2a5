"""The `/v1` routes, one module per area of API.md; each is a thin HTTP face over `Backend`."""

from __future__ import annotations

from fastapi import APIRouter

from frontdesk_app.sandbox.routes import (
    appointments,
    calls,
    clinical,
    directory,
    events,
    patients,
    series,
    simulator,
    visits,
    waitlist,
    webhooks,
)

ROUTERS: tuple[APIRouter, ...] = (
    appointments.router,
    visits.router,
    waitlist.router,
    series.router,
    directory.router,
    patients.router,
    clinical.router,
    calls.router,
    events.router,
    webhooks.router,
    simulator.router,
)
