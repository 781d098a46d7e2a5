"""Find the next opening: day by day through `provider_availability`, earliest slot first."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.models import Provider, Slot

MAX_SEARCH_DAYS = 60


@dataclass(frozen=True, slots=True)
class Opening:
    provider: Provider
    slot: Slot

    @property
    def start(self) -> datetime:
        return self.slot.start_time


def works_on(provider: Provider, day: date) -> bool:
    return bool(provider.weekly_hours.get(day.weekday()))


async def find_next_opening(
    backend: Backend,
    providers: Sequence[Provider],
    duration_minutes: int,
    *,
    first_day: date,
    not_before: datetime | None = None,
    max_days: int = MAX_SEARCH_DAYS,
    progress: Callable[[int, int], None] | None = None,
) -> Opening | None:
    """The earliest free slot of any of `providers`, searching at most `max_days` days.

    Days a provider never works are skipped without asking the backend; the providers of one
    day are asked together, so "any provider" costs one round trip per day, not eight.
    """
    for offset in range(max_days):
        day = first_day + timedelta(days=offset)
        if progress is not None:
            progress(offset, max_days)
        working = [p for p in providers if works_on(p, day)]
        if not working:
            continue
        answers = await asyncio.gather(
            *(backend.provider_availability(p.id, day, duration_minutes) for p in working)
        )
        best: Opening | None = None
        for provider, availability in zip(working, answers, strict=True):
            first = next(
                (s for s in availability.slots if not_before is None or s.start_time >= not_before),
                None,
            )
            if first is not None and (best is None or first.start_time < best.start):
                best = Opening(provider, first)
        if best is not None:
            return best
    if progress is not None:
        progress(max_days, max_days)
    return None
