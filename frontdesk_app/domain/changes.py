"""The one change notification an appointment's write sends to the desk's listeners.

Every change the offline copy takes — a booking made at this desk, a queued write the server
settled, another desk's change arriving on the event stream, a person resolving a conflict —
reaches the panels as ONE event of type `SYNC_EVENT` carrying the appointment as it now is, its
sync status and who caused it. A panel applies the row as it comes, without reading it again.
The server's echo of this desk's own write changes nothing in the copy, so it sends nothing.

    cause     what made the change
    desk      a person at this desk (a dialog, a drag, a conflict resolved)
    replayer  this desk's queued write, answered by the server later (synced, refused, conflict)
    server    the server's event stream: another desk, the phone assistant, an administrator
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

from frontdesk_app.domain.models import SYNC_EVENT, Appointment, Event

Cause = Literal["desk", "replayer", "server"]
SyncStatus = Literal["synced", "pending", "conflict"]


@dataclass(frozen=True, slots=True)
class AppointmentChange:
    """One appointment as the offline copy now holds it (None: it is gone from there)."""

    appointment_id: str
    appointment: Appointment | None
    sync_status: SyncStatus
    cause: Cause
    # An offline booking that got its server id: the temporary id it replaces.
    previous_id: str | None = None

    @property
    def removed(self) -> bool:
        return self.appointment is None

    def data(self) -> dict[str, Any]:
        """The event's data (plain JSON, as every event's)."""
        data: dict[str, Any] = {
            "appointment_id": self.appointment_id,
            "sync_status": self.sync_status,
            "cause": self.cause,
            "appointment": None
            if self.appointment is None
            else self.appointment.model_dump(mode="json"),
        }
        if self.previous_id is not None:
            data["previous_id"] = self.previous_id
        if self.appointment is None:
            data["removed"] = True
        return data


def change_of(event: Event) -> AppointmentChange | None:
    """The change an event carries, or None for any other event."""
    if event.type != SYNC_EVENT:
        return None
    data = event.data
    identifier = data.get("appointment_id")
    status, cause = data.get("sync_status"), data.get("cause")
    if not isinstance(identifier, str):
        return None
    row = data.get("appointment")
    previous = data.get("previous_id")
    return AppointmentChange(
        appointment_id=identifier,
        appointment=Appointment.model_validate(row) if isinstance(row, dict) else None,
        sync_status=cast(SyncStatus, status) if status in get_args(SyncStatus) else "synced",
        cause=cast(Cause, cause) if cause in get_args(Cause) else "server",
        previous_id=previous if isinstance(previous, str) else None,
    )


def latest_changes(events: list[Event]) -> list[Event]:
    """A batch of events with each appointment's earlier changes left out: a booking queued
    and settled within one frame is painted once, as settled. A change that gave an offline
    booking its server id is kept (it says which temporary id to drop)."""
    last: dict[object, int] = {}
    for index, event in enumerate(events):
        if event.type == SYNC_EVENT:
            last[event.data.get("appointment_id")] = index
    return [
        event
        for index, event in enumerate(events)
        if event.type != SYNC_EVENT
        or "previous_id" in event.data
        or last.get(event.data.get("appointment_id")) == index
    ]
