"""Outbox entries and conflicts as plain values, and what each write does to a local row.

An entry is one queued write (create, reschedule or cancel of an appointment, a patient's
registration: kind `patient`, see `sync.patients`, a visit's move: kind `visit`, see
`sync.visits`, or a waitlist entry's save: kind `waitlist`, see `sync.waitlist`). Its `id` is the
`Idempotency-Key` the replayer sends, so however often it is sent the server acts once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from frontdesk_app.domain import transitions
from frontdesk_app.domain.models import (
    Appointment,
    AppointmentCancel,
    AppointmentCreate,
    AppointmentReschedule,
    PatientCreate,
)
from frontdesk_app.domain.series import SeriesCancel, SeriesCreate, SeriesReschedule
from frontdesk_app.domain.visits import VisitChange
from frontdesk_app.domain.waitlist import WaitlistRequest

Kind = Literal[
    "create",
    "reschedule",
    "cancel",
    "patient",
    "visit",
    "waitlist",
    "series",
    "series_cancel",
    "series_reschedule",
]
# pending → done (the server accepted), conflict (refused, waiting for a person), rejected
# (refused while the person waited: undone at once) or discarded (a person dropped it).
EntryState = Literal["pending", "conflict", "done", "rejected", "discarded"]
WriteRequest = (
    AppointmentCreate
    | AppointmentReschedule
    | AppointmentCancel
    | PatientCreate
    | VisitChange
    | WaitlistRequest
    | SeriesCreate
    | SeriesCancel
    | SeriesReschedule
)
KINDS: tuple[Kind, ...] = get_args(Kind)


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One queued write, as stored in `sync_outbox`."""

    seq: int
    id: str
    kind: Kind
    appointment_id: str
    provider_id: str
    patient_id: str
    payload: dict[str, Any]
    # The local appointment just before this write (None for a create): what a discard restores.
    before: dict[str, Any] | None
    state: EntryState
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    conflict_code: str | None = None
    conflict_message: str | None = None
    conflict_at: datetime | None = None

    def request(self) -> WriteRequest:
        """The request body this entry sends, exactly as it was queued."""
        return request_of(self.kind, self.payload)


@dataclass(frozen=True, slots=True)
class SyncConflict:
    """A write the server refused, kept with the desk's version until a person decides.

    `id` names the conflict for `resolve_conflict`. `code` and `reason` are the server's
    (`slot_unavailable`, "Dr Adams already has a consultation 10:00–10:30."). `local` is the
    appointment as this desk has it. `can_choose_slot` is False for a refused cancel, which a
    person can only discard.
    """

    id: str
    appointment_id: str
    kind: Kind
    code: str
    reason: str
    detected_at: datetime
    request: WriteRequest
    local: Appointment | None
    provider_id: str
    patient_id: str

    @property
    def can_choose_slot(self) -> bool:
        return self.kind in ("create", "reschedule")  # a series: discard, then book it again

    @property
    def start_time(self) -> datetime | None:
        """The time the desk asked for (a cancel: the appointment's own)."""
        if isinstance(self.request, AppointmentCreate):
            return self.request.start_time
        if isinstance(self.request, AppointmentReschedule):
            return self.request.new_start_time
        return self.local.start_time if self.local else None

    @property
    def duration_minutes(self) -> int | None:
        """The length a replacement slot needs (None: keep the appointment's own)."""
        if isinstance(self.request, AppointmentCreate):
            return self.request.duration_minutes
        if isinstance(self.request, AppointmentReschedule):
            return self.request.new_duration_minutes or (
                self.local.duration_minutes if self.local else None
            )
        return None


def request_of(kind: Kind, payload: dict[str, Any]) -> WriteRequest:
    if kind == "create":
        return AppointmentCreate.model_validate(payload)
    if kind == "reschedule":
        return AppointmentReschedule.model_validate(payload)
    if kind == "patient":
        return PatientCreate.model_validate(payload)
    if kind == "visit":
        return VisitChange.model_validate(payload)
    if kind == "waitlist":
        return WaitlistRequest.model_validate(payload)
    if kind == "series":
        return SeriesCreate.model_validate(payload)
    if kind == "series_cancel":
        return SeriesCancel.model_validate(payload)
    if kind == "series_reschedule":
        return SeriesReschedule.model_validate(payload)
    return AppointmentCancel.model_validate(payload)


def touched(entry: OutboxEntry) -> tuple[str, ...]:
    """The ids whose sync state an entry holds: its own column, and for a series write the
    appointments it books or cancels (kept in its `before`)."""
    if not entry.kind.startswith("series") or not entry.before:
        return (entry.appointment_id,)
    return (entry.appointment_id, *entry.before.get("appointment_ids", ()))


def payload_of(request: WriteRequest) -> dict[str, Any]:
    """The JSON body to queue; stored verbatim so a resend is byte-for-byte the same request."""
    return request.model_dump(mode="json")


# Writes that leave a single appointment's row as it is (their own rows, or several at once).
OTHER_WRITES = (
    PatientCreate,
    VisitChange,
    WaitlistRequest,
    SeriesCreate,
    SeriesCancel,
    SeriesReschedule,
)


def apply_locally(
    current: Appointment | None, entry: OutboxEntry, *, now: datetime
) -> Appointment | None:
    """What the write does to the desk's copy, without any rule (it was checked when queued).

    Used to rebuild a row after a person discards an earlier write of the same appointment.
    """
    request = entry.request()
    if isinstance(request, AppointmentCreate):
        return transitions.booked(entry.appointment_id, request, at=entry.created_at)
    if current is None or isinstance(
        request,
        PatientCreate
        | VisitChange
        | WaitlistRequest
        | SeriesCreate
        | SeriesCancel
        | SeriesReschedule,
    ):
        return current  # a visit lives beside the appointment, which it leaves as it is
    if isinstance(request, AppointmentReschedule):
        return transitions.moved(
            current,
            start=request.new_start_time,
            duration_minutes=request.new_duration_minutes,
            reason=request.reason,
            at=now,
        )
    return transitions.cancelled(
        current, reason_code=request.reason_code, at=entry.created_at, updated_at=now
    )
