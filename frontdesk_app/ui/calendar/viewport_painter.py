"""Painting the calendar's viewport: the body copied from its layer with the drag ghost and
the now line over it, the cached header and gutter, in fonts resolved against the widget's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QFont, QPainter
from PySide6.QtWidgets import QWidget

from frontdesk_app.ui.calendar import palette
from frontdesk_app.ui.calendar.body_layer import BodyLayer
from frontdesk_app.ui.calendar.body_painter import BadgeProvider, BodyPainter
from frontdesk_app.ui.calendar.drag_drop import DragAndDrop
from frontdesk_app.ui.calendar.hit_testing import BodyMap
from frontdesk_app.ui.calendar.keyboard import Cursor
from frontdesk_app.ui.calendar.metrics import GUTTER_WIDTH, HEADER_HEIGHT, Fonts
from frontdesk_app.ui.calendar.view_chrome import Chrome, ChromeCache

NO_PROVIDERS = "No providers to show. Choose providers in the toolbar."


@dataclass(frozen=True, slots=True)
class ViewState:
    """What painting shows besides the appointments: the person's cursor and selection, the
    badges, the time and whether several days are in view."""

    cursor: Cursor | None
    selected: str | None
    badges: BadgeProvider | None
    now: datetime
    week: bool


class ViewportPainter:
    """Paints a calendar viewport, keeping the body, header and gutter painted in between."""

    def __init__(self, body: BodyMap, drag: DragAndDrop, font: QFont) -> None:
        self.body = body
        self._drag = drag
        # The font at construction sets the calendar's sizes; the style sheet's font, known
        # only once the widget is polished, fills in the rest (`_ensure_fonts`).
        self._font_source = QFont(font)
        self._painted_on: QFont | None = None
        self.fonts = Fonts.from_font(self._font_source)
        self._body_painter = BodyPainter(body, self.fonts)
        self._layer = BodyLayer()
        self._chrome = ChromeCache()

    @property
    def painted_area(self) -> int:
        return self._layer.painted_area

    def invalidate(self, rect: QRect | None = None) -> None:
        """Paint this part of the body (content coordinates) again; None: all of it."""
        self._layer.invalidate(rect)

    def relaid_out(self) -> None:
        """The columns or the grid changed: the body, header and gutter are painted again."""
        self._layer.invalidate()
        self._chrome.invalidate()

    def cursor_rect(self, cursor: Cursor) -> QRectF:
        return self._body_painter.cursor_rect(cursor)

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

            def render(layer: QPainter, rect: QRect) -> None:
                self._body_painter.paint_layer(
                    layer,
                    rect,
                    cursor=state.cursor,
                    selected=state.selected,
                    dragged=self._drag.dragged_id,
                    badges=state.badges,
                    ratio=ratio,
                )

            self._layer.draw(p, area, body=body, scroll=scroll, ratio=ratio, render=render)
            self._body_painter.paint_overlays(p, area, self._drag, state.now)
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

    def _ensure_fonts(self, font: QFont) -> None:
        """The fonts resolved against the widget's font as it is now."""
        if self._painted_on is not None and font == self._painted_on:
            return
        self._painted_on = QFont(font)
        self.fonts = self._body_painter.fonts = Fonts.from_font(self._font_source, font)
        self.body.layouts.clear()  # card texts were elided with the old metrics
        self._layer.invalidate()
        self._chrome.invalidate(fonts=True)
