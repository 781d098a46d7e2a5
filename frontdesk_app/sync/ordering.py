"""Which queued writes may go now: in order per appointment, and never past a write they need.

Two writes depend on each other when they touch the same appointment, provider or patient: a
booking into a slot that an earlier queued cancel frees must not overtake that cancel. A write
the server refused (a conflict) holds back only its own appointment's later writes, so one
poisoned entry never blocks the rest of the queue.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from frontdesk_app.sync.entries import OutboxEntry


@dataclass(frozen=True, slots=True)
class Plan:
    """Entries to send now (oldest first) and when a waiting entry's backoff ends."""

    ready: list[OutboxEntry]
    wake_at: datetime | None


def plan(
    entries: Iterable[OutboxEntry],
    *,
    in_flight: Collection[int],
    now: datetime,
    slots: int,
) -> Plan:
    """Choose up to `slots` entries to send, scanning `entries` in queue (seq) order.

    `in_flight` holds the seqs being sent right now. The scan stops as soon as the slots are
    filled, so planning stays cheap however long the queue is.
    """
    held: set[str] = set()  # resources an earlier unfinished write holds
    conflicted: set[str] = set()  # appointments whose queue waits for a person
    ready: list[OutboxEntry] = []
    wake_at: datetime | None = None
    for entry in entries:
        if entry.state == "done":
            continue
        apt, prov, pat = entry.resources
        if entry.state == "conflict" or apt in conflicted:
            # Later writes of this appointment wait for the person; nobody else does.
            conflicted.add(apt)
            continue
        if slots <= 0 and entry.seq not in in_flight:
            break
        blocked = apt in held or prov in held or pat in held
        held.update((apt, prov, pat))
        if entry.seq in in_flight or blocked:
            continue
        if entry.next_attempt_at is not None and entry.next_attempt_at > now:
            if wake_at is None or entry.next_attempt_at < wake_at:
                wake_at = entry.next_attempt_at
            continue
        ready.append(entry)
        slots -= 1
    return Plan(ready=ready, wake_at=wake_at)
