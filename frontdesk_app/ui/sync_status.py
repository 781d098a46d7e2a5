"""What the status bar and the conflict list need from a syncing backend, as Protocols.

`OfflineFirstBackend` provides them; `LocalBackend` (standalone) and a bare `ApiBackend` do not,
and the window then shows "standalone" or the API's rate budget only. Attribute names are read
tolerantly so that a richer state object from the sync layer needs no change here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

Connection = Literal["connecting", "online", "offline", "syncing", "conflicts", "standalone"]
CONNECTIONS: tuple[Connection, ...] = (
    "connecting",
    "online",
    "offline",
    "syncing",
    "conflicts",
    "standalone",
)


@runtime_checkable
class SyncStatusSource(Protocol):
    """A backend that reports connection, pending writes and conflicts as they change."""

    @property
    def state(self) -> Any: ...

    def add_state_listener(self, listener: Callable[[Any], None]) -> Callable[[], None]: ...


def when_the_server_answers(
    backend: object, callback: Callable[[], None]
) -> Callable[[], None] | None:
    """Call `callback` each time an offline-first backend's server starts answering (the
    first time after it is opened included): what a panel read before came from this
    computer's copy, or failed. Returns the unsubscribe function; None for a backend without
    a server (`LocalBackend`)."""
    if not isinstance(backend, SyncStatusSource):
        return None
    answering = bool(getattr(backend.state, "reachable", False))

    def listen(state: Any) -> None:
        nonlocal answering
        now = bool(getattr(state, "reachable", False))
        if now and not answering:
            callback()
        answering = now

    return backend.add_state_listener(listen)


@runtime_checkable
class ConflictSource(Protocol):
    """A backend that keeps refused offline writes for a person to resolve."""

    async def list_conflicts(self) -> Sequence[Any]: ...

    async def resolve_conflict(
        self, conflict_id: str, *, new_start_time: datetime | None = None
    ) -> Any:
        """Re-send with `new_start_time`, or discard the write when it is None."""


@runtime_checkable
class SyncStatusLookup(Protocol):
    """A backend that knows whether each appointment is synced, pending or in conflict."""

    def sync_status(self, appointment_id: str) -> str: ...


@runtime_checkable
class RateBudgetSource(Protocol):
    """An API client exposing its current request budget (`ApiBackend.rate_budget`)."""

    @property
    def rate_budget(self) -> Any: ...


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    return None


def _count(value: object) -> int:
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return len(value)
    return _int_or_none(value) or 0


@dataclass(frozen=True, slots=True)
class StatusSnapshot:
    """One reading of everything the status bar shows."""

    connection: Connection = "connecting"
    pending: int = 0
    conflicts: int = 0
    rate_remaining: int | None = None
    rate_limit: int | None = None
    last_sync: datetime | None = None

    @classmethod
    def from_state(cls, state: object) -> StatusSnapshot:
        connection = getattr(state, "connection", None)
        if not isinstance(connection, str):
            connection = getattr(connection, "value", None)
        pending = _count(getattr(state, "pending", 0))
        conflicts = _count(getattr(state, "conflicts", 0))
        if connection not in CONNECTIONS:
            connection = "conflicts" if conflicts else "online"
        remaining, limit = rate_of(getattr(state, "rate_budget", None) or state)
        last = getattr(state, "last_sync", None)
        return cls(
            connection=connection,  # type: ignore[arg-type]
            pending=pending,
            conflicts=conflicts,
            rate_remaining=remaining,
            rate_limit=limit,
            last_sync=last if isinstance(last, datetime) else None,
        )


def rate_of(budget: object) -> tuple[int | None, int | None]:
    """(remaining, limit) from a rate-budget object or a state that carries its fields."""
    if budget is None:
        return None, None
    remaining = _int_or_none(getattr(budget, "remaining", None))
    if remaining is None:
        remaining = _int_or_none(getattr(budget, "rate_remaining", None))
    limit = _int_or_none(getattr(budget, "limit", None))
    if limit is None:
        limit = _int_or_none(getattr(budget, "rate_limit", None))
    return remaining, limit


@dataclass(frozen=True, slots=True)
class ConflictItem:
    """A refused offline write as the conflict list shows it."""

    id: str
    reason: str
    operation: str = "create"
    code: str = ""
    appointment_id: str | None = None
    provider_id: str | None = None
    patient_id: str | None = None
    start: datetime | None = None
    duration_minutes: int | None = None
    can_choose_slot: bool = True

    @classmethod
    def from_conflict(cls, conflict: object) -> ConflictItem:
        """Read the sync layer's conflict: its own fields, then its request, then `local`."""
        sources = [
            conflict,
            getattr(conflict, "request", None),
            getattr(conflict, "local", None) or getattr(conflict, "appointment", None),
        ]

        def pick(*names: str) -> Any:
            for source in sources:
                if source is None:
                    continue
                for name in names:
                    value = getattr(source, name, None)
                    if value is not None:
                        return value
            return None

        reason = pick("reason", "message", "detail", "conflict_message")
        can_choose = getattr(conflict, "can_choose_slot", True)
        return cls(
            id=str(pick("id", "conflict_id")),
            reason=str(reason or "The server refused this change."),
            operation=str(pick("kind", "operation") or "create"),
            code=str(pick("code", "conflict_code") or ""),
            appointment_id=pick("appointment_id"),
            provider_id=pick("provider_id"),
            patient_id=pick("patient_id"),
            start=pick("new_start_time", "start_time"),
            duration_minutes=_int_or_none(pick("duration_minutes", "new_duration_minutes")),
            can_choose_slot=bool(can_choose),
        )
