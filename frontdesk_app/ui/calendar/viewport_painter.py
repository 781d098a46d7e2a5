"""Painting the calendar's viewport: the body's layers, the overlays, header and gutter.

The body is copied from its layer with the drag ghost and the now line over it; the header and
gutter are cached too; the fonts are resolved against the widget's own.

A layer is kept per set of columns shown (this week, and the periods read ahead on either
side), and the visible part of a period read ahead is painted into its layer while the window
is idle (`prepare`): paging to it is then a copy. Each layer checks, column by column, that it
was painted from the column's layout as it is now (`BodyLayer.painted_from`), so a change that
came while it waited is painted before it is shown.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from time import perf_counter

from PySide6.QtCore import QRect, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QFont, QPainter
from PySide6.QtWidgets import QWidget

from frontdesk_app.ui.calendar import palette
from frontdesk_app.ui.calendar.body_layer import BodyLayer
from frontdesk_app.ui.calendar.body_painter import BadgeProvider, BodyPainter
from frontdesk_app.ui.calendar.drag_drop import DragAndDrop
from frontdesk_app.ui.calendar.hit_testing import BodyMap
from frontdesk_app.ui.calendar.keyboard import Cursor
from frontdesk_app.ui.calendar.metrics import GUTTER_WIDTH, HEADER_HEIGHT, Fonts
from frontdesk_app.ui.calendar.model import Column
from frontdesk_app.ui.calendar.view_chrome import Chrome, ChromeCache

NO_PROVIDERS = "No providers to show. Choose providers in the toolbar."
MAX_LAYERS = 3  # the period shown and one either side
PREPARE_SLICE_S = 0.004  # painting ahead never keeps the window busy longer than this
BAND = 96  # pixels of a period read ahead painted at a time
# After everything was invalidated (badges, the minute), wait for the burst to end before
# painting the periods ahead again.
AGAIN_MS = 500
ColumnsKey = tuple[tuple[str, date], ...]


@dataclass(frozen=True, slots=True)
class ViewState:
    """What painting shows besides the appointments: the person's cursor and selection, the
    badges, the time and whether several days are in view."""

    cursor: Cursor | None
    selected: str | None
    badges: BadgeProvider | None
    now: datetime
    week: bool


def columns_key(columns: list[Column]) -> ColumnsKey:
    return tuple((c.provider.id, c.day) for c in columns)


class ViewportPainter:
    """Paints a calendar viewport, keeping the body, header and gutter painted in between."""

    def __init__(
        self, body: BodyMap, drag: DragAndDrop, font: QFont, state: Callable[[], ViewState]
    ) -> None:
        self.body = body
        self._drag = drag
        self._state = state
        # The font at construction sets the calendar's sizes; the style sheet's font, known
        # only once the widget is polished, fills in the rest (`_ensure_fonts`).
        self._font_source = QFont(font)
        self._painted_on: QFont | None = None
        self.fonts = Fonts.from_font(self._font_source)
        self._chrome = ChromeCache()
        self._layers: dict[ColumnsKey, BodyLayer] = {}  # the oldest first
        self._layer = BodyLayer()
        self._scale: tuple[float, float, int, int] | None = None
        self._viewport: tuple[QSize, float] | None = None  # body size and pixel ratio, last paint
        self._columns: dict[ColumnsKey, list[Column]] = {}  # of the layers painted ahead
        self._ahead: deque[ColumnsKey] = deque()
        self._timer = QTimer()
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._again = QTimer()
        self._again.setSingleShot(True)
        self._again.setInterval(AGAIN_MS)
        self._again.timeout.connect(self._on_again_timeout)
        self.painted_area = 0  # pixels painted on demand rather than copied (tests, benchmarks)

    def stop(self) -> None:
        self._timer.stop()
        self._again.stop()
        self._ahead.clear()

    # --- which layer, and what of it is out of date ---------------------------------------------
    def relaid_out(self) -> None:
        """The columns or the grid changed: the layer painted for these columns is shown if the
        scale is the same (painted ahead, or shown before); the header and gutter are painted
        again."""
        grid = self.body.grid
        scale = (grid.column_width, grid.px_per_minute, grid.first_minute, grid.last_minute)
        if scale != self._scale:
            self._forget_all()
            self._scale = scale
        self._layer = self._keep(columns_key(self.body.columns))
        self._chrome.invalidate()

    def _forget_all(self) -> None:
        self._layers.clear()
        self._columns.clear()
        self._ahead.clear()

    def _keep(self, key: ColumnsKey) -> BodyLayer:
        """The layer for `key`, made the most recent. Layers of days the model no longer holds
        are let go, then, beyond `MAX_LAYERS`, the least recent other than the one shown."""
        found = self._layers.pop(key, None)
        layer = BodyLayer() if found is None else found
        self._layers[key] = layer
        model = self.body.model
        for other in list(self._layers):
            gone = not model.covers({day for _, day in other})
            if other != key and self._layers[other] is not self._layer and gone:
                del self._layers[other]
                self._columns.pop(other, None)
        for oldest in list(self._layers):
            if len(self._layers) <= MAX_LAYERS:
                break
            if self._layers[oldest] is not self._layer and oldest != key:
                del self._layers[oldest]
                self._columns.pop(oldest, None)
        return layer

    def invalidate(self, rect: QRect | None = None) -> None:
        """Paint this part of the body (content coordinates) again in every layer (the cursor
        and the selection sit at the same place whichever period is shown); None: all of it."""
        for layer in self._layers.values():
            layer.invalidate(rect)
        self._layer.invalidate(rect)
        if rect is None:
            self._again.start()

    def _on_again_timeout(self) -> None:
        """What was painted ahead is painted again, ahead."""
        for key in self._columns:
            if key in self._layers and key not in self._ahead:
                self._ahead.append(key)
        if self._ahead and not self._timer.isActive():
            self._timer.start()

    def cursor_rect(self, cursor: Cursor) -> QRectF:
        return BodyPainter(self.body, self.fonts).cursor_rect(cursor)

    def _stamp(self, layer: BodyLayer, body: BodyMap, cols: range) -> None:
        """Mark columns whose layout changed since they were painted as out of date."""
        for index in cols:
            layout = body.layouts.column(body.columns[index])
            if layer.painted_from.get(index) is not layout:
                layer.invalidate(body.strip(index).toAlignedRect())
                layer.painted_from[index] = layout

    # --- painting ahead ------------------------------------------------------------------------
    def prepare(self, columns: list[Column]) -> None:
        """Paint the visible part of these columns (a period read ahead) while idle, so that
        showing them is a copy."""
        key = columns_key(columns)
        if key == columns_key(self.body.columns) or not columns:
            return
        self._keep(key)
        self._columns[key] = list(columns)
        if key not in self._ahead:
            self._ahead.append(key)
        if not self._timer.isActive():
            self._timer.start()

    def _on_timer_timeout(self) -> None:
        deadline = perf_counter() + PREPARE_SLICE_S
        while self._ahead and perf_counter() < deadline:
            key = self._ahead[0]
            layer, columns = self._layers.get(key), self._columns.get(key)
            if (
                layer is None
                or columns is None
                or layer is self._layer
                or not self._paint_band(layer, self.body.with_columns(columns))
            ):
                self._ahead.popleft()  # let go, shown already, or done
        if self._ahead:
            self._timer.start()

    def _paint_band(self, layer: BodyLayer, body: BodyMap) -> bool:
        """Paint the next band of what the layer covers; False once it is all painted."""
        if self._viewport is None:
            return False
        size, ratio = self._viewport
        wanted = self._window(size)
        layer.ready(wanted.size(), (wanted.x(), wanted.y()), ratio)
        self._stamp(layer, body, body.grid.visible_columns(wanted.left(), wanted.right() + 1))
        missing = layer.missing(wanted)
        if missing.isEmpty():
            return False
        # What would be on screen at the present scroll position first: paging to the period
        # then finds it painted even when the rest of the day is not yet.
        on_screen = missing.intersected(
            QRect(wanted.x(), self.body.scroll()[1], wanted.width(), size.height())
        )
        if not on_screen.isEmpty():
            missing = on_screen
        bounds = missing.boundingRect()
        band = missing.intersected(QRect(bounds.left(), bounds.top(), BAND, bounds.height()))
        state = self._state()
        painter = BodyPainter(body, self.fonts)

        def render(p: QPainter, rect: QRect) -> None:
            painter.paint_layer(
                p,
                rect,
                cursor=state.cursor,
                selected=state.selected,
                dragged=None,
                badges=state.badges,
                ratio=ratio,
            )

        layer.paint(band, render)
        return True

    # --- painting ------------------------------------------------------------------------------
    def paint(self, viewport: QWidget, exposed: QRect, state: ViewState, font: QFont) -> None:
        """Paint `exposed` (viewport coordinates); `font` is the widget's own."""
        self._ensure_fonts(font)
        p = QPainter(viewport)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        width, height = viewport.width(), viewport.height()
        body = QRect(GUTTER_WIDTH, HEADER_HEIGHT, width - GUTTER_WIDTH, height - HEADER_HEIGHT)
        ratio = viewport.devicePixelRatioF()
        area = body.intersected(exposed)
        scroll = self.body.scroll()
        if not self.body.columns:
            p.fillRect(exposed, palette.OFF_HOURS)
            p.setPen(palette.SUBTEXT)
            p.drawText(body, Qt.AlignmentFlag.AlignCenter, NO_PROVIDERS)
        elif not area.isEmpty():
            self._viewport = (body.size(), ratio)
            self._paint_body(p, area, body, ratio=ratio, state=state)
        chrome = Chrome(
            grid=self.body.grid,
            columns=self.body.columns,
            fonts=self.fonts,
            scroll_x=scroll[0],
            scroll_y=scroll[1],
            now=state.now,
            week=state.week,
            labels=self._chrome.labels,
        )
        if exposed.top() < HEADER_HEIGHT:
            self._chrome.draw_header(p, chrome, width, ratio)
        if exposed.left() < GUTTER_WIDTH:
            self._chrome.draw_gutter(p, chrome, height, ratio)
        p.fillRect(QRect(0, 0, GUTTER_WIDTH, HEADER_HEIGHT), palette.HEADER_BG)
        p.end()

    def _paint_body(
        self, p: QPainter, area: QRect, body: QRect, *, ratio: float, state: ViewState
    ) -> None:
        scroll = self.body.scroll()
        layer = self._layer
        window = self._window(body.size())
        layer.ready(window.size(), (window.x(), window.y()), ratio)
        wanted = area.translated(scroll[0] - body.left(), scroll[1] - body.top())
        self._stamp(
            layer, self.body, self.body.grid.visible_columns(wanted.left(), wanted.right() + 1)
        )
        painter = BodyPainter(self.body, self.fonts)

        def render(layer_painter: QPainter, rect: QRect) -> None:
            painter.paint_layer(
                layer_painter,
                rect,
                cursor=state.cursor,
                selected=state.selected,
                dragged=self._drag.dragged_id,
                badges=state.badges,
                ratio=ratio,
            )

        self.painted_area += layer.paint(layer.missing(wanted), render)
        layer.copy_to(p, area, wanted, ratio)
        painter.paint_overlays(p, area, self._drag, state.now)

    def _window(self, body: QSize) -> QRect:
        """What a layer covers (content coordinates): the body's width where it is scrolled
        to, and the whole day's height, so that scrolling up and down is only a copy."""
        height = max(body.height(), math.ceil(self.body.grid.height))
        return QRect(self.body.scroll()[0], 0, body.width(), height)

    def use_font(self, font: QFont) -> Fonts:
        """The fonts resolved against the widget's font as it is now (layout measures with them)."""
        self._ensure_fonts(font)
        return self.fonts

    def _ensure_fonts(self, font: QFont) -> None:
        """The fonts resolved against the widget's font as it is now."""
        if self._painted_on is not None and font == self._painted_on:
            return
        self._painted_on = QFont(font)
        self.fonts = Fonts.from_font(self._font_source, font)
        self.body.layouts.clear()  # card texts were elided with the old metrics
        self._forget_all()
        self._layer = self._keep(columns_key(self.body.columns))
        self._chrome.invalidate(fonts=True)
