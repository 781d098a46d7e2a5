"""Webhook endpoints and their deliveries: signed (Standard Webhooks), retried with backoff.

A dispatcher turns new events into delivery rows, reading the backend's event table from a
cursor kept in the state file, so events committed just before a crash are still delivered
after a restart. A worker sends due deliveries, records every attempt and reschedules failures
at base · 2^(n-1) seconds (capped) until one succeeds or the attempts run out.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import logging
import secrets
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import and_, func, select, update
from sqlalchemy.engine import Connection
from standardwebhooks import Webhook

from frontdesk_app.domain import clock
from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import NotFound
from frontdesk_app.domain.ids import DELIVERY, WEBHOOK_ENDPOINT, new_id
from frontdesk_app.domain.models import Event, Page
from frontdesk_app.sandbox.config import SandboxConfig
from frontdesk_app.sandbox.credentials import Principal
from frontdesk_app.sandbox.events import EventHub, visible
from frontdesk_app.sandbox.schemas import (
    ALL_EVENTS,
    Delivery,
    DeliveryAttempt,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
)
from frontdesk_app.sandbox.state import (
    StateDB,
    deliveries,
    delivery_attempts,
    dump_json,
    dump_scopes,
    load_scopes,
    now,
    webhook_endpoints,
)
from frontdesk_app.sandbox.webhook_targets import TargetRefused, check_url, pin

log = logging.getLogger("frontdesk_app.sandbox.webhooks")
_CURSOR = "webhook_cursor"
_BATCH = 200
_MAX_IN_FLIGHT = 8
_IDLE_SECONDS = 30.0
NOT_DELIVERED = "not delivered"


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _endpoint(row: Any) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=row.id, url=row.url, events=row.events.split(), created_at=_at(row.created_at)
    )


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookService:
    """Endpoints, the event→delivery dispatcher and the delivery worker of one server."""

    def __init__(self, db: StateDB, backend: Backend, hub: EventHub, config: SandboxConfig) -> None:
        self._db = db
        self._backend = backend
        self._hub = hub
        self._config = config
        self._cursor: int | None = None
        # Whether any endpoint is live (None: not known yet). With none, events are not read
        # at all: a write then costs no webhook work (the cursor jumps on the next register).
        self._live: bool | None = None
        self._dispatch_lock = asyncio.Lock()
        self._work = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight: set[str] = set()
        self._stopping = False
        self._client: httpx.AsyncClient | None = None

    # --- endpoints -----------------------------------------------------------------------------

    async def create_endpoint(
        self, request: WebhookEndpointCreate, principal: Principal
    ) -> WebhookEndpointCreated:
        """A new endpoint owned by the calling credential: only it sees or deletes it."""
        check_url(str(request.url), internet=self._config.webhook_internet)
        scopes = principal.scopes
        async with self._dispatch_lock:
            # Catch up first: the new endpoint receives events from now on, not history.
            await self._dispatch_pending()
            if not await self._any_live():
                # Nothing was read while no endpoint listened: start from the newest event.
                latest = await self._latest_seq(self._cursor or 0)
                await self._db.run(lambda conn: StateDB.set_meta(conn, _CURSOR, str(latest)))
                self._cursor = latest
            start_seq = self._cursor or 0
            endpoint_id = new_id(WEBHOOK_ENDPOINT, 16)
            secret = new_secret()
            created = now()
            values = {
                "id": endpoint_id,
                "url": str(request.url),
                "events": " ".join(request.events),
                "secret": secret,
                "scopes": dump_scopes(scopes),
                "owner": principal.credential_id,
                "start_seq": start_seq,
                "created_at": created,
            }
            await self._db.run(lambda conn: conn.execute(webhook_endpoints.insert().values(values)))
            self._live = True
        return WebhookEndpointCreated(
            id=endpoint_id,
            url=str(request.url),
            events=list(request.events),
            created_at=_at(created),
            secret=secret,
        )

    async def list_endpoints(self, owner: str) -> list[WebhookEndpoint]:
        def read(conn: Connection) -> list[WebhookEndpoint]:
            rows = conn.execute(
                select(webhook_endpoints)
                .where(webhook_endpoints.c.deleted_at.is_(None), webhook_endpoints.c.owner == owner)
                .order_by(webhook_endpoints.c.created_at, webhook_endpoints.c.id)
            )
            return [_endpoint(r) for r in rows]

        return await self._db.run(read)

    async def delete_endpoint(self, endpoint_id: str, owner: str) -> None:
        def delete(conn: Connection) -> bool:
            done = conn.execute(
                update(webhook_endpoints)
                .where(
                    webhook_endpoints.c.id == endpoint_id,
                    webhook_endpoints.c.owner == owner,
                    webhook_endpoints.c.deleted_at.is_(None),
                )
                .values(deleted_at=now())
            )
            if not done.rowcount:
                return False
            conn.execute(
                update(deliveries)
                .where(deliveries.c.endpoint_id == endpoint_id, deliveries.c.status == "pending")
                .values(status="cancelled", next_attempt_at=None)
            )
            return True

        if not await self._db.run(delete):
            raise NotFound("There is no webhook endpoint with that id.")
        self._live = None  # perhaps that was the last one

    async def list_deliveries(
        self, endpoint_id: str, owner: str, *, limit: int, cursor: str | None
    ) -> Page[Delivery]:
        # The cursor is the creation time and id of the last delivery of the previous page.
        before: tuple[float, str] | None = None
        if cursor:
            stamp, _, last_id = cursor.partition("~")
            try:
                before = (float(stamp), last_id)
            except ValueError:
                before = None

        def read(conn: Connection) -> Page[Delivery] | None:
            if (
                conn.execute(
                    select(webhook_endpoints.c.id).where(
                        webhook_endpoints.c.id == endpoint_id, webhook_endpoints.c.owner == owner
                    )
                ).first()
                is None
            ):
                return None
            query = select(deliveries).where(deliveries.c.endpoint_id == endpoint_id)
            if before is not None:
                query = query.where(
                    (deliveries.c.created_at < before[0])
                    | and_(deliveries.c.created_at == before[0], deliveries.c.id < before[1])
                )
            rows = list(
                conn.execute(
                    query.order_by(deliveries.c.created_at.desc(), deliveries.c.id.desc()).limit(
                        limit + 1
                    )
                )
            )
            more, rows = len(rows) > limit, rows[:limit]
            attempts: dict[str, list[DeliveryAttempt]] = {r.id: [] for r in rows}
            for a in conn.execute(
                select(delivery_attempts)
                .where(delivery_attempts.c.delivery_id.in_(list(attempts)))
                .order_by(delivery_attempts.c.attempt)
            ):
                attempts[a.delivery_id].append(
                    DeliveryAttempt(
                        attempt=a.attempt,
                        at=_at(a.at),
                        status_code=a.status_code,
                        error=a.error,
                        duration_ms=None if a.duration_ms is None else round(a.duration_ms, 1),
                    )
                )
            data = [
                Delivery(
                    id=r.id,
                    endpoint_id=r.endpoint_id,
                    event_id=r.event_id,
                    event_type=r.event_type,
                    status=r.status,
                    attempt_count=r.attempt_count,
                    next_attempt_at=None if r.next_attempt_at is None else _at(r.next_attempt_at),
                    created_at=_at(r.created_at),
                    attempts=attempts[r.id],
                )
                for r in rows
            ]
            next_cursor = f"{rows[-1].created_at!r}~{rows[-1].id}" if more and rows else None
            return Page[Delivery](data=data, next_cursor=next_cursor)

        page = await self._db.run(read)
        if page is None:
            raise NotFound("There is no webhook endpoint with that id.")
        return page

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self._client = httpx.AsyncClient(
            timeout=self._config.webhook_timeout_seconds, follow_redirects=False, trust_env=False
        )
        for loop in (self._dispatch_loop(), self._deliver_loop()):
            task = asyncio.create_task(loop)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        self._stopping = True
        self._work.set()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            await self._client.aclose()

    # --- dispatching events into deliveries ----------------------------------------------------

    async def _latest_seq(self, after: int) -> int:
        newest = getattr(self._backend, "last_event_seq", None)
        if callable(newest):
            return int(await newest())
        last = after
        while True:
            page = await self._backend.list_events(after=last, limit=1000)
            if not page.data:
                return last
            last = page.data[-1].seq

    async def _dispatch_pending(self) -> int:
        """Create deliveries for events past the cursor; the caller holds the dispatch lock."""
        if self._cursor is None:
            stored = await self._db.run(lambda conn: StateDB.get_meta(conn, _CURSOR))
            if stored is None:
                # First start: endpoints only ever hear about events from now on.
                latest = await self._latest_seq(0)
                await self._db.run(lambda conn: StateDB.set_meta(conn, _CURSOR, str(latest)))
                self._cursor = latest
            else:
                self._cursor = int(stored)
        if not await self._any_live():
            return 0
        created = 0
        while True:
            page = await self._backend.list_events(after=self._cursor, limit=_BATCH)
            if not page.data:
                return created
            created += await self._db.run(functools.partial(self._enqueue, events=page.data))
            self._cursor = page.data[-1].seq

    async def _any_live(self) -> bool:
        if self._live is None:
            found = await self._db.run(
                lambda conn: conn.execute(
                    select(webhook_endpoints.c.id)
                    .where(webhook_endpoints.c.deleted_at.is_(None))
                    .limit(1)
                ).first()
            )
            self._live = found is not None
        return self._live

    @staticmethod
    def _enqueue(conn: Connection, events: list[Event]) -> int:
        endpoints = list(
            conn.execute(select(webhook_endpoints).where(webhook_endpoints.c.deleted_at.is_(None)))
        )
        at = now()
        rows = []
        for event in events:
            payload = dump_json(event.model_dump(mode="json"))
            for ep in endpoints:
                names = ep.events.split()
                if event.seq <= ep.start_seq or not (ALL_EVENTS in names or event.type in names):
                    continue
                if not visible(event, load_scopes(ep.scopes)):
                    continue
                rows.append(
                    {
                        "id": new_id(DELIVERY, 16),
                        "endpoint_id": ep.id,
                        "event_id": event.id,
                        "event_seq": event.seq,
                        "event_type": event.type,
                        "payload": payload,
                        "status": "pending",
                        "attempt_count": 0,
                        "next_attempt_at": at,
                        "created_at": at,
                    }
                )
        if rows:
            conn.execute(deliveries.insert(), rows)
        StateDB.set_meta(conn, _CURSOR, str(events[-1].seq))
        return len(rows)

    async def _dispatch_loop(self) -> None:
        waiter = self._hub.register()
        try:
            while not self._stopping:
                waiter.clear()
                try:
                    async with self._dispatch_lock:
                        created = await self._dispatch_pending()
                    if created:
                        self._work.set()
                except Exception as exc:  # keep dispatching; the next wake retries
                    log.error("webhook dispatch failed: %s", type(exc).__name__)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter.wait(), timeout=_IDLE_SECONDS)
        finally:
            self._hub.unregister(waiter)

    # --- delivering ----------------------------------------------------------------------------

    async def _deliver_loop(self) -> None:
        while not self._stopping:
            self._work.clear()
            timeout = _IDLE_SECONDS
            try:
                due, next_at = await self._db.run(
                    functools.partial(self._due, busy=frozenset(self._in_flight))
                )
                for row in due:
                    if len(self._in_flight) >= _MAX_IN_FLIGHT:
                        break
                    if row["id"] in self._in_flight:
                        continue
                    self._in_flight.add(row["id"])
                    task = asyncio.create_task(self._attempt(row))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                if next_at is not None:
                    timeout = min(_IDLE_SECONDS, max(0.01, next_at - now()))
            except Exception as exc:
                log.error("webhook delivery scan failed: %s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._work.wait(), timeout=timeout)

    @staticmethod
    def _due(conn: Connection, busy: frozenset[str]) -> tuple[list[dict[str, Any]], float | None]:
        at = now()
        pending = and_(
            deliveries.c.status == "pending",
            webhook_endpoints.c.deleted_at.is_(None),
        )
        ids = list(busy)
        rows = conn.execute(
            select(
                deliveries.c.id,
                deliveries.c.event_id,
                deliveries.c.payload,
                deliveries.c.attempt_count,
                webhook_endpoints.c.url,
                webhook_endpoints.c.secret,
            )
            .join(webhook_endpoints, webhook_endpoints.c.id == deliveries.c.endpoint_id)
            .where(pending, deliveries.c.next_attempt_at <= at, deliveries.c.id.not_in(ids))
            .order_by(deliveries.c.next_attempt_at)
            .limit(_MAX_IN_FLIGHT)
        )
        due = [dict(r._mapping) for r in rows]
        next_at: float | None = conn.execute(
            select(func.min(deliveries.c.next_attempt_at))
            .join(webhook_endpoints, webhook_endpoints.c.id == deliveries.c.endpoint_id)
            .where(pending, deliveries.c.id.not_in(ids))
        ).scalar()
        return due, next_at

    def backoff(self, attempt: int) -> float:
        """Seconds before attempt `attempt + 1`, after `attempt` failures."""
        base = self._config.webhook_retry_base_seconds
        return min(self._config.webhook_retry_max_seconds, base * 2.0 ** (attempt - 1))

    async def _attempt(self, row: dict[str, Any]) -> None:
        attempt = int(row["attempt_count"]) + 1
        status_code: int | None = None
        # Why a delivery did not reach a receiver (refused address, no such host, connection
        # refused, timeout) is never told apart: that would make the deliveries a port scanner.
        error: str | None = NOT_DELIVERED
        duration_ms: float | None = None
        try:
            assert self._client is not None
            target = await pin(row["url"], internet=self._config.webhook_internet)
            stamp = clock.system_now()  # the receiver checks it against its own clock
            signature = Webhook(row["secret"]).sign(row["event_id"], stamp, row["payload"])
            started = time.perf_counter()
            response = await self._client.post(
                target.url,
                content=row["payload"].encode(),
                headers={
                    **target.headers,
                    "content-type": "application/json",
                    "user-agent": "FrontDeskOS-Sandbox-Webhooks/1",
                    "webhook-id": row["event_id"],
                    "webhook-timestamp": str(int(stamp.timestamp())),
                    "webhook-signature": signature,
                },
                extensions=target.extensions,
            )
            duration_ms = round((time.perf_counter() - started) * 1000.0, 1)
            status_code = response.status_code
            error = None if response.is_success else f"HTTP {status_code}"
        except (TargetRefused, httpx.HTTPError):
            pass
        except Exception as exc:
            log.error("webhook attempt failed unexpectedly: %s", type(exc).__name__)
        if error is None:
            status, next_at = "succeeded", None
        elif attempt >= self._config.webhook_max_attempts:
            status, next_at = "failed", None
        else:
            status, next_at = "pending", now() + self.backoff(attempt)

        def record(conn: Connection) -> None:
            conn.execute(
                delivery_attempts.insert().values(
                    delivery_id=row["id"],
                    attempt=attempt,
                    at=now(),
                    status_code=status_code,
                    error=error,
                    duration_ms=duration_ms,
                )
            )
            conn.execute(
                update(deliveries)
                .where(deliveries.c.id == row["id"], deliveries.c.status == "pending")
                .values(status=status, attempt_count=attempt, next_attempt_at=next_at)
            )

        try:
            await self._db.run(record)
        finally:
            self._in_flight.discard(row["id"])
            self._work.set()
