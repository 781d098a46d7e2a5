"""`create_app`: the FrontDeskOS API of API.md as a FastAPI app over any `Backend`.

The layers, outermost first: the front (request id, caller, rate budget, body cap, last-resort
500, request log) → chaos (opt-in) → idempotency (POST) → read cache (GETs between writes) →
FastAPI's routes, which only
translate HTTP to `Backend` calls: every clinic rule lives in `domain` and runs in the backend.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Protocol, runtime_checkable

from fastapi import FastAPI

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.models import Event, SimulatedCallRequest
from frontdesk_app.sandbox.chaos import ChaosMiddleware
from frontdesk_app.sandbox.config import ChaosSpec, SandboxConfig
from frontdesk_app.sandbox.credentials import CredentialStore
from frontdesk_app.sandbox.deps import SandboxContext
from frontdesk_app.sandbox.events import EventHub
from frontdesk_app.sandbox.front import FrontMiddleware
from frontdesk_app.sandbox.idempotency import IdempotencyMiddleware, IdempotencyStore
from frontdesk_app.sandbox.oauth import router as oauth_router
from frontdesk_app.sandbox.openapi import install_openapi, operation_id
from frontdesk_app.sandbox.problems import install_problem_handlers
from frontdesk_app.sandbox.ratelimit import RateLimiter
from frontdesk_app.sandbox.readcache import ReadCache, ReadCacheMiddleware
from frontdesk_app.sandbox.routes import ROUTERS
from frontdesk_app.sandbox.state import StateDB
from frontdesk_app.sandbox.webhooks import WebhookService

log = logging.getLogger("frontdesk_app.sandbox")


@runtime_checkable
class EventSource(Protocol):
    """A backend that tells listeners about events right after it commits them."""

    def add_event_listener(self, callback: Callable[[list[Event]], None]) -> Callable[[], None]: ...


async def _simulate_calls(backend: Backend, every: float) -> None:
    """`--simulate-calls N`: a synthetic AI-handled call every N seconds, for demos."""
    while True:
        await asyncio.sleep(every)
        try:
            await backend.simulate_call(SimulatedCallRequest())
        except Exception as exc:  # a demo feature must not take the server down
            log.warning("simulated call failed: %s", type(exc).__name__)


@runtime_checkable
class OfferExpiry(Protocol):
    """A backend whose transfer offers ring out (`LocalBackend.expire_offers`)."""

    async def expire_offers(self) -> object: ...


async def _expire_offers(backend: OfferExpiry, every: float) -> None:
    """Pass offers that rang out on, even when no client asks in the meantime."""
    while True:
        await asyncio.sleep(every)
        try:
            await backend.expire_offers()
        except Exception as exc:  # the next tick tries again; the server stays up
            log.warning("offer expiry failed: %s", type(exc).__name__)


def create_app(
    backend: Backend,
    *,
    state_path: str | Path,
    config: SandboxConfig | None = None,
    rate_limit_per_min: int | None = None,
    chaos: ChaosSpec | None = None,
) -> FastAPI:
    """The sandbox app; `backend` stays the caller's to close, the state file is ours."""
    settings = config or SandboxConfig()
    if rate_limit_per_min is not None or chaos is not None:
        settings = replace(
            settings,
            rate_limit_per_min=rate_limit_per_min or settings.rate_limit_per_min,
            chaos=chaos if chaos is not None else settings.chaos,
        )
    db = StateDB(state_path)
    credentials = CredentialStore(db, token_ttl_seconds=settings.token_ttl_seconds)
    hub = EventHub()
    webhooks = WebhookService(db, backend, hub, settings)
    # Reads are kept between writes only when the backend announces every write it commits;
    # listening from here on, so an app run without its lifespan (in tests) stays correct.
    read_cache = ReadCache(enabled=isinstance(backend, EventSource))
    stop_reading = (
        backend.add_event_listener(read_cache.written)
        if isinstance(backend, EventSource)
        else (lambda: None)
    )
    ctx = SandboxContext(
        backend=backend,
        config=settings,
        db=db,
        credentials=credentials,
        idempotency=IdempotencyStore(db, ttl_seconds=settings.idempotency_ttl_seconds),
        hub=hub,
        webhooks=webhooks,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if isinstance(backend, EventSource):
            hub.attach(backend.add_event_listener)
        else:
            log.warning("the backend announces no events; streams will only see heartbeats")
        webhooks.start()
        simulator: asyncio.Task[None] | None = None
        if settings.simulate_calls_seconds:
            simulator = asyncio.create_task(
                _simulate_calls(backend, settings.simulate_calls_seconds)
            )
        expiry: asyncio.Task[None] | None = None
        if isinstance(backend, OfferExpiry):
            tick = max(0.05, min(1.0, settings.offer_timeout_seconds / 4))
            expiry = asyncio.create_task(_expire_offers(backend, tick))
        try:
            yield
        finally:
            stop_reading()
            hub.close()
            if expiry is not None:
                expiry.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await expiry
            if simulator is not None:
                simulator.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await simulator
            await webhooks.stop()
            db.close()

    app = FastAPI(
        title="FrontDeskOS API (sandbox)",
        version="1.0.0",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    app.state.sandbox = ctx
    app.include_router(oauth_router)
    for router in ROUTERS:
        app.include_router(router)
    install_problem_handlers(app)
    install_openapi(app)
    # add_middleware wraps: the last one added is the outermost.
    app.add_middleware(ReadCacheMiddleware, cache=read_cache)
    app.add_middleware(IdempotencyMiddleware, store=ctx.idempotency)
    if settings.chaos is not None and settings.chaos.active:
        app.add_middleware(ChaosMiddleware, spec=settings.chaos)
    app.add_middleware(
        FrontMiddleware,
        credentials=credentials,
        limiter=RateLimiter(
            settings.rate_limit_per_min,
            burst=settings.burst,
            window_seconds=settings.rate_window_seconds,
        ),
        max_body_bytes=settings.max_body_bytes,
    )
    return app
