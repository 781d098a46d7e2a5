"""One agent's view of the transfers: who is waiting for them, kept current by events; no Qt.

A transfer offered to this agent (`connected` to them) or waiting for anyone (`queued`, shown
to every agent whatever their status: urgency is never hidden) is in the queue; one the agent
accepted is theirs until it is completed; one another agent accepted leaves at once. An offer
that rang out (`transfer.offer_expired`) moves to whoever it passed to, or back to the queue.
Emergencies sort first, then urgent calls, then by how long the caller has waited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import ValidationError

from frontdesk_app.domain.models import AgentStatus, Event, Transfer, TransferPriority

PRIORITY_RANK: dict[TransferPriority, int] = {"emergency": 0, "urgent": 1, "normal": 2}
TRANSFER_EVENTS = frozenset(
    {"transfer.created", "transfer.accepted", "transfer.completed", "transfer.offer_expired"}
)
# Events that may move a transfer back (an offer that rang out returns to the queue).
REROUTE_EVENTS = frozenset({"transfer.offer_expired"})

Place = Literal["queue", "mine", "none"]


def is_loud(priority: TransferPriority) -> bool:
    """Urgent and emergency calls must be impossible to miss."""
    return priority != "normal"


def sort_key(transfer: Transfer) -> tuple[int, float, str]:
    return (
        PRIORITY_RANK.get(transfer.priority, 2),
        transfer.transferred_at.timestamp(),
        transfer.transfer_id,
    )


@dataclass(frozen=True, slots=True)
class QueueChange:
    """What one update did: transfers that arrived in the queue, left it, or changed."""

    added: tuple[Transfer, ...] = ()
    removed: tuple[str, ...] = ()
    updated: tuple[Transfer, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.updated)


QueueListener = Callable[[QueueChange], None]


class TransferQueue:
    """The transfers one agent sees, updated from `Backend.list_transfers` and live events."""

    def __init__(self, agent_id: str, status: AgentStatus = "away") -> None:
        self.agent_id = agent_id
        self.status: AgentStatus = status
        self._all: dict[str, Transfer] = {}
        # Completed transfers are dropped, but remembered so a late event cannot revive one.
        self._completed: set[str] = set()
        self._listeners: list[QueueListener] = []

    # --- reading ---

    def place_of(self, transfer: Transfer) -> Place:
        """Where a transfer belongs for this agent."""
        mine = transfer.agent is not None and transfer.agent.id == self.agent_id
        if transfer.status == "queued":
            return "queue"
        if transfer.status == "connected":
            return "queue" if mine else "none"
        if transfer.status == "accepted":
            return "mine" if mine else "none"
        return "none"

    def queue(self) -> list[Transfer]:
        """Waiting for this agent, most pressing first."""
        return sorted((t for t in self._all.values() if self.place_of(t) == "queue"), key=sort_key)

    def mine(self) -> list[Transfer]:
        """Accepted by this agent and not yet completed."""
        return sorted((t for t in self._all.values() if self.place_of(t) == "mine"), key=sort_key)

    def visible(self) -> list[Transfer]:
        return self.mine() + self.queue()

    def get(self, transfer_id: str) -> Transfer | None:
        return self._all.get(transfer_id)

    def offers_run_out(self, now: datetime) -> list[str]:
        """Offers to this agent whose time to accept is up (the server passes them on)."""
        return [
            t.transfer_id
            for t in self._all.values()
            if self.place_of(t) == "queue"
            and t.status == "connected"
            and t.offer_expires_at is not None
            and t.offer_expires_at <= now
        ]

    def waiting_count(self) -> int:
        """Callers waiting for any agent, shown even to an agent who is away."""
        return sum(1 for t in self._all.values() if t.status == "queued")

    def waiting_by_priority(self) -> dict[TransferPriority, int]:
        """How many callers wait for any agent, per priority, most pressing first."""
        # Counted, then ordered by priority: called for every batch of call events, so the
        # queue itself is not sorted for it.
        counts: dict[TransferPriority, int] = {}
        for transfer in self._all.values():
            if transfer.status == "queued":
                counts[transfer.priority] = counts.get(transfer.priority, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: PRIORITY_RANK.get(item[0], 2)))

    # --- updating ---

    def add_listener(self, listener: QueueListener) -> Callable[[], None]:
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def replace_all(self, transfers: Iterable[Transfer]) -> QueueChange:
        """Start over from a full listing (first load, reconnect)."""
        before = self._snapshot()
        listed = list(transfers)
        self._completed.update(t.transfer_id for t in listed if t.status == "completed")
        self._all = {t.transfer_id: t for t in listed if t.status != "completed"}
        return self._publish(before)

    def apply(self, transfers: Iterable[Transfer]) -> QueueChange:
        """Merge newer versions of some transfers (from an event or an accept/complete)."""
        merged = list(transfers)
        touched = {t.transfer_id for t in merged}
        before = self._snapshot(touched)
        self._merge(merged)
        return self._publish(before, touched)

    def apply_events(self, events: Iterable[Event]) -> QueueChange:
        """Fold a batch of events in; returns what changed for this agent."""
        transfers: list[Transfer] = []
        rerouted: set[str] = set()
        for event in events:
            if event.type in TRANSFER_EVENTS:
                try:
                    transfer = Transfer.model_validate(event.data)
                except ValidationError:
                    continue  # a malformed event is skipped; the next full refresh heals it
                transfers.append(transfer)
                if event.type in REROUTE_EVENTS:
                    rerouted.add(transfer.transfer_id)
            elif event.type == "agent.status_changed" and event.data.get("id") == self.agent_id:
                status = event.data.get("status")
                if status in ("available", "busy", "away"):
                    self.status = status
        if not transfers:
            return QueueChange()  # where a transfer shows does not depend on the status
        touched = {t.transfer_id for t in transfers}
        before = self._snapshot(touched)
        self._merge(transfers, rerouted=rerouted)
        return self._publish(before, touched)

    def _merge(self, transfers: Iterable[Transfer], *, rerouted: set[str] | None = None) -> None:
        for transfer in transfers:
            known = self._all.get(transfer.transfer_id)
            moved_back = rerouted is not None and transfer.transfer_id in rerouted
            if transfer.transfer_id in self._completed or (
                known is not None
                and _older(transfer, known)
                and not (moved_back and known.status != "accepted")
            ):
                continue  # a late event must not undo what this desk already saw happen
            if transfer.status == "completed":
                self._completed.add(transfer.transfer_id)
                self._all.pop(transfer.transfer_id, None)
            else:
                self._all[transfer.transfer_id] = _keep_call(transfer, known)

    def set_status(self, status: AgentStatus) -> QueueChange:
        """This agent's own availability changed: queued callers appear or hide."""
        before = self._snapshot()
        self.status = status
        return self._publish(before)

    def _snapshot(self, ids: set[str] | None = None) -> dict[str, Transfer]:
        """The visible transfers (only those of `ids` when given), in `visible()` order."""
        if ids is None:
            return {t.transfer_id: t for t in self.visible()}
        # Only merged transfers can change place: comparing a few, not the whole queue.
        chosen = [t for i in ids if (t := self._all.get(i)) is not None]
        mine = sorted((t for t in chosen if self.place_of(t) == "mine"), key=sort_key)
        queue = sorted((t for t in chosen if self.place_of(t) == "queue"), key=sort_key)
        return {t.transfer_id: t for t in (*mine, *queue)}

    def _publish(self, before: dict[str, Transfer], ids: set[str] | None = None) -> QueueChange:
        after = self._snapshot(ids)
        change = QueueChange(
            added=tuple(t for i, t in after.items() if i not in before),
            removed=tuple(i for i in before if i not in after),
            updated=tuple(t for i, t in after.items() if i in before and before[i] != t),
        )
        if change:
            for listener in list(self._listeners):
                listener(change)
        return change


_STATUS_ORDER = {"queued": 0, "connected": 1, "accepted": 2, "completed": 3}


def _older(candidate: Transfer, known: Transfer) -> bool:
    """A transfer only moves forward (queued → connected → accepted → completed)."""
    return _STATUS_ORDER[candidate.status] < _STATUS_ORDER[known.status]


def _keep_call(transfer: Transfer, known: Transfer | None) -> Transfer:
    """Events after `transfer.created` may omit the call; keep the one already known."""
    if transfer.call is None and known is not None and known.call is not None:
        return transfer.model_copy(update={"call": known.call})
    return transfer
