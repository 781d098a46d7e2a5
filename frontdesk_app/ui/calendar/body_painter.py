"""Painting the calendar body: its layer (shading, lines, cursor, cards) and the overlays.

The overlays, drawn over the layer on every paint, are the drag ghost and the now line.

The layer is painted for a content rectangle only: the columns it spans and the cards that
reach into it are found first (`ColumnLayout.visible`), so nothing outside it is looked at.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from frontdesk_app.ui.calendar import palette
from frontdesk_app.ui.calendar.cards import BADGE_SPACE, MIN_TEXT_WIDTH, Badge, Card, paint_card
from frontdesk_app.ui.calendar.drag_drop import DragAndDrop
from frontdesk_app.ui.calendar.geometry import SNAP_MINUTES, now_y
from frontdesk_app.ui.calendar.hit_testing import BodyMap
from frontdesk_app.ui.calendar.keyboard import Cursor
from frontdesk_app.ui.calendar.layout import INSET
from frontdesk_app.ui.calendar.metrics import Fonts
from frontdesk_app.ui.calendar.model import AppointmentView
from frontdesk_app.ui.calendar.shading import paint_lines, paint_shading

BadgeProvider = Callable[[AppointmentView], Badge | None]
CURSOR_PEN = QPen(palette.CURSOR_LINE, 1)
NOW_PEN = QPen(palette.NOW_LINE, 1.5)
DRAGGED_OPACITY = 0.35
# Below this column width no card is wide enough for text (`MIN_TEXT_WIDTH`) or a badge
# (`BADGE_SPACE`): a card is the column less its insets and a pixel.
NARROW_COLUMN = min(MIN_TEXT_WIDTH, BADGE_SPACE + 6) + 2 * INSET + 1


class BodyPainter:
    """Paints the body over a `BodyMap`, in content coordinates."""

    def __init__(self, body: BodyMap, fonts: Fonts) -> None:
        self.body = body
        self.fonts = fonts

    def paint_layer(
        self,
        p: QPainter,
        rect: QRect,
        *,
        cursor: Cursor | None,
        selected: str | None,
        dragged: str | None,
        badges: BadgeProvider | None,
        ratio: float,
    ) -> None:
        """Everything but the overlays, inside `rect` (content coordinates, `p` clipped to it)."""
        body, grid, model = self.body, self.body.grid, self.body.model
        x0, x1 = float(rect.left()), float(rect.right() + 1)
        y0, y1 = max(0.0, rect.top()), min(grid.height, rect.bottom() + 1.0)
        cols = grid.visible_columns(x0, x1)
        layouts = [(index, body.layouts.column(body.columns[index])) for index in cols]
        paint_shading(p, grid, layouts, y0=y0, y1=y1, fonts=self.fonts)
        paint_lines(
            p,
            grid,
            body.columns,
            cols,
            x0=x0,
            x1=x1,
            y0=y0,
            y1=y1,
            week=bool(body.columns) and body.columns[0].day != body.columns[-1].day,
        )
        if cursor is not None and cursor[0] in cols:
            self._paint_cursor(p, cursor)
        base = p.transform()
        narrow = grid.column_width < NARROW_COLUMN
        zone, fonts, label = model.zone, self.fonts, model.patient_label
        for index, layout in layouts:
            p.setTransform(base)
            p.translate(grid.x_of(index), 0)  # cards are placed from their column's left edge
            if narrow:
                self._paint_narrow(p, layout.visible(y0, y1), selected=selected, dragged=dragged)
                continue
            for card in layout.visible(y0, y1):
                view = card.view
                if view.id == dragged:
                    p.setOpacity(DRAGGED_OPACITY)
                paint_card(
                    p,
                    card,
                    fonts,
                    label=label(view.patient_id),
                    zone=zone,
                    selected=view.id == selected,
                    badge=badges(view) if badges else None,
                    ratio=ratio,
                )
                if view.id == dragged:
                    p.setOpacity(1.0)
        p.setTransform(base)

    def _paint_narrow(
        self, p: QPainter, cards: list[Card], *, selected: str | None, dragged: str | None
    ) -> None:
        """A column too narrow for text or a badge (a crowded week): colour and border only,
        as `paint_card` would draw them, with nothing asked per card that is not drawn."""
        p.setPen(Qt.PenStyle.NoPen)
        fill: QColor | None = None
        for card in cards:
            identifier = card.view.id
            if card.border is not None or identifier in (selected, dragged):
                if identifier == dragged:
                    p.setOpacity(DRAGGED_OPACITY)
                paint_card(
                    p,
                    card,
                    self.fonts,
                    label="",
                    zone=self.body.model.zone,
                    selected=identifier == selected,
                    badge=None,
                    ratio=1.0,
                )
                p.setOpacity(1.0)
                p.setPen(Qt.PenStyle.NoPen)
                fill = None
                continue
            if card.fill is not fill:
                fill = card.fill
                p.setBrush(fill)
            p.drawRoundedRect(card.rect, 4, 4)
            p.fillRect(card.accent_rect, card.accent)

    def paint_overlays(self, p: QPainter, area: QRect, drag: DragAndDrop, now: datetime) -> None:
        """The drag ghost and the now line, over the layer (`area` in viewport coordinates)."""
        body = self.body
        p.save()
        p.setClipRect(area)
        offset = body.offset()
        p.translate(offset)
        x0, x1 = area.left() - offset.x(), area.right() + 1 - offset.x()
        drag.paint_ghost(p, self.fonts)
        self._paint_now(p, body.grid.visible_columns(x0, x1), now)
        p.restore()

    def _paint_cursor(self, p: QPainter, cursor: Cursor) -> None:
        """The free-slot cursor; on an empty cell wide enough it says how to book there."""
        grid = self.body.grid
        index, minute = cursor
        rect = self.cursor_rect(cursor)
        p.fillRect(rect, palette.CURSOR_FILL)
        p.setPen(CURSOR_PEN)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5))
        centre = rect.center()
        layout = self.body.layouts.column(self.body.columns[index])
        if layout.card_at(centre.x() - grid.x_of(index), centre.y()) is None and rect.width() > 90:
            p.setFont(self.fonts.small)
            p.setPen(palette.CURSOR_LINE)
            text = f"{minute // 60:02d}:{minute % 60:02d}  Enter to book"
            p.drawText(
                rect.adjusted(8, 0, -4, 0),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                self.fonts.small_metrics.elidedText(
                    text, Qt.TextElideMode.ElideRight, int(rect.width() - 12)
                ),
            )

    def cursor_rect(self, cursor: Cursor) -> QRectF:
        """The cursor's cell, in content coordinates."""
        grid = self.body.grid
        index, minute = cursor
        return QRectF(
            grid.x_of(index) + 1,
            grid.y_of_minute(minute),
            grid.column_width - 2,
            SNAP_MINUTES * grid.px_per_minute,
        )

    def _paint_now(self, p: QPainter, cols: range, now: datetime) -> None:
        """A red line across today's columns at the current time, a dot at its left end (at the
        first of today's columns, wherever the part painted starts)."""
        grid, columns = self.body.grid, self.body.columns
        today = now.astimezone(grid.zone).date()
        first = next((i for i, column in enumerate(columns) if column.day == today), None)
        y = now_y(grid, now, today)
        if first is None or y is None:
            return
        p.setPen(NOW_PEN)
        for index in cols:
            if columns[index].day == today:
                x = grid.x_of(index)
                p.drawLine(QPointF(x, y), QPointF(x + grid.column_width, y))
        p.setBrush(palette.NOW_LINE)  # clipped to the part painted, like everything else
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(QPointF(grid.x_of(first) + 3, y), 3.5, 3.5)
