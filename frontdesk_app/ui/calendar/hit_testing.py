"""Where the calendar body lies on screen: viewport ↔ content points, and what is under a point.

Content coordinates are the body's own (`Grid`), before scrolling; viewport coordinates are the
widget's, with the fixed header above and the hour gutter to the left.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from PySide6.QtCore import QPoint, QPointF, QRectF

from frontdesk_app.ui.calendar.cards import Card
from frontdesk_app.ui.calendar.geometry import Grid
from frontdesk_app.ui.calendar.layout import LayoutCache
from frontdesk_app.ui.calendar.metrics import GUTTER_WIDTH, HEADER_HEIGHT
from frontdesk_app.ui.calendar.model import AppointmentView, CalendarModel, Column

Scroll = Callable[[], tuple[int, int]]  # the scroll bars' values: (x, y)


class BodyMap:
    """The body's columns and their layouts, placed on the viewport at the current scroll."""

    def __init__(
        self,
        model: CalendarModel,
        grid: Grid,
        scroll: Scroll,
        *,
        layouts: LayoutCache | None = None,
        columns: list[Column] | None = None,
    ) -> None:
        self.model = model
        self.grid = grid
        self.layouts = layouts or LayoutCache(model, grid)
        self.columns: list[Column] = columns or []
        self._scroll = scroll

    def with_columns(self, columns: list[Column]) -> BodyMap:
        """The same body showing other columns (another period), sharing the layouts."""
        return BodyMap(self.model, self.grid, self._scroll, layouts=self.layouts, columns=columns)

    # --- coordinates -------------------------------------------------------------------------
    def scroll(self) -> tuple[int, int]:
        """The scroll bars' values: how far the body is scrolled right and down."""
        return self._scroll()

    def offset(self) -> QPointF:
        x, y = self._scroll()
        return QPointF(GUTTER_WIDTH - x, HEADER_HEIGHT - y)

    def to_viewport(self, rect: QRectF) -> QRectF:
        return rect.translated(self.offset())

    def to_content(self, pos: QPoint | QPointF) -> QPointF:
        return QPointF(pos) - self.offset()

    @staticmethod
    def in_body(pos: QPoint) -> bool:
        return pos.x() >= GUTTER_WIDTH and pos.y() >= HEADER_HEIGHT

    def strip(self, index: int) -> QRectF:
        """A whole column, top to bottom, in content coordinates."""
        return QRectF(self.grid.x_of(index), 0, self.grid.column_width, self.grid.height)

    # --- columns -----------------------------------------------------------------------------
    def column_index(self, provider_id: str, day: date) -> int | None:
        for index, column in enumerate(self.columns):
            if column.provider.id == provider_id and column.day == day:
                return index
        return None

    def point_for(self, provider_id: str, instant: datetime) -> QPoint | None:
        """The viewport point at a provider's column and time."""
        day = self.model.local_day(instant)
        index = self.column_index(provider_id, day)
        if index is None:
            return None
        x = self.grid.x_of(index) + self.grid.column_width / 2
        y = self.grid.y_of(instant, day) + 2
        return self.to_viewport(QRectF(x, y, 1, 1)).topLeft().toPoint()

    # --- what lies where ---------------------------------------------------------------------
    def place(self, appointment_id: str) -> tuple[int, QRectF] | None:
        """The column index and content rectangle of an appointment drawn now."""
        view = self.model.get(appointment_id)
        if view is None:
            return None
        index = self.column_index(view.provider_id, self.model.local_day(view.start))
        if index is None:
            return None
        card = self.layouts.column(self.columns[index]).card(view.id)
        return None if card is None else (index, self.card_rect(index, card))

    def card_rect(self, index: int, card: Card) -> QRectF:
        """Where a card of column `index` lies, in content coordinates."""
        return QRectF(self.grid.x_of(index) + card.x, card.y, card.w, card.h)

    def item_at(self, pos: QPoint) -> AppointmentView | None:
        if not self.in_body(pos):
            return None
        content = self.to_content(pos)
        index = self.grid.column_at(content.x())
        if index is None:
            return None
        layout = self.layouts.column(self.columns[index])
        card = layout.card_at(content.x() - self.grid.x_of(index), content.y())
        return None if card is None else card.view

    def slot_at(self, pos: QPoint) -> tuple[int, int] | None:
        """The column index and minute of the day of the free-slot cell under `pos`."""
        if not self.in_body(pos):
            return None
        content = self.to_content(pos)
        index = self.grid.column_at(content.x())
        if index is None or content.y() < 0 or content.y() > self.grid.height:
            return None
        return index, self.grid.minute_at(content.y())
