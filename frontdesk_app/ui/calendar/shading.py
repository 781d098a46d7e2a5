"""Under the cards: hours shaded, blocked time hatched, and the grid's lines.

Off hours are grey and working hours white; blocked time is hatched with its reason; hour,
half-hour, column and day lines are drawn over them.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QPainter, QPen

from frontdesk_app.ui.calendar import palette
from frontdesk_app.ui.calendar.geometry import Grid
from frontdesk_app.ui.calendar.layout import ColumnLayout
from frontdesk_app.ui.calendar.metrics import Fonts
from frontdesk_app.ui.calendar.model import Column

HATCH = QBrush(palette.BLOCKED_HATCH, Qt.BrushStyle.BDiagPattern)
HOUR_PEN = QPen(palette.HOUR_LINE, 1)
HALF_HOUR_PEN = QPen(palette.HALF_HOUR_LINE, 1, Qt.PenStyle.DashLine)
COLUMN_PEN = QPen(palette.COLUMN_LINE, 1)
DAY_PEN = QPen(palette.DAY_LINE, 1)
# A dashed line of width 1 repeats every 6 px (4 on, 2 off). Dashes start at a multiple of it
# from the body's left edge, so that parts of the body painted at different times line up.
DASH_PERIOD = 6.0


def paint_shading(
    p: QPainter,
    grid: Grid,
    columns: list[tuple[int, ColumnLayout]],
    *,
    y0: float,
    y1: float,
    fonts: Fonts,
) -> None:
    """Each column's background between y0 and y1 (content coordinates)."""
    width = grid.column_width
    for index, layout in columns:
        x = grid.x_of(index)
        # Also where the part painted is already off-hours: at a column's fractional edge this
        # shade partly covers its neighbour's working hours, as it always has.
        p.fillRect(QRectF(x, y0, width, y1 - y0), palette.OFF_HOURS)
        for top, bottom in layout.working:
            p.fillRect(QRectF(x, top, width, bottom - top), palette.BACKGROUND)
        for top, bottom, reason in layout.blocked:
            rect = QRectF(x, top, width, bottom - top)
            p.fillRect(rect, palette.BLOCKED)
            p.fillRect(rect, HATCH)
            if rect.height() >= 16 and width >= 60:
                p.setFont(fonts.small)
                p.setPen(palette.BLOCKED_TEXT)
                text_rect = rect.adjusted(6, 2, -4, 0)
                label = fonts.small_metrics.elidedText(
                    reason.capitalize(), Qt.TextElideMode.ElideRight, int(text_rect.width())
                )
                p.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, label)


def paint_lines(
    p: QPainter,
    grid: Grid,
    columns: list[Column],
    cols: range,
    *,
    x0: float,
    x1: float,
    y0: float,
    y1: float,
    week: bool,
) -> None:
    """Hour lines (dashed at the half hour) across [x0, x1]; column lines, darker between days
    of a week, down [y0, y1]."""
    first_hour = int(max(grid.first_minute, grid.first_minute + y0 / grid.px_per_minute) // 60)
    last_hour = int((grid.first_minute + y1 / grid.px_per_minute) // 60) + 1
    dash_x0 = math.floor(x0 / DASH_PERIOD) * DASH_PERIOD
    for hour in range(first_hour, last_hour + 1):
        y = grid.y_of_minute(hour * 60)
        p.setPen(HOUR_PEN)
        p.drawLine(QPointF(x0, y), QPointF(x1, y))
        y_half = grid.y_of_minute(hour * 60 + 30)
        p.setPen(HALF_HOUR_PEN)
        p.drawLine(QPointF(dash_x0, y_half), QPointF(x1, y_half))
    # The line between two columns belongs to the left one; the part of the body painted may
    # start just right of it, inside the line's antialiased edge.
    for index in range(max(0, cols.start - 1), cols.stop):
        x = grid.x_of(index + 1)
        last_of_day = index + 1 == len(columns) or columns[index + 1].day != columns[index].day
        p.setPen(DAY_PEN if last_of_day and week else COLUMN_PEN)
        p.drawLine(QPointF(x, y0), QPointF(x, y1))
