"""Conflicts: writes the server refused, kept for a person to move to another time or discard.

A conflict keeps the desk's version of the appointment and the server's reason. Resolving it
with a new time checks the rules here and sends the write again under a new idempotency key
(the body changed); discarding takes the write back out of the desk's calendar. Free slots to
choose from come from the server when it is reachable.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from frontdesk_app.domain.errors import NotFound
from frontdesk_app.domain.models import Appointment, Availability, Slot
from frontdesk_app.domain.waitlist import WAITLIST_EVENT
from frontdesk_app.sync import apply, mirror, outbox
from frontdesk_app.sync.base import SyncCore
from frontdesk_app.sync.entries import OutboxEntry, SyncConflict
from frontdesk_app.sync.failures import classify

log = logging.getLogger(__name__)


class Conflicts:
    """The conflict part of `OfflineFirstBackend`, over the shared `SyncCore`."""

    def __init__(self, core: SyncCore) -> None:
        self.core = core

    async def list_conflicts(self) -> list[SyncConflict]:
        """Refused writes waiting for a person, oldest first."""
        parked = [e for e in self.core.replayer.entries() if e.state == "conflict"]
        if not parked:
            return []
        ids = [e.appointment_id for e in parked]
        local = await self.core.db.read(lambda s: {i: mirror.get_appointment(s, i) for i in ids})
        return [_conflict(e, local.get(e.appointment_id)) for e in parked]

    async def _conflict_entry(self, conflict_id: str) -> OutboxEntry:
        entry = await self.core.db.read(lambda s: outbox.get(s, conflict_id))
        if entry is None or entry.state != "conflict":
            raise NotFound("This conflict has already been resolved.")
        return entry

    async def resolve_conflict(
        self,
        conflict_id: str,
        *,
        new_start_time: datetime | None = None,
        discard: bool = False,
    ) -> Appointment | None:
        """Send a refused write again at `new_start_time`, or (without one) discard it.

        Discarding takes the write back out of the desk's calendar: an offline booking
        disappears, a refused move or cancel is undone. Returns the appointment as the desk
        now has it (None when it disappeared). A new time is checked by the rules here first
        and then, online, awaited like any write: a second refusal is raised and the conflict
        stays, with the server's new reason.
        """
        if discard and new_start_time is not None:
            raise ValueError("choose either a new time or discard, not both")
        entry = await self._conflict_entry(conflict_id)
        now = self.core.clock()
        if new_start_time is None:
            # A discarded registration takes the bookings queued for that patient with it.
            held = [
                e.appointment_id
                for e in self.core.replayer.entries()
                if entry.kind == "patient"
                and e.patient_id == entry.patient_id
                and e.seq > entry.seq
            ]
            settled = await self.core.db.write(
                lambda s: apply.undo(s, entry, state="discarded", now=now)
            )
            self.core.replayer.forget(list(settled.closed))
            self.core.refresh_counts()
            if entry.kind.startswith("series"):
                self.core.emit(
                    [
                        *(self.core.changed(a.id, a, "desk") for a in settled.appointments),
                        *(self.core.changed(i, None, "desk") for i in settled.removed),
                    ]
                )
                return None
            if entry.kind == "waitlist":
                entry_data = (
                    settled.waitlist.model_dump(mode="json")
                    if settled.waitlist is not None
                    else {"id": entry.appointment_id, "status": "removed"}
                )
                self.core.emit([self.core.local_event(WAITLIST_EVENT, entry_data)])
                return None
            events = [
                self.core.changed(entry.appointment_id, settled.appointment, "desk"),
                *(self.core.changed(i, None, "desk") for i in held),
            ]
            if settled.waitlist is not None:  # a booking from the waitlist: back on the list
                events.append(
                    self.core.local_event(WAITLIST_EVENT, settled.waitlist.model_dump(mode="json"))
                )
            self.core.emit(events)
            if settled.appointment is not None and self.core.reachable:
                await self._refresh_if_settled(settled.appointment.id)
            return settled.appointment
        renewed, appointment = await self.core.db.write(
            lambda s: apply.requeue_at(s, entry, new_start_time, now=now)
        )
        future = self.core.attach(renewed, undo_on_refusal=False)
        self.core.replayer.replace_entry(renewed)
        self.core.refresh_counts()
        if future is None:
            self.core.spawn(self.core.announce([renewed.appointment_id], "desk"))
        else:
            answer = await self.core.await_answer(renewed, future, None, appointment)
            if isinstance(answer, Appointment):
                return answer
        if appointment is None:
            return None
        current = await self.core.db.read(lambda s: apply.resolve_id(s, renewed.appointment_id))
        return await self.core.local.get_appointment(current)

    async def _refresh_if_settled(self, appointment_id: str) -> None:
        """After a discard, take the server's version if nothing else of it is queued."""
        if self.core.sync_status(appointment_id) != "synced" or self.core.api is None:
            return
        try:
            await self.core.fetch_into_mirror(appointment_id)
        except Exception as exc:
            if classify(exc) == "refusal":
                return
            log.info("could not refresh an appointment after a discard (%s)", type(exc).__name__)

    async def suggest_slots(self, conflict_id: str, day: date | None = None) -> list[Slot]:
        """Free slots for a conflicted booking or move: the server's when online, else local.

        `day` defaults to the day first asked for, in the provider's time zone.
        """
        entry = await self._conflict_entry(conflict_id)
        local = await self.core.db.read(lambda s: mirror.get_appointment(s, entry.appointment_id))
        conflict = _conflict(entry, local)
        minutes = conflict.duration_minutes
        if minutes is None:
            return []
        provider = await self.core.local.get_provider(conflict.provider_id)
        wanted = conflict.start_time or self.core.clock()
        on = day or wanted.astimezone(ZoneInfo(provider.timezone)).date()
        availability: Availability | None = None
        if self.core.reachable:
            try:
                availability = await self.core.network(
                    self.core.api.provider_availability(conflict.provider_id, on, minutes)
                )
            except Exception as exc:
                if classify(exc) not in ("network", "transient"):
                    raise
        if availability is None:
            availability = await self.core.local.provider_availability(
                conflict.provider_id, on, minutes
            )
        return availability.slots


def _conflict(entry: OutboxEntry, local: Appointment | None) -> SyncConflict:
    return SyncConflict(
        id=entry.id,
        appointment_id=entry.appointment_id,
        kind=entry.kind,
        code=entry.conflict_code or "conflict",
        reason=entry.conflict_message or "The server refused this change.",
        detected_at=entry.conflict_at or entry.created_at,
        request=entry.request(),
        local=local,
        provider_id=entry.provider_id,
        patient_id=entry.patient_id,
    )
