"""The one write path of `OfflineFirstBackend`: appointments, patients, visits, the waitlist.

Every write is checked by the domain rules against the mirror, then the local row and an
outbox entry commit in one transaction; the replayer sends it. Online, the caller awaits the
server's answer for a short while (the confirmed result, or the refusal raised and the change
undone); offline, or if the answer is slow, the call returns the local result at once and the
appointment shows as pending. A write asked for again with its idempotency key is answered as
the first time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from frontdesk_app.domain.errors import InvalidState
from frontdesk_app.domain.ids import is_temporary_patient
from frontdesk_app.domain.models import (
    Appointment,
    AppointmentCancel,
    AppointmentCreate,
    AppointmentReschedule,
    CancelResult,
    Patient,
    PatientCreate,
    RescheduleResult,
)
from frontdesk_app.domain.series import Series, SeriesCancelResult, SeriesRescheduleResult
from frontdesk_app.domain.visits import VISIT_EVENT, Visit, VisitChange
from frontdesk_app.domain.waitlist import WAITLIST_EVENT, WaitlistEntry, WaitlistRequest
from frontdesk_app.store.audit import WRITE_ACTIONS
from frontdesk_app.sync import apply, outbox, patients, series, waitlist
from frontdesk_app.sync.base import SyncCore
from frontdesk_app.sync.entries import OutboxEntry
from frontdesk_app.sync.mirror_reads import MirrorReads


class Writes:
    """The write part of `OfflineFirstBackend`, over the shared `SyncCore` and the mirror
    reads (an appointment outside the mirror is fetched before it is changed)."""

    def __init__(self, core: SyncCore, reads: MirrorReads) -> None:
        self.core = core
        self.reads = reads

    # --- the one write path -------------------------------------------------------------------

    async def _write(
        self,
        queue: Callable[[Session, datetime], apply.Queued],
        event_type: str,
        idempotency_key: str | None,
    ) -> Any:
        if idempotency_key is not None:
            earlier = await self._earlier_outcome(idempotency_key)
            if earlier is not None:
                return earlier
        now = self.core.clock()

        def queue_and_audit(session: Session) -> apply.Queued:
            done = queue(session, now)
            trail, action = self.core.local.audit, WRITE_ACTIONS.get(event_type)
            if trail is not None and action is not None:
                # In the write's own transaction: the entry exists exactly when the change does.
                trail.record(
                    session,
                    action,
                    patient_id=done.appointment.patient_id,
                    object_id=done.appointment.id,
                )
            return done

        # Shielded: once committed, the entry reaches the replayer even if the caller gives up
        # waiting (a closed dialog); otherwise it would sit unsent until the next start.
        queued, future = await asyncio.shield(
            asyncio.ensure_future(self._commit_write(queue_and_audit, event_type))
        )
        if future is None:
            return queued.result
        return await self.core.await_answer(queued.entry, future, queued.result, queued.appointment)

    async def _commit_write(
        self, queue: Callable[[Session], apply.Queued], event_type: str
    ) -> tuple[apply.Queued, asyncio.Future[Any] | None]:
        queued = await self.core.db.write(queue)
        future = self.core.hand_over(queued.entry)
        if future is None:  # offline: the change shows at once, as waiting to sync
            events = [self.core.changed(queued.appointment.id, queued.appointment, "desk")]
            if isinstance(queued.result, Visit):
                events.append(
                    self.core.local_event(VISIT_EVENT, queued.result.model_dump(mode="json"))
                )
            self.core.emit(events)
        return queued, future

    async def _earlier_outcome(self, entry_id: str) -> Any:
        """The same write asked for again with its key: answer as the first time."""
        entry = await self.core.db.read(lambda s: outbox.get(s, entry_id))
        if entry is None:
            return None
        state, result = await self.core.db.read(lambda s: outbox.result_of(s, entry_id))
        if state == "done" and result is not None:
            if entry.kind == patients.KIND:
                return Patient.model_validate(result)
            if entry.kind == "create":
                return Appointment.model_validate(result)
            if entry.kind == "visit":
                return Visit.model_validate(result)
            if entry.kind == waitlist.KIND:
                return WaitlistEntry.model_validate(result)
            if entry.kind == series.KIND:
                return Series.model_validate(result)
            if entry.kind == series.CANCEL_KIND:
                return SeriesCancelResult.model_validate(result)
            if entry.kind == series.MOVE_KIND:
                return SeriesRescheduleResult.model_validate(result)
            if entry.kind == "reschedule":
                return RescheduleResult.model_validate(result)
            return CancelResult.model_validate(result)
        if state in ("rejected", "discarded"):
            raise InvalidState("This change was taken back earlier; make it again if needed.")
        if entry.kind == patients.KIND:
            return await self.reads.get_patient(entry.patient_id)
        if entry.kind == waitlist.KIND:
            return await self.reads.get_waitlist_entry(entry.appointment_id)
        if entry.kind in series.KINDS:
            return await self.reads.get_series(entry.appointment_id)
        current = await self.core.db.read(lambda s: apply.resolve_id(s, entry.appointment_id))
        if entry.kind == "visit":
            return await self.reads.get_visit(current)
        return await self.core.local.get_appointment(current)

    async def create_appointment(
        self, request: AppointmentCreate, *, idempotency_key: str | None = None
    ) -> Appointment:
        if is_temporary_patient(request.patient_id):
            # For a patient registered offline who has synced since: the server's id.
            resolved = await self.core.db.read(
                lambda s: patients.resolve_patient_id(s, request.patient_id)
            )
            request = request.model_copy(update={"patient_id": resolved})
        result: Appointment = await self._write(
            lambda s, now: apply.queue_create(s, request, now=now, entry_id=idempotency_key),
            "appointment.created",
            idempotency_key,
        )
        return result

    async def reschedule_appointment(
        self,
        appointment_id: str,
        request: AppointmentReschedule,
        *,
        idempotency_key: str | None = None,
    ) -> RescheduleResult:
        target = await self.reads.known(appointment_id)
        result: RescheduleResult = await self._write(
            lambda s, now: apply.queue_reschedule(
                s, target, request, now=now, entry_id=idempotency_key
            ),
            "appointment.rescheduled",
            idempotency_key,
        )
        return result

    async def cancel_appointment(
        self,
        appointment_id: str,
        request: AppointmentCancel,
        *,
        idempotency_key: str | None = None,
    ) -> CancelResult:
        target = await self.reads.known(appointment_id)
        result: CancelResult = await self._write(
            lambda s, now: apply.queue_cancel(
                s, target, request, now=now, entry_id=idempotency_key
            ),
            "appointment.cancelled",
            idempotency_key,
        )
        return result

    async def create_patient(
        self, request: PatientCreate, *, idempotency_key: str | None = None
    ) -> Patient:
        """Registered in the mirror under a temporary id and queued (`sync.patients`): online
        the server's answer (its id, or its refusal such as `possible_duplicate`) comes back
        within the write deadline; offline the patient can be booked at once."""
        if idempotency_key is not None:
            earlier = await self._earlier_outcome(idempotency_key)
            if earlier is not None:
                return earlier  # type: ignore[no-any-return]
        now = self.core.clock()

        def queue_and_audit(session: Session) -> patients.QueuedPatient:
            done = patients.queue_patient(session, request, now=now, entry_id=idempotency_key)
            trail = self.core.local.audit
            if trail is not None:
                trail.record(
                    session, "patient.create", patient_id=done.patient.id, object_id=done.patient.id
                )
            return done

        async def commit() -> tuple[patients.QueuedPatient, asyncio.Future[Any] | None]:
            queued = await self.core.db.write(queue_and_audit)
            future = self.core.hand_over(queued.entry)
            self.core.emit(
                [self.core.local_event("patient.created", queued.patient.model_dump(mode="json"))]
            )
            return queued, future

        queued, future = await asyncio.shield(asyncio.ensure_future(commit()))
        if future is None:
            return queued.patient
        answer: Patient = await self.core.await_answer(queued.entry, future, queued.patient)
        return answer

    # --- visits: live front-desk work, kept here for reading offline -------------------------

    async def change_visit(
        self, appointment_id: str, request: VisitChange, *, idempotency_key: str | None = None
    ) -> Visit:
        """Moved in this copy by the rule and sent through the one write path: online the
        server's answer within the write deadline; offline at once, queued and sent later."""
        target = await self.reads.known(appointment_id)
        person = self.core.local.audit.person if self.core.local.audit is not None else None
        if request.by is None and person is not None:
            request = request.model_copy(update={"by": person.name})  # who, at this desk
        visit: Visit = await self._write(
            lambda s, now: apply.queue_visit(s, target, request, now=now, entry_id=idempotency_key),
            VISIT_EVENT,
            idempotency_key,
        )
        return visit

    # --- the waitlist: saved here and queued like any write ------------------------------------

    async def save_waitlist_entry(
        self, entry_id: str, request: WaitlistRequest, *, idempotency_key: str | None = None
    ) -> WaitlistEntry:
        """Saved in this copy by the rules and queued (`sync.waitlist`): online the server's
        answer within the write deadline; offline at once, sent when the server answers."""
        if is_temporary_patient(request.patient_id):
            resolved = await self.core.db.read(
                lambda s: patients.resolve_patient_id(s, request.patient_id)
            )
            request = request.model_copy(update={"patient_id": resolved})
        if idempotency_key is not None:
            earlier = await self._earlier_outcome(idempotency_key)
            if earlier is not None:
                return earlier  # type: ignore[no-any-return]
        now = self.core.clock()

        def queue_and_audit(session: Session) -> tuple[WaitlistEntry, OutboxEntry]:
            saved, queued = waitlist.queue_save(
                session, entry_id, request, now=now, outbox_id=idempotency_key
            )
            if self.core.local.audit is not None:
                self.core.local.audit.record(
                    session, "waitlist.save", patient_id=saved.patient_id, object_id=saved.id
                )
            return saved, queued

        async def commit() -> tuple[WaitlistEntry, OutboxEntry, asyncio.Future[Any] | None]:
            saved, queued = await self.core.db.write(queue_and_audit)
            future = self.core.hand_over(queued)
            self.core.emit([self.core.local_event(WAITLIST_EVENT, saved.model_dump(mode="json"))])
            return saved, queued, future

        saved, queued, future = await asyncio.shield(asyncio.ensure_future(commit()))
        if future is None:
            return saved
        answer: WaitlistEntry = await self.core.await_answer(queued, future, saved)
        return answer
