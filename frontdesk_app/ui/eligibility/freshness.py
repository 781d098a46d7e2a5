"""How fresh an answer is and whether the desk is offline, in the words a receptionist reads.

`OfflineFirstBackend` answers eligibility and prescription reads from its cache while the API is
unreachable; the panels show such an answer with its age ("checked 3 h ago, offline").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from frontdesk_app.domain.backend import Backend
from frontdesk_app.ui.eligibility.state import FRESH_FOR, format_age

OFFLINE_STATES = frozenset({"offline"})


def connection_of(backend: Backend) -> str | None:
    """The backend's connection state (`online`, `offline`, …) when it reports one.

    Only `OfflineFirstBackend` has a `state`; a plain local or API backend has none, and then
    the answer itself (or an `Offline` error) is all the desk knows.
    """
    state = getattr(backend, "state", None)
    connection = getattr(state, "connection", None)
    return connection if isinstance(connection, str) else None


def backend_offline(backend: Backend) -> bool:
    return connection_of(backend) in OFFLINE_STATES


@dataclass(frozen=True, slots=True)
class Freshness:
    """An answer's age (None when it is live) and whether the desk is offline."""

    age: timedelta | None = None
    offline: bool = False

    @property
    def cached(self) -> bool:
        return self.offline or (self.age is not None and self.age > FRESH_FOR)

    def describe(self, verb: str = "checked") -> str:
        """`checked 3 h ago, offline`, `checked 2 days ago`, or `` for a live answer."""
        if not self.cached:
            return ""
        when = f"{verb} {format_age(self.age)}" if self.age is not None else f"{verb} earlier"
        return f"{when}, offline" if self.offline else when
