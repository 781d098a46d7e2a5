"""Which queued writes may go now: in order per appointment, and never past a write they need.

A write depends on an earlier one when they touch the same appointment, or the same provider or
patient at overlapping times: a booking into a slot that an earlier queued cancel or move frees
must not overtake it. Writes that share nothing go in parallel. A write the server refused (a
conflict) holds back only its own appointment's later writes, so one poisoned entry never
blocks the rest of the queue.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from frontdesk_app.domain.timeutil import parse_utc
from frontdesk_app.sync.entries import OutboxEntry

Span = tuple[datetime, datetime]
# What a write of unknown times holds: everything of its provider and patient.
ALWAYS: Span = (datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))


@dataclass(frozen=True, slots=True)
class Plan:
    """Entries to send now (oldest first) and when a waiting entry's backoff ends."""

    ready: list[OutboxEntry]
    wake_at: datetime | None


def spans_of(entry: OutboxEntry) -> tuple[Span, ...]:
    """The times a write touches: its new slot and, for a move or a cancel, the old one."""
    try:
        payload, before = entry.payload, entry.before
        if entry.kind == "create":
            start = parse_utc(payload["start_time"])
            return ((start, start + timedelta(minutes=int(payload["duration_minutes"]))),)
        if entry.kind == "series":
            length = timedelta(minutes=int(payload["duration_minutes"]))
            return tuple((s, s + length) for s in map(parse_utc, payload["starts"]))
        if entry.kind == "series_cancel" and before is not None:
            return tuple(
                (parse_utc(a["start_time"]), parse_utc(a["end_time"]))
                for a in before["appointments"]
            ) or (ALWAYS,)
        if entry.kind == "series_reschedule":
            return (ALWAYS,)  # new times on the same days: everything of its provider waits
        if before is None:
            return (ALWAYS,)
        old = (parse_utc(before["start_time"]), parse_utc(before["end_time"]))
        if entry.kind == "cancel":
            return (old,)
        start = parse_utc(payload["new_start_time"])
        minutes = int(payload.get("new_duration_minutes") or before["duration_minutes"])
        return (old, (start, start + timedelta(minutes=minutes)))
    except (KeyError, TypeError, ValueError):
        return (ALWAYS,)


class _Holds:
    """Appointments, and provider and patient times, that earlier unfinished writes hold."""

    def __init__(self) -> None:
        self.appointments: set[str] = set()
        self.times: dict[str, list[Span]] = {}

    def clash(self, entry: OutboxEntry, spans: tuple[Span, ...]) -> bool:
        if entry.appointment_id in self.appointments:
            return True
        for who in ("prov:" + entry.provider_id, "pat:" + entry.patient_id):
            for start, end in self.times.get(who, ()):
                if any(s < end and start < e for s, e in spans):
                    return True
        return False

    def hold(self, entry: OutboxEntry, spans: tuple[Span, ...]) -> None:
        self.appointments.add(entry.appointment_id)
        for who in ("prov:" + entry.provider_id, "pat:" + entry.patient_id):
            self.times.setdefault(who, []).extend(spans)


def plan(
    entries: Iterable[OutboxEntry],
    *,
    in_flight: Collection[int],
    now: datetime,
    slots: int,
    spans: Callable[[OutboxEntry], tuple[Span, ...]] = spans_of,
) -> Plan:
    """Choose up to `slots` entries to send, scanning `entries` in queue (seq) order.

    `in_flight` holds the seqs sent and not yet settled. The scan stops as soon as the slots
    are filled, so planning stays cheap however long the queue is. `spans` may be a cached
    `spans_of`.
    """
    holds = _Holds()
    conflicted: set[str] = set()  # appointments whose queue waits for a person
    ready: list[OutboxEntry] = []
    wake_at: datetime | None = None
    for entry in entries:
        if entry.state not in ("pending", "conflict"):
            continue
        if (
            entry.state == "conflict"
            or entry.appointment_id in conflicted
            or entry.patient_id in conflicted
        ):
            # Later writes of this appointment wait for the person; nobody else does. A
            # registration's "appointment" is its patient: their bookings wait with it.
            conflicted.add(entry.appointment_id)
            continue
        if slots <= 0 and entry.seq not in in_flight:
            break
        touched = spans(entry)
        blocked = holds.clash(entry, touched)
        holds.hold(entry, touched)
        if entry.seq in in_flight or blocked:
            continue
        if entry.next_attempt_at is not None and entry.next_attempt_at > now:
            if wake_at is None or entry.next_attempt_at < wake_at:
                wake_at = entry.next_attempt_at
            continue
        ready.append(entry)
        slots -= 1
    return Plan(ready=ready, wake_at=wake_at)
