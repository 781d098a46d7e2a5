"""Prescription lookups for the panel, without Qt: by id or by patient, with the answer's age.

While the API is unreachable the desk still shows what it knew: the last status it fetched,
marked with how old it is, instead of an empty panel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import Offline
from frontdesk_app.domain.models import Prescription, PrescriptionStatus
from frontdesk_app.domain.timeutil import utc_now
from frontdesk_app.ui.eligibility.freshness import Freshness, backend_offline
from frontdesk_app.ui.eligibility.widgets import Tone

PAGE_LIMIT = 100


class Stamped(Protocol):
    @property
    def fetched_at(self) -> datetime: ...


@runtime_checkable
class PrescriptionCache(Protocol):
    """`OfflineFirstBackend`'s cache: what it last fetched, and when."""

    async def cached_prescription(self, prescription_id: str) -> Stamped | None: ...

    async def cached_prescriptions(self, patient_id: str) -> Stamped | None: ...


MAX_PAGES = 20

STATUS_WORDS: dict[PrescriptionStatus, tuple[str, Tone]] = {
    "ready_for_pickup": ("Ready for pickup", "ok"),
    "filled": ("Filled", "ok"),
    "partially_filled": ("Partially filled", "warn"),
    "pending": ("Pending at the pharmacy", "info"),
    "on_hold": ("On hold", "warn"),
    "cancelled": ("Cancelled", "bad"),
    "expired": ("Expired", "bad"),
}


def status_words(status: PrescriptionStatus) -> str:
    return STATUS_WORDS.get(status, (status.replace("_", " ").capitalize(), "info"))[0]


def status_tone(status: PrescriptionStatus) -> Tone:
    return STATUS_WORDS.get(status, ("", "info"))[1]


@dataclass(frozen=True, slots=True)
class Lookup:
    """Prescriptions found (one for a lookup by id), and how fresh they are."""

    prescriptions: list[Prescription] = field(default_factory=list)
    freshness: Freshness = field(default_factory=Freshness)
    message: str = ""


class PrescriptionService:
    """Looks prescriptions up and remembers when each was last fetched."""

    def __init__(self, backend: Backend, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.backend = backend
        self._clock = clock
        self._seen: dict[str, tuple[Prescription, datetime]] = {}

    def fetched_at(self, prescription_id: str) -> datetime | None:
        seen = self._seen.get(prescription_id)
        return seen[1] if seen else None

    async def by_id(self, prescription_id: str) -> Lookup:
        """One prescription by its id (`rx_…`); `NotFound` propagates to the panel."""
        wanted = prescription_id.strip()
        try:
            found = await self.backend.get_prescription(wanted)
        except Offline:
            return self._from_memory(lambda rx: rx.id == wanted, "this prescription")
        cached_at = None
        if backend_offline(self.backend) and isinstance(self.backend, PrescriptionCache):
            cached = await self.backend.cached_prescription(wanted)
            cached_at = cached.fetched_at if cached is not None else None
        return self._fresh([found], cached_at)

    async def by_patient(self, patient_id: str) -> Lookup:
        """All of a patient's prescriptions, active ones first."""
        found: list[Prescription] = []
        cursor: str | None = None
        try:
            for _ in range(MAX_PAGES):
                page = await self.backend.list_prescriptions(
                    patient_id, limit=PAGE_LIMIT, cursor=cursor
                )
                found.extend(page.data)
                cursor = page.next_cursor
                if not cursor or not page.data:
                    break
        except Offline:
            return self._from_memory(lambda rx: rx.patient_id == patient_id, "this patient")
        found.sort(key=_order)
        cached_at = None
        if backend_offline(self.backend) and isinstance(self.backend, PrescriptionCache):
            cached = await self.backend.cached_prescriptions(patient_id)
            cached_at = cached.fetched_at if cached is not None else None
        return self._fresh(found, cached_at)

    def _fresh(self, found: list[Prescription], cached_at: datetime | None = None) -> Lookup:
        now = self._clock()
        if backend_offline(self.backend):
            # An offline-first backend answered from its cache: its fetch time, else ours.
            ages = [now - at for rx in found if (at := self.fetched_at(rx.id)) is not None]
            if cached_at is not None:
                ages.append(now - cached_at)
            return Lookup(
                found,
                Freshness(age=max(ages) if ages else None, offline=True),
                "No connection: showing the last known status.",
            )
        for rx in found:
            self._seen[rx.id] = (rx, now)
        return Lookup(found)

    def _from_memory(self, match: Callable[[Prescription], bool], what: str) -> Lookup:
        now = self._clock()
        known = [(rx, at) for rx, at in self._seen.values() if match(rx)]
        if not known:
            return Lookup(
                [],
                Freshness(offline=True),
                f"No connection, and this desk has not looked up {what} before.",
            )
        oldest = min(at for _, at in known)
        return Lookup(
            sorted((rx for rx, _ in known), key=_order),
            Freshness(age=now - oldest, offline=True),
            "No connection: showing the last known status.",
        )


_ACTIVE_FIRST = {
    "ready_for_pickup": 0,
    "partially_filled": 1,
    "pending": 2,
    "on_hold": 3,
    "filled": 4,
    "expired": 5,
    "cancelled": 6,
}


def _order(rx: Prescription) -> tuple[int, str]:
    return (_ACTIVE_FIRST.get(rx.status, 9), rx.medication.lower())
