"""Where everything in a column goes: cards in lanes, working hours, blocked time.

Positions are worked out once per change of the column or of the grid's scale.

A column's layout depends on what is in its cell (the model's `cell_version`), on its provider
(hours, blocks) and on the grid's scale; x is kept relative to the column's left edge, so a
column that moves to another index (another week in view, other providers shown) stays valid
and nothing is placed again unless it changed.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from frontdesk_app.domain.models import Provider
from frontdesk_app.ui.calendar.cards import Card, card_for
from frontdesk_app.ui.calendar.geometry import Grid, assign_lanes
from frontdesk_app.ui.calendar.model import AppointmentView, CalendarModel, Column

INSET = 2.0  # between a column's edge and its cards
STRIP = 26.0  # a card beside one in conflict: its colour, and its tooltip
DAY_MINUTES = 24 * 60


@dataclass(slots=True)
class ColumnLayout:
    """One column's cards by top edge, and its shaded spans, in content coordinates."""

    version: int
    provider: Provider
    scale: tuple[float, float, int, int]
    cards: list[Card] = field(default_factory=list)
    tops: list[float] = field(default_factory=list)
    reach: float = 0.0  # the tallest card: nothing starting higher above a point can reach it
    working: list[tuple[float, float]] = field(default_factory=list)  # top, bottom
    blocked: list[tuple[float, float, str]] = field(default_factory=list)  # top, bottom, reason
    _by_id: dict[str, Card] | None = None

    def visible(self, y0: float, y1: float) -> list[Card]:
        """The cards reaching into [y0, y1]."""
        first = bisect.bisect_left(self.tops, y0 - self.reach)
        last = bisect.bisect_right(self.tops, y1)
        return [c for c in self.cards[first:last] if c.y + c.h >= y0]

    def card_at(self, x: float, y: float) -> Card | None:
        """The card under a point (`x` from the column's left edge)."""
        for card in self.visible(y, y):
            if card.contains(x, y):
                return card
        return None

    def card(self, appointment_id: str) -> Card | None:
        if self._by_id is None:
            self._by_id = {c.view.id: c for c in self.cards}
        return self._by_id.get(appointment_id)


def lane_spans(items: list[AppointmentView], usable: float) -> dict[str, tuple[float, float]]:
    """Where each card goes across its column: id → (x, width).

    Overlapping cards share the width in lanes; a lane holding a change in conflict (one the
    server refused because the time was taken meanwhile, so it always overlaps the booking that
    took it) is as wide as the others leave it, the others a strip of `STRIP` each: its words
    ("Conflict — click to resolve") are what the person has to act on; the other's details are
    in its tooltip, and once resolved the lanes share again."""
    lanes = assign_lanes(items)
    conflicted: set[tuple[int, int]] = set()
    clusters = _clusters(items)
    for view in items:
        if view.sync_state == "conflict":
            conflicted.add((clusters[view.id], lanes[view.id][0]))
    spans: dict[str, tuple[float, float]] = {}
    for view in items:
        lane, count = lanes[view.id]
        cluster = clusters[view.id]
        wide = [(cluster, n) in conflicted for n in range(count)]
        if count > 1 and any(wide) and not all(wide):
            strips = STRIP * wide.count(False)
            share = (usable - strips) / wide.count(True)
            widths = [share if w else STRIP for w in wide]
        else:
            widths = [usable / max(1, count)] * count
        spans[view.id] = (sum(widths[:lane]), widths[lane])
    return spans


def _clusters(items: list[AppointmentView]) -> dict[str, int]:
    """id → the index of its run of overlapping cards (`assign_lanes`' clusters)."""
    found: dict[str, int] = {}
    cluster, end = -1, None
    for item in items:
        if end is None or item.start >= end:
            cluster, end = cluster + 1, item.end
        end = max(end, item.end)
        found[item.id] = cluster
    return found


class LayoutCache:
    """Column layouts, each worked out again only when its cell, provider or the scale changed."""

    def __init__(self, model: CalendarModel, grid: Grid) -> None:
        self.model = model
        self.grid = grid
        self._layouts: dict[tuple[str, date], ColumnLayout] = {}

    def clear(self) -> None:
        self._layouts.clear()

    def keep_days(self, days: set[date]) -> None:
        """Let go of the layouts of every other day."""
        for key in [key for key in self._layouts if key[1] not in days]:
            del self._layouts[key]

    def column(self, column: Column) -> ColumnLayout:
        grid = self.grid
        key = (column.provider.id, column.day)
        version = self.model.cell_version(*key)
        scale = (grid.column_width, grid.px_per_minute, grid.first_minute, grid.last_minute)
        found = self._layouts.get(key)
        if (
            found is None
            or found.version != version
            or found.scale != scale
            or found.provider is not column.provider
        ):
            found = self._layouts[key] = self._lay_out(column, version, scale)
        return found

    def _lay_out(
        self, column: Column, version: int, scale: tuple[float, float, int, int]
    ) -> ColumnLayout:
        model, grid, day = self.model, self.grid, column.day
        layout = ColumnLayout(version, column.provider, scale)
        items = model.in_cell(column.provider.id, day)
        usable = grid.column_width - 2 * INSET
        spans = lane_spans(items, usable)
        y_of = self._y_of(day)
        for view in items:
            x, width = spans[view.id]
            top = y_of(view.start)
            bottom = y_of(view.end)
            card = card_for(
                view,
                INSET + x,
                top + 1,
                max(4.0, width - 1),
                max(6.0, bottom - top - 2),
            )
            layout.cards.append(card)
            layout.tops.append(card.y)
            layout.reach = max(layout.reach, card.h)
        for start, end in model.working(column.provider.id, day):
            layout.working.append((y_of(start), y_of(end)))
        for start, end, reason in model.blocked(column.provider.id, day):
            layout.blocked.append((y_of(start), y_of(end), reason))
        return layout

    def _y_of(self, day: date) -> Callable[[datetime], float]:
        """`Grid.y_of` for one day. Unless the clocks change that day, the wall-clock minute is
        the minutes since local midnight: plain arithmetic instead of a time-zone conversion."""
        grid = self.grid
        midnight = datetime.combine(day, time(0), tzinfo=grid.zone)
        following = datetime.combine(day + timedelta(days=1), time(0), tzinfo=grid.zone)
        if midnight.utcoffset() != following.utcoffset():
            return lambda instant: grid.y_of(instant, day)
        base, first, scale = midnight.timestamp(), grid.first_minute, grid.px_per_minute

        def y_of(instant: datetime) -> float:
            minute = min(DAY_MINUTES, max(0.0, (instant.timestamp() - base) / 60))
            return (minute - first) * scale

        return y_of
