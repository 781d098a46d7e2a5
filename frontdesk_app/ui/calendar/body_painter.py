"""The calendar body's paint pass: shading, lines, the cursor, appointments, ghost and now line.

Only the exposed part is painted: the columns it spans and the times it shows are worked out
first, so nothing outside it is even looked up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPen

from frontdesk_app.ui.calendar import palette
from frontdesk_app.ui.calendar.drag_drop import DragAndDrop
from frontdesk_app.ui.calendar.geometry import SNAP_MINUTES
from frontdesk_app.ui.calendar.hit_testing import BodyMap
from frontdesk_app.ui.calendar.keyboard import Cursor
from frontdesk_app.ui.calendar.model import AppointmentView
from frontdesk_app.ui.calendar.painter import (
    Badge,
    Fonts,
    item_rect,
    now_y,
    paint_background,
    paint_item,
    paint_lines,
    visible_items,
)

BadgeProvider = Callable[[AppointmentView], Badge | None]


class BodyPainter:
    """Paints the exposed part of the body, in viewport coordinates, over a `BodyMap`."""

    def __init__(self, body: BodyMap, fonts: Fonts) -> None:
        self.body = body
        self.fonts = fonts

    def paint(
        self,
        p: QPainter,
        area: QRect,
        *,
        cursor: Cursor | None,
        selected: str | None,
        drag: DragAndDrop,
        badges: BadgeProvider | None,
        now: datetime,
        ratio: float,
    ) -> None:
        body, grid, model = self.body, self.body.grid, self.body.model
        columns = body.columns
        p.save()
        p.setClipRect(area)
        offset = body.offset()
        p.translate(offset)
        x0, y0 = area.left() - offset.x(), area.top() - offset.y()
        x1, y1 = area.right() + 1 - offset.x(), area.bottom() + 1 - offset.y()
        cols = grid.visible_columns(x0, x1)
        y0c, y1c = max(0.0, y0), min(grid.height, y1)
        paint_background(
            p, model, grid, columns=columns, cols=cols, y0=y0c, y1=y1c, fonts=self.fonts
        )
        paint_lines(p, model, grid, columns=columns, cols=cols, x0=x0, x1=x1, y0=y0c, y1=y1c)
        if cursor is not None and cursor[0] in cols:
            self._paint_cursor(p, cursor)
        zone = model.zone
        dragged = drag.dragged_id
        for index in cols:
            column = columns[index]
            lanes = body.lanes.lanes(model, column)
            for view in visible_items(model, grid, column, y0c, y1c):
                lane = lanes.get(view.id)
                if lane is None:
                    continue
                rect = item_rect(grid, index, view, lane, column.day)
                if view.id == dragged:
                    p.setOpacity(0.35)
                paint_item(
                    p,
                    view,
                    rect,
                    model.patient_label(view.patient_id),
                    self.fonts,
                    zone=zone,
                    selected=view.id == selected,
                    badge=badges(view) if badges else None,
                    ratio=ratio,
                )
                p.setOpacity(1.0)
        drag.paint_ghost(p, self.fonts)
        self._paint_now(p, cols, now)
        p.restore()

    def _paint_cursor(self, p: QPainter, cursor: Cursor) -> None:
        """The free-slot cursor; on an empty cell wide enough it says how to book there."""
        grid = self.body.grid
        index, minute = cursor
        rect = QRectF(
            grid.x_of(index) + 1,
            grid.y_of_minute(minute),
            grid.column_width - 2,
            SNAP_MINUTES * grid.px_per_minute,
        )
        p.fillRect(rect, palette.CURSOR_FILL)
        p.setPen(QPen(palette.CURSOR_LINE, 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5))
        centre = self.body.to_viewport(rect).center().toPoint()
        if self.body.item_at(centre) is None and rect.width() > 90:
            p.setFont(self.fonts.small)
            p.setPen(palette.CURSOR_LINE)
            text = f"{minute // 60:02d}:{minute % 60:02d}  Enter to book"
            p.drawText(
                rect.adjusted(8, 0, -4, 0),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                QFontMetrics(self.fonts.small).elidedText(
                    text, Qt.TextElideMode.ElideRight, int(rect.width() - 12)
                ),
            )

    def _paint_now(self, p: QPainter, cols: range, now: datetime) -> None:
        """A red line across today's columns at the current time, a dot at its left end."""
        grid, columns = self.body.grid, self.body.columns
        first_x: float | None = None
        for index in cols:
            column = columns[index]
            y = now_y(grid, now, column.day)
            if y is None:
                continue
            x = grid.x_of(index)
            first_x = x if first_x is None else min(first_x, x)
            p.setPen(QPen(palette.NOW_LINE, 1.5))
            p.drawLine(QPointF(x, y), QPointF(x + grid.column_width, y))
            if first_x == x:
                p.setBrush(palette.NOW_LINE)
                p.setPen(Qt.PenStyle.NoPen)
                p.drawEllipse(QPointF(x + 3, y), 3.5, 3.5)
