"""Why the booking dialog offers another time than the one asked for, in words; no Qt.

"10:15 is taken; the nearest free time is 11:30." or "07:15 is outside Dr. Okafor's hours; the
nearest free time is 08:45." — said whenever the time list does not hold the time double-clicked
(or the one just refused), so the person never books a time they did not see change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from frontdesk_app.domain.models import Provider


def nearest(starts: Sequence[datetime], wanted: datetime) -> datetime | None:
    """The free start closest to `wanted`; of two as close, the later one."""
    if not starts:
        return None
    return min(starts, key=lambda s: (abs((s - wanted).total_seconds()), s < wanted))


def within_hours(provider: Provider | None, instant: datetime, zone: ZoneInfo) -> bool:
    """Whether `instant` falls in the provider's working hours that weekday (unknown: True)."""
    if provider is None:
        return True
    local = instant.astimezone(zone)
    ranges = provider.weekly_hours.get(local.weekday(), [])
    return any(r.start <= local.time() < r.end for r in ranges)


def explain(
    wanted: datetime,
    offered: datetime | None,
    provider: Provider | None,
    zone: ZoneInfo,
    *,
    refused: bool = False,
) -> str:
    """The sentence under the time list; "" when the time asked for is the one offered."""
    if offered == wanted:
        return ""
    asked = f"{wanted.astimezone(zone):%H:%M}"
    if refused:
        why = f"{asked} was just taken"
    elif within_hours(provider, wanted, zone):
        why = f"{asked} is taken"
    else:
        who = f"{provider.name}'s" if provider is not None else "the provider's"
        why = f"{asked} is outside {who} hours"
    if offered is None:
        return f"{why}, and there is no free time of that length on this day."
    return f"{why}; the nearest free time is {offered.astimezone(zone):%H:%M}."
