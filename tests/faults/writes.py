"""A random but valid mix of desk writes (book, move, cancel), remembered for checking later.

Every write goes through the desk's own rules first, so only writes the desk accepted count;
a write the rules refuse (the patient is busy then, say) is simply tried elsewhere.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.domain.models import (
    AppointmentCancel,
    AppointmentCreate,
    AppointmentQuery,
    AppointmentReschedule,
    Provider,
)
from frontdesk_app.domain.timeutil import utc_now
from frontdesk_app.sync.backend import OfflineFirstBackend


@dataclass
class WriteScript:
    desk: OfflineFirstBackend
    rng: random.Random
    providers: list[Provider] = field(default_factory=list)
    patients: list[str] = field(default_factory=list)
    days: list[date] = field(default_factory=list)
    expected: dict[str, list[str]] = field(default_factory=dict)  # desk id → writes in order
    movable: list[str] = field(default_factory=list)  # not cancelled: may be moved or cancelled
    created: set[str] = field(default_factory=set)  # booked by this script

    @classmethod
    async def prepare(
        cls, desk: OfflineFirstBackend, rng: random.Random, *, existing: int = 20
    ) -> WriteScript:
        """Directory from the desk's mirror; `existing` of its future bookings may be moved."""
        script = cls(desk, rng)
        script.providers = await desk.list_providers()
        script.patients = [p.id for p in (await desk.search_patients(limit=500)).data]
        zone = ZoneInfo(script.providers[0].timezone)
        today = utc_now().astimezone(zone).date()
        script.days = [today + timedelta(days=n) for n in range(2, 8)]
        soon = utc_now() + timedelta(days=2)
        page = await desk.list_appointments(
            AppointmentQuery(start=soon, end=soon + timedelta(days=5), limit=500)
        )
        future = [a.id for a in page.data if a.active]
        script.movable = rng.sample(future, min(existing, len(future)))
        return script

    async def _free_start(self, provider: Provider, minutes: int) -> datetime | None:
        day = self.rng.choice(self.days)
        availability = await self.desk.provider_availability(provider.id, day, minutes)
        if not availability.slots:
            return None
        return self.rng.choice(availability.slots).start_time

    async def book(self) -> bool:
        provider = self.rng.choice(self.providers)
        start = await self._free_start(provider, 30)
        if start is None:
            return False
        request = AppointmentCreate(
            patient_id=self.rng.choice(self.patients),
            provider_id=provider.id,
            start_time=start,
            duration_minutes=30,
            type=self.rng.choice(["consultation", "follow-up", "telehealth"]),
        )
        try:
            made = await self.desk.create_appointment(request)
        except FrontDeskError:
            return False
        self.expected[made.id] = ["create"]
        self.movable.append(made.id)
        self.created.add(made.id)
        return True

    def _pick(self) -> str | None:
        # Mostly this run's own bookings: moving and cancelling those is the hard part.
        own = [a for a in self.movable if a in self.created]
        pool = own if own and self.rng.random() < 0.75 else self.movable
        return self.rng.choice(pool) if pool else None

    async def move(self) -> bool:
        target = self._pick()
        if target is None:
            return False
        current = await self.desk.get_appointment(target)
        provider = next(p for p in self.providers if p.id == current.provider_id)
        start = await self._free_start(provider, current.duration_minutes)
        if start is None or start == current.start_time:
            return False
        try:
            await self.desk.reschedule_appointment(
                target, AppointmentReschedule(new_start_time=start, reason="moved in a test")
            )
        except FrontDeskError:
            return False
        self.expected.setdefault(target, []).append("reschedule")
        return True

    async def cancel(self) -> bool:
        target = self._pick()
        if target is None:
            return False
        try:
            await self.desk.cancel_appointment(target, AppointmentCancel(reason_code="other"))
        except FrontDeskError:
            return False
        self.expected.setdefault(target, []).append("cancel")
        self.movable.remove(target)
        return True

    async def run(self, writes: int) -> int:
        """Make `writes` accepted writes (about half bookings), within a bounded number of tries."""
        done = 0
        for _ in range(writes * 20):
            if done == writes:
                break
            roll = self.rng.random()
            action = self.book if roll < 0.5 else self.move if roll < 0.8 else self.cancel
            done += await action()
        assert done == writes, f"only {done} of {writes} writes were possible"
        return done

    async def server_ids(self) -> dict[str, list[str]]:
        """`expected` keyed by the ids the server gave (temporary ids resolved)."""
        resolved: dict[str, list[str]] = {}
        for desk_id, kinds in self.expected.items():
            resolved[(await self.desk.get_appointment(desk_id)).id] = kinds
        return resolved
