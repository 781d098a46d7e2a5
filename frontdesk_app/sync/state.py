"""What the status bar shows about sync: connection, pending writes, conflicts, last sync.

`SyncState` is an immutable snapshot; `StateHub` keeps the current one and tells listeners
when it changes (never on an unchanged value, so a status bar does not flicker).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from frontdesk_app.api.ratelimit import RateBudget

log = logging.getLogger(__name__)

Connection = Literal["connecting", "online", "offline", "syncing", "conflicts"]


@dataclass(frozen=True, slots=True)
class SyncState:
    """One snapshot of the sync machinery for the status bar and `frontdesk sync status`.

    `connection` is derived: `connecting` until the first answer or failure, then offline wins
    (nothing can be sent), then conflicts (a person has to act), then syncing (writes are
    waiting), else online. (A desk without a server holds `LocalBackend`, which has none.)
    `rate_budget` is the API client's (`frontdesk_app.api.RateBudget`).
    """

    connection: Connection = "connecting"
    pending: int = 0
    conflicts: int = 0
    last_sync: datetime | None = None
    rate_budget: RateBudget | None = None
    # Why the API is unreachable when it is worth saying (sign-in refused, server failing).
    detail: str | None = None
    reachable: bool = False
    known: bool = False  # False until the API first answered or failed

    @property
    def label(self) -> str:
        """A short phrase for the status bar: `Offline · 12 waiting`, `2 conflicts`."""
        if self.connection == "connecting":
            return "Connecting…"
        if self.connection == "offline":
            text = "Offline"
            if self.pending:
                text += f" · {self.pending} waiting"
            if self.conflicts:
                text += f" · {_plural(self.conflicts, 'conflict')}"
            return text
        if self.connection == "conflicts":
            text = _plural(self.conflicts, "conflict") + " to resolve"
            if self.pending:
                text += f" · syncing {self.pending}"
            return text
        if self.connection == "syncing":
            return f"Syncing {self.pending}…"
        return "Online"


def derive_connection(*, known: bool, reachable: bool, pending: int, conflicts: int) -> Connection:
    """The one word for the status bar, in the order a person needs to know it."""
    if not known:
        return "connecting"
    if not reachable:
        return "offline"
    if conflicts:
        return "conflicts"
    if pending:
        return "syncing"
    return "online"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


StateListener = Callable[[SyncState], None]


class StateHub:
    """Holds the current `SyncState` and notifies listeners of changes."""

    def __init__(self) -> None:
        self._state = SyncState()
        self._listeners: list[StateListener] = []

    @property
    def state(self) -> SyncState:
        return self._state

    def add_listener(self, listener: StateListener) -> Callable[[], None]:
        """Call `listener(state)` on every change; returns the function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def update(
        self,
        *,
        reachable: bool | None = None,
        pending: int | None = None,
        conflicts: int | None = None,
        last_sync: datetime | None = None,
        rate_budget: RateBudget | None = None,
        detail: str | Literal[False] | None = False,
    ) -> SyncState:
        """Merge the given facts into the state; listeners hear of it only if it changed."""
        old = self._state
        new = replace(
            old,
            reachable=old.reachable if reachable is None else reachable,
            known=old.known or reachable is not None,
            pending=old.pending if pending is None else pending,
            conflicts=old.conflicts if conflicts is None else conflicts,
            last_sync=old.last_sync if last_sync is None else last_sync,
            rate_budget=old.rate_budget if rate_budget is None else rate_budget,
            detail=old.detail if detail is False else detail,
        )
        new = replace(
            new,
            connection=derive_connection(
                known=new.known,
                reachable=new.reachable,
                pending=new.pending,
                conflicts=new.conflicts,
            ),
        )
        if new != old:
            self._state = new
            for listener in list(self._listeners):
                try:
                    listener(new)
                except Exception:
                    # A broken listener (a closed window) must not stop sync or other listeners.
                    log.exception("sync state listener failed")
        return self._state
