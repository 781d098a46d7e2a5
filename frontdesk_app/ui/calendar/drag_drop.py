"""Dragging an appointment to a new time: the press, where it would land, and its ghost.

A drag keeps the provider (rescheduling never changes who sees the patient): the pointer picks
the day and the time, snapped to the grid, and the ghost says whether that time is free.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QPoint, QRectF, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QApplication

from frontdesk_app.ui.calendar import palette
from frontdesk_app.ui.calendar.geometry import SNAP_MINUTES
from frontdesk_app.ui.calendar.hit_testing import BodyMap
from frontdesk_app.ui.calendar.metrics import Fonts
from frontdesk_app.ui.calendar.model import AppointmentView


@dataclass(slots=True)
class Press:
    """A button went down on an appointment: a drag once the pointer moves far enough."""

    appointment_id: str
    pos: QPoint
    grab_minutes: float  # from the appointment's start to where it was grabbed


@dataclass(slots=True)
class Drag:
    """Where the dragged appointment would land now."""

    appointment_id: str
    column: int
    start: datetime
    end: datetime
    free: bool


class DragAndDrop:
    """The press → drag → drop of one appointment over a `BodyMap`."""

    def __init__(self, body: BodyMap) -> None:
        self.body = body
        self.press: Press | None = None
        self.drag: Drag | None = None

    @property
    def active(self) -> bool:
        return self.press is not None or self.drag is not None

    @property
    def dragged_id(self) -> str | None:
        return self.drag.appointment_id if self.drag else None

    def begin(self, view: AppointmentView, pos: QPoint) -> None:
        """The left button went down on `view` at viewport point `pos`."""
        grid, model = self.body.grid, self.body.model
        grab = grid.minute_of(
            grid.instant_at(model.local_day(view.start), self.body.to_content(pos).y(), snap=1)
        )
        self.press = Press(view.id, pos, grab - grid.minute_of(view.start))

    def move(self, pos: QPoint) -> bool:
        """Follow the pointer; True when the ghost moved (a repaint is due)."""
        if self.press is None:
            return False
        if self.drag is None and (
            (pos - self.press.pos).manhattanLength() < QApplication.startDragDistance()
        ):
            return False
        view = self.body.model.get(self.press.appointment_id)
        if view is None:
            self.press = None
            return False
        self.drag = self._target(view, self.press, pos) or self.drag
        return True

    def finish(self) -> Drag | None:
        """The button went up: the drag to drop, if there was one."""
        drag, self.drag, self.press = self.drag, None, None
        return drag

    def cancel(self) -> None:
        self.drag = self.press = None

    def _target(self, view: AppointmentView, press: Press, pos: QPoint) -> Drag | None:
        body, grid = self.body, self.body.grid
        content = body.to_content(pos)
        index = grid.column_at(max(0.0, content.x()))
        if index is None:
            return None
        day = body.columns[index].day
        # Rescheduling keeps the provider: snap to this provider's column on the day pointed at.
        same = body.column_index(view.provider_id, day)
        if same is None:
            return None
        top_y = content.y() - press.grab_minutes * grid.px_per_minute
        start = grid.instant_at(day, top_y + SNAP_MINUTES * grid.px_per_minute / 2)
        end = start + (view.end - view.start)
        free = body.model.is_free(view.provider_id, start, end, ignore_id=view.id)
        return Drag(view.id, same, start, end, free)

    def paint_ghost(self, p: QPainter, fonts: Fonts) -> None:
        """The landing place, in content coordinates: blue when free, red when not."""
        drag = self.drag
        if drag is None:
            return
        grid = self.body.grid
        column = self.body.columns[drag.column]
        top = grid.y_of(drag.start, column.day)
        bottom = grid.y_of(drag.end, column.day)
        rect = QRectF(grid.x_of(drag.column) + 3, top + 1, grid.column_width - 6, bottom - top - 2)
        colour = palette.GHOST_OK if drag.free else palette.GHOST_BAD
        p.setBrush(colour)
        p.setPen(QPen(colour.darker(180), 1.5, Qt.PenStyle.DashLine))
        p.drawRoundedRect(rect, 4, 4)
        p.setFont(fonts.bold)
        p.setPen(palette.TEXT)
        zone = self.body.model.zone
        label = f"{drag.start.astimezone(zone):%H:%M}–{drag.end.astimezone(zone):%H:%M}"
        if not drag.free:
            label += "  not free"
        p.drawText(rect.adjusted(8, 2, -4, 0), Qt.AlignmentFlag.AlignLeft, label)
