"""Keyboard navigation: the free-slot cursor moved by the arrow keys, and kept in view.

The cursor is a column index and a minute of the day. Up and Down move it by one grid step;
Left and Right by one column, and past the first or last column into the previous or next
period (the view asks the panel for that, see `Step`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt

from frontdesk_app.ui.calendar.geometry import SNAP_MINUTES, Grid
from frontdesk_app.ui.calendar.model import AppointmentView, CalendarModel, Column

Cursor = tuple[int, int]  # column index, minute of the day
ARROWS = (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Right)
# Scrolling brings the cursor this far from the bottom edge before it counts as visible.
BOTTOM_MARGIN = 30


@dataclass(frozen=True, slots=True)
class Step:
    """The cursor went past the first (-1) or last (+1) column: show the period before/after."""

    direction: int


def starting_cursor(grid: Grid, now: datetime, zone: ZoneInfo) -> Cursor:
    """Where the cursor appears on the first arrow key: the first column, at the current time."""
    local = now.astimezone(zone)
    minute = max(grid.first_minute, (local.hour * 60 + local.minute) // 15 * 15)
    return 0, min(minute, grid.last_minute - SNAP_MINUTES)


def moved(cursor: Cursor, key: int, grid: Grid, columns: int) -> Cursor | Step:
    """The cursor after an arrow key, or the step to another period."""
    index, minute = cursor
    if key == Qt.Key.Key_Up:
        minute = max(grid.first_minute, minute - SNAP_MINUTES)
    elif key == Qt.Key.Key_Down:
        minute = min(grid.last_minute - SNAP_MINUTES, minute + SNAP_MINUTES)
    elif key == Qt.Key.Key_Left:
        if index == 0:
            return Step(-1)
        index -= 1
    elif index + 1 >= columns:
        return Step(1)
    else:
        index += 1
    return index, minute


def appointment_at(
    model: CalendarModel, column: Column, instant: datetime
) -> AppointmentView | None:
    """The column's appointment running at `instant` (the cursor selects it)."""
    return next(
        (v for v in model.in_cell(column.provider.id, column.day) if v.start <= instant < v.end),
        None,
    )


def scroll_to_show(
    grid: Grid, cursor: Cursor, body: tuple[int, int], scroll: tuple[int, int]
) -> tuple[int | None, int | None]:
    """New scroll bar values that show the cursor (None: leave that bar alone).

    Vertically it scrolls only when the cursor is out of view, then puts it a third of the way
    down; horizontally just far enough.
    """
    index, minute = cursor
    body_w, body_h = body
    scroll_x, scroll_y = scroll
    new_y: int | None = None
    y = grid.y_of_minute(minute)
    if y < scroll_y or y + BOTTOM_MARGIN > scroll_y + body_h:
        new_y = int(y - body_h / 3)
    new_x: int | None = None
    x = grid.x_of(index)
    if x < scroll_x:
        new_x = int(x)
    elif x + grid.column_width > scroll_x + body_w:
        new_x = int(x + grid.column_width - body_w)
    return new_x, new_y
