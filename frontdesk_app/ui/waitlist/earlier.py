"""The slots freed earlier today, for a waitlist panel that opens after they were freed.

A desk started (or restarted) at noon still offers the morning's cancellations and moves —
made at this desk, at another, or by the phone assistant before anyone opened one — as long
as each time is to come and still free. No Qt here: the panel runs `freed_today` through its
bridge.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from frontdesk_app.domain import clock
from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.domain.models import Appointment, AppointmentQuery, AppointmentStatus
from frontdesk_app.domain.pages import PAGE, every_appointment
from frontdesk_app.domain.waitlist import FREEING, FreeSlot, freed_since

log = logging.getLogger(__name__)

# How far ahead freed times are looked for (the appointments' current times: a move made today
# to beyond this is not found), and how many pages of the clinic's appointments at most.
HORIZON = timedelta(days=28)
MAX_PAGES = 4
STEP_MINUTES = 5  # the availability asked for when checking a time is still free


async def freed_today(backend: Backend, zone: ZoneInfo, *, limit: int) -> list[FreeSlot]:
    """Up to `limit` times freed since midnight (clinic time) that are to come and still free,
    the latest first. Nothing when the backend cannot say (offline from a server, say): the
    list then fills as times are freed, as it always did."""
    now = clock.now()
    midnight = datetime.combine(clock.today(zone), time(0), zone)
    try:
        changed = [
            appointment
            for status in FREEING
            for appointment in await _changed(backend, status, midnight, now + HORIZON)
        ]
        return await still_free(
            backend, freed_since(changed, since=midnight, now=now)[:limit], zone
        )
    except FrontDeskError as exc:
        log.info("the slots freed earlier today could not be read (%s)", exc.code)
        return []


async def _changed(
    backend: Backend, status: AppointmentStatus, start: datetime, end: datetime
) -> list[Appointment]:
    query = AppointmentQuery(start=start, end=end, status=status, limit=PAGE)
    return await every_appointment(backend, query, max_pages=MAX_PAGES)


async def still_free(backend: Backend, slots: Sequence[FreeSlot], zone: ZoneInfo) -> list[FreeSlot]:
    """The slots whose start is still free (one availability read per provider and day)."""
    free: dict[tuple[str, date], set[datetime]] = {}
    kept: list[FreeSlot] = []
    for slot in slots:
        key = (slot.provider_id, slot.start.astimezone(zone).date())
        if key not in free:
            day = await backend.provider_availability(key[0], key[1], STEP_MINUTES)
            free[key] = {s.start_time for s in day.slots}
        if slot.start in free[key]:
            kept.append(slot)
    return kept
