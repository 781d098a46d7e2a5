"""Recurring series in `OfflineFirstBackend`: one queued entry per series write.

Booking, cancelling or moving a series changes all of its appointments here in one
transaction and queues one outbox entry (`sync.series`): online the server's answer comes back
within the write deadline; offline the change shows at once and is sent, all or none, when
the server answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from frontdesk_app.domain.ids import is_temporary_patient
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
from frontdesk_app.store.repositories import series as series_repo
from frontdesk_app.sync import patients, series
from frontdesk_app.sync.base import SyncCore
from frontdesk_app.sync.entries import OutboxEntry, touched
from frontdesk_app.sync.pull import store_server_appointments


class SeriesWrites:
    """The series part of `OfflineFirstBackend`, over the shared `SyncCore`."""

    def __init__(self, core: SyncCore) -> None:
        self.core = core

    # --- recurring series: one queued entry per series write ------------------------------------

    async def check_series(self, request: SeriesCheckRequest) -> SeriesCheck:
        """The server's diary when it answers; offline, this computer's copy."""
        return await self.core.online_or(
            self.core.api.check_series(request), lambda: self.core.local.check_series(request)
        )

    async def save_series(
        self, series_id: str, request: SeriesCreate, *, idempotency_key: str | None = None
    ) -> Series:
        """Every start booked here in one transaction and queued as one entry
        (`sync.series`): online the server's answer within the write deadline; offline at once,
        sent when the server answers — all of it, or none."""
        if is_temporary_patient(request.patient_id):
            resolved = await self.core.db.read(
                lambda s: patients.resolve_patient_id(s, request.patient_id)
            )
            request = request.model_copy(update={"patient_id": resolved})
        now = self.core.clock()

        def queue(session: Session) -> tuple[Series, OutboxEntry | None]:
            booked, queued = series.queue_series(
                session, series_id, request, now=now, outbox_id=idempotency_key
            )
            if queued is not None and self.core.local.audit is not None:
                self.core.local.audit.record(
                    session, "series.book", patient_id=booked.patient_id, object_id=booked.id
                )
            return booked, queued

        booked, queued, future = await self._commit_many(queue)
        if queued is not None and future is not None:
            booked = await self.core.await_answer(queued, future, booked)
        return Series.model_validate(booked)

    async def cancel_series(
        self, series_id: str, request: SeriesCancel, *, idempotency_key: str | None = None
    ) -> SeriesCancelResult:
        """All of them cancelled here in one transaction and queued as one entry."""
        answer = await self._change_series(series_id, request, idempotency_key, "series.cancel")
        return SeriesCancelResult.model_validate(answer)

    async def reschedule_series(
        self, series_id: str, request: SeriesReschedule, *, idempotency_key: str | None = None
    ) -> SeriesRescheduleResult:
        """All of them moved here in one transaction and queued as one entry."""
        answer = await self._change_series(series_id, request, idempotency_key, "series.reschedule")
        return SeriesRescheduleResult.model_validate(answer)

    async def _change_series(
        self,
        series_id: str,
        request: SeriesCancel | SeriesReschedule,
        idempotency_key: str | None,
        action: str,
    ) -> Any:
        await self._known_series(series_id)
        now = self.core.clock()

        def queue(session: Session) -> tuple[Any, OutboxEntry | None]:
            result, queued, _after = series.queue_change(
                session, series_id, request, now=now, outbox_id=idempotency_key
            )
            if self.core.local.audit is not None:
                self.core.local.audit.record(
                    session, action, patient_id=queued.patient_id, object_id=series_id
                )
            return result, queued

        result, queued, future = await self._commit_many(queue)
        if queued is not None and future is not None:
            result = await self.core.await_answer(queued, future, result)
        return result

    async def _known_series(self, series_id: str) -> None:
        """A series another desk booked: its rule and appointments are fetched into the copy
        first (a cancel is made here before it is sent)."""
        found = await self.core.db.read(lambda s: series_repo.find(s, series_id))
        if found is not None or not self.core.reachable:
            return
        server = await self.core.network(self.core.api.get_series(series_id))
        await store_server_appointments(self.core.db, self.core.api, server.appointments)
        await self.core.db.write(lambda s: series_repo.keep(s, server))

    async def _commit_many(
        self, queue: Callable[[Session], tuple[Any, OutboxEntry | None]]
    ) -> tuple[Any, OutboxEntry | None, asyncio.Future[Any] | None]:
        """Commit a write of several appointments; tell the panels about each of them."""

        async def commit() -> tuple[Any, OutboxEntry | None, asyncio.Future[Any] | None]:
            result, queued = await self.core.db.write(queue)
            if queued is None:
                return result, None, None
            future = self.core.hand_over(queued)
            ids = touched(queued)[1:]
            self.core.spawn(self.core.announce(list(ids), "desk"))
            return result, queued, future

        return await asyncio.shield(asyncio.ensure_future(commit()))
