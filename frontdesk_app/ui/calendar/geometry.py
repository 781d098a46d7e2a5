"""Where things go on the calendar: time ↔ y, column ↔ x, lanes for overlaps; no Qt.

Times are placed by their wall clock in the clinic's zone, so on a DST change day 09:00 is still
drawn at the 09:00 line, as a receptionist reads it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from frontdesk_app.domain.timeutil import local_instant
from frontdesk_app.ui.calendar.model import AppointmentView

SNAP_MINUTES = 15


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    def intersects(self, other: Rect) -> bool:
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )

    def contains(self, px: float, py: float) -> bool:
        return self.x <= px < self.x + self.w and self.y <= py < self.y + self.h


@dataclass(slots=True)
class Grid:
    """Content coordinates (before scrolling) of the calendar body, header and gutter aside."""

    zone: ZoneInfo
    first_minute: int = 7 * 60
    last_minute: int = 19 * 60
    px_per_minute: float = 1.6
    column_width: float = 160.0
    columns: int = 0

    @property
    def height(self) -> float:
        return (self.last_minute - self.first_minute) * self.px_per_minute

    @property
    def width(self) -> float:
        return self.column_width * self.columns

    def minute_of(self, instant: datetime) -> float:
        local = instant.astimezone(self.zone)
        return local.hour * 60 + local.minute + local.second / 60

    def y_of(self, instant: datetime, day: date | None = None) -> float:
        """Clamped to the day shown: something ending at midnight ends at the bottom."""
        local = instant.astimezone(self.zone)
        minute = local.hour * 60 + local.minute + local.second / 60
        if day is not None and local.date() > day:
            minute = 24 * 60
        elif day is not None and local.date() < day:
            minute = 0
        return (minute - self.first_minute) * self.px_per_minute

    def y_of_minute(self, minute: float) -> float:
        return (minute - self.first_minute) * self.px_per_minute

    def minute_at(self, y: float, *, snap: int = SNAP_MINUTES) -> int:
        minute = self.first_minute + y / self.px_per_minute
        snapped = int(math.floor(minute / snap) * snap)
        return max(self.first_minute, min(snapped, self.last_minute - snap))

    def instant_at(self, day: date, y: float, *, snap: int = SNAP_MINUTES) -> datetime:
        minute = self.minute_at(y, snap=snap)
        return local_instant(day, time(minute // 60, minute % 60), self.zone)

    def x_of(self, column: int) -> float:
        return column * self.column_width

    def column_at(self, x: float) -> int | None:
        if x < 0 or self.column_width <= 0:
            return None
        index = int(x // self.column_width)
        return index if index < self.columns else None

    def visible_columns(self, x0: float, x1: float) -> range:
        if self.columns == 0 or self.column_width <= 0:
            return range(0)
        first = max(0, int(x0 // self.column_width))
        last = min(self.columns, math.ceil(x1 / self.column_width))
        return range(first, max(first, last))

    def visible_window(self, day: date, y0: float, y1: float) -> tuple[datetime, datetime]:
        """The instants at the top and bottom of the visible part of a column."""
        top = self.first_minute + max(0.0, y0) / self.px_per_minute
        bottom = self.first_minute + max(0.0, y1) / self.px_per_minute
        midnight = datetime.combine(day, time(0, 0), tzinfo=self.zone)
        return midnight + timedelta(minutes=top), midnight + timedelta(minutes=bottom)


def now_y(grid: Grid, now: datetime, day: date) -> float | None:
    """Where the now line crosses a column of `day`, if it does."""
    local = now.astimezone(grid.zone)
    if local.date() != day:
        return None
    minute = grid.minute_of(now)
    if not grid.first_minute <= minute <= grid.last_minute:
        return None
    return grid.y_of_minute(minute)


def assign_lanes(items: Sequence[AppointmentView]) -> dict[str, tuple[int, int]]:
    """Side-by-side lanes for items that overlap: id → (lane, lanes in its cluster).

    Items arrive sorted by start. A cluster is a run of transitively overlapping items; every
    item of a cluster shares its width so that nothing is hidden under something else.
    """
    result: dict[str, tuple[int, int]] = {}
    cluster: list[tuple[str, int]] = []
    lane_ends: list[datetime] = []
    cluster_end: datetime | None = None

    def close() -> None:
        for identifier, lane in cluster:
            result[identifier] = (lane, len(lane_ends))

    for item in items:
        if cluster_end is not None and item.start >= cluster_end:
            close()
            cluster, lane_ends, cluster_end = [], [], None
        for lane, end in enumerate(lane_ends):
            if end <= item.start:
                lane_ends[lane] = item.end
                break
        else:
            lane = len(lane_ends)
            lane_ends.append(item.end)
        cluster.append((item.id, lane))
        cluster_end = item.end if cluster_end is None else max(cluster_end, item.end)
    close()
    return result
