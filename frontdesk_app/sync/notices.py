"""Notices: what the replayer and the event stream report, told to every listener.

A write that settled, was refused or was parked as a conflict becomes the one change
notification of each appointment it touched (or a patient, visit or waitlist event); the
stream's batch becomes the changes it made in the copy, then its own events. Cause `desk` when
a person at this desk is awaiting that write's answer, else `replayer`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from frontdesk_app.domain.changes import Cause
from frontdesk_app.domain.models import Appointment, Event
from frontdesk_app.domain.visits import VISIT_EVENT
from frontdesk_app.domain.waitlist import WAITLIST_EVENT
from frontdesk_app.sync import patients, series, waitlist
from frontdesk_app.sync.base import SyncCore
from frontdesk_app.sync.entries import touched
from frontdesk_app.sync.replayer import ReplayNotice


class Notices:
    """The notice part of `OfflineFirstBackend`, over the shared `SyncCore`."""

    def __init__(self, core: SyncCore) -> None:
        self.core = core

    def on_notice(self, notice: ReplayNotice) -> None:
        self.core.refresh_counts()
        if notice.kind == "synced":
            self.core.hub.update(last_sync=self.core.clock())
        elif notice.kind == "retrying":
            return
        # Settled, refused or parked: nobody awaits this write's answer any more.
        cause: Cause = "desk" if notice.entry.id in self.core.live else "replayer"
        self.core.live.discard(notice.entry.id)
        settled = notice.settled
        if notice.entry.kind == patients.KIND:
            if settled is not None and settled.patient is not None:
                data = settled.patient.model_dump(mode="json")
                if settled.remapped_from:
                    data["previous_id"] = settled.remapped_from
                self.core.emit([self.core.local_event("patient.created", data)])
            return
        if settled is not None and settled.visit is not None:
            self.core.emit(
                [self.core.local_event(VISIT_EVENT, settled.visit.model_dump(mode="json"))]
            )
        if settled is not None and (settled.waitlist or settled.waitlist_removed):
            data = (
                settled.waitlist.model_dump(mode="json")
                if settled.waitlist is not None
                else {"id": settled.waitlist_removed, "status": "removed"}
            )
            self.core.emit([self.core.local_event(WAITLIST_EVENT, data)])
        if notice.entry.kind == waitlist.KIND:
            return
        if notice.entry.kind in series.KINDS:
            self._on_series_notice(notice, cause)
            return
        if settled is None:  # parked as a conflict: the copy keeps the desk's version
            self.core.spawn(self.core.announce([notice.entry.appointment_id], cause))
            return
        appointment = settled.appointment
        if appointment is None:
            event = self.core.changed(notice.entry.appointment_id, None, cause)
        else:
            event = self.core.changed(
                appointment.id, appointment, cause, previous_id=settled.remapped_from
            )
            if settled.remapped_from:
                self._link_in_audit(settled.remapped_from, appointment)
        self.core.emit([event])

    def _on_series_notice(self, notice: ReplayNotice, cause: Cause) -> None:
        """A series write settled, refused or parked: each of its appointments' change."""
        settled = notice.settled
        if settled is None:  # parked as a conflict: the copy keeps the desk's version
            self.core.spawn(self.core.announce(list(touched(notice.entry)[1:]), cause))
            return
        previous = {server: temporary for temporary, server in settled.remaps}
        self.core.emit(
            [
                *(
                    self.core.changed(a.id, a, cause, previous_id=previous.get(a.id))
                    for a in settled.appointments
                ),
                *(self.core.changed(i, None, cause) for i in settled.removed),
            ]
        )

    def on_server_events(self, events: list[Event], changed: list[Appointment]) -> None:
        """The stream's batch: the appointments it changed in the copy, then the rest."""
        self.core.emit([*(self.core.changed(a.id, a, "server") for a in changed), *events])

    def _link_in_audit(self, temporary_id: str, appointment: Any) -> None:
        """An offline booking's audit entry names its temporary id: this entry links it to
        the id the server gave it."""
        trail = self.core.local.audit
        if trail is None:
            return
        server_id, patient_id = str(appointment.id), appointment.patient_id

        def link(session: Session) -> None:
            trail.record(
                session,
                "appointment.server_id",
                patient_id=patient_id,
                object_id=server_id,
                linked_id=temporary_id,
            )

        self.core.spawn(self.core.db.write(link))
