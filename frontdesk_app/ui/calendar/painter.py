"""Painting the calendar with QPainter: only the visible columns and times, labels drawn here.

One text item per appointment would cost about five times as much (DESIGN.md), so every label
is a `drawText` into a rectangle, elided to fit, and columns outside the exposed area are
skipped before anything is looked up.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPen,
    QPixmap,
    QPolygonF,
)

from frontdesk_app.domain.scheduling import MAX_DURATION
from frontdesk_app.ui.calendar import palette
from frontdesk_app.ui.calendar.geometry import Grid, assign_lanes
from frontdesk_app.ui.calendar.model import AppointmentView, CalendarModel, Column

HEADER_HEIGHT = 52
MIN_TEXT_WIDTH = 34
GUTTER_WIDTH = 64
INSET = 2.0


@dataclass(slots=True)
class Fonts:
    base: QFont
    bold: QFont
    small: QFont
    header: QFont
    bold_line: int = 0  # the height of a line in `bold`, measured once

    @classmethod
    def from_font(cls, font: QFont) -> Fonts:
        bold = QFont(font)
        bold.setWeight(QFont.Weight.DemiBold)
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() - 1.0))
        header = QFont(font)
        header.setWeight(QFont.Weight.DemiBold)
        return cls(font, bold, small, header, QFontMetrics(bold).height())


BadgeShape = Literal["dot", "diamond", "half", "ring"]
BADGE_RADIUS = 4.0
BADGE_INSET = 3.0  # from the card's right edge
# Room the badge takes from the card's right edge, a small gap before the text included.
BADGE_SPACE = BADGE_INSET + 2 * BADGE_RADIUS + 3


@dataclass(frozen=True, slots=True)
class Badge:
    """A small mark in an appointment's top-right corner (its eligibility state).

    The shape differs per meaning as well as the colour, so it reads without colour vision;
    `text` is what the tooltip and a screen reader say.
    """

    text: str
    colour: QColor
    shape: BadgeShape


def paint_badge(
    p: QPainter, centre: QPointF, colour: QColor, shape: BadgeShape, r: float = BADGE_RADIUS
) -> None:
    """Filled dot, diamond, half-filled circle or ring; the filled ones on a white halo that lifts
    them off the card's tint. Leaves the painter's pen and brush changed (callers set theirs)."""
    if shape != "ring":
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(palette.BACKGROUND)
        p.drawEllipse(centre, r + 1.5, r + 1.5)
    if shape == "dot":
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        p.drawEllipse(centre, r, r)
    elif shape == "diamond":
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour)
        x, y, d = centre.x(), centre.y(), r + 0.6
        p.drawPolygon(
            QPolygonF([QPointF(x, y - d), QPointF(x + d, y), QPointF(x, y + d), QPointF(x - d, y)])
        )
    else:
        p.setPen(QPen(colour, 1.5))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(centre, r - 0.75, r - 0.75)
        if shape == "half":
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour)
            box = QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r)
            p.drawPie(box, 90 * 16, 180 * 16)  # the left half: an answer that has aged


# One small image per badge look and pixel ratio: a blit per appointment instead of
# antialiased shapes, which cost several times as much on a week with hundreds in view.
_BADGE_SIDE = 2 * (BADGE_RADIUS + 2)
_badge_pixmaps: dict[tuple[int, str, float], QPixmap] = {}


def badge_pixmap(colour: QColor, shape: BadgeShape, ratio: float) -> QPixmap:
    """The badge drawn once into a transparent pixmap of `_BADGE_SIDE` logical pixels."""
    key = (colour.rgba(), shape, ratio)
    found = _badge_pixmaps.get(key)
    if found is None:
        size = math.ceil(_BADGE_SIDE * ratio)
        found = QPixmap(size, size)
        found.setDevicePixelRatio(ratio)
        found.fill(Qt.GlobalColor.transparent)
        painter = QPainter(found)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        paint_badge(painter, QPointF(_BADGE_SIDE / 2, _BADGE_SIDE / 2), colour, shape)
        painter.end()
        _badge_pixmaps[key] = found
    return found


@dataclass(slots=True)
class Placed:
    """An appointment and where it is drawn, in content coordinates."""

    view: AppointmentView
    rect: QRectF
    column: int


def visible_items(
    model: CalendarModel,
    grid: Grid,
    column: Column,
    y0: float,
    y1: float,
) -> list[AppointmentView]:
    """The column's appointments that reach into [y0, y1] (content coordinates)."""
    items = model.in_cell(column.provider.id, column.day)
    if not items:
        return []
    top, bottom = grid.visible_window(column.day, y0, y1)
    starts = [v.start for v in items]
    # Anything starting more than the longest duration before the top cannot reach it.
    first = bisect.bisect_left(starts, top - MAX_DURATION)
    last = bisect.bisect_right(starts, bottom)
    return [v for v in items[first:last] if v.end > top]


class LaneCache:
    """Lanes per column, recomputed only for the cells a change touched."""

    def __init__(self) -> None:
        self._lanes: dict[tuple[str, date], dict[str, tuple[int, int]]] = {}

    def clear(self) -> None:
        self._lanes.clear()

    def invalidate(self, provider_id: str, day: date) -> None:
        self._lanes.pop((provider_id, day), None)

    def lanes(self, model: CalendarModel, column: Column) -> dict[str, tuple[int, int]]:
        key = (column.provider.id, column.day)
        lanes = self._lanes.get(key)
        if lanes is None:
            lanes = assign_lanes(model.in_cell(*key))
            self._lanes[key] = lanes
        return lanes


def item_rect(
    grid: Grid, column_index: int, view: AppointmentView, lane: tuple[int, int], day: date
) -> QRectF:
    x = grid.x_of(column_index)
    lane_index, lanes = lane
    width = (grid.column_width - 2 * INSET) / max(1, lanes)
    top = grid.y_of(view.start, day)
    bottom = grid.y_of(view.end, day)
    return QRectF(
        x + INSET + lane_index * width, top + 1, max(4.0, width - 1), max(6.0, bottom - top - 2)
    )


def paint_background(
    p: QPainter,
    model: CalendarModel,
    grid: Grid,
    *,
    columns: list[Column],
    cols: range,
    y0: float,
    y1: float,
    fonts: Fonts,
) -> None:
    """Off-hours shading, working hours in white, blocked time hatched with its reason."""
    for index in cols:
        column = columns[index]
        x = grid.x_of(index)
        full = QRectF(x, y0, grid.column_width, y1 - y0)
        p.fillRect(full, palette.OFF_HOURS)
        for start, end in model.working(column.provider.id, column.day):
            top, bottom = grid.y_of(start, column.day), grid.y_of(end, column.day)
            p.fillRect(QRectF(x, top, grid.column_width, bottom - top), palette.BACKGROUND)
        for start, end, reason in model.blocked(column.provider.id, column.day):
            top, bottom = grid.y_of(start, column.day), grid.y_of(end, column.day)
            rect = QRectF(x, top, grid.column_width, bottom - top)
            p.fillRect(rect, palette.BLOCKED)
            p.fillRect(rect, QBrush(palette.BLOCKED_HATCH, Qt.BrushStyle.BDiagPattern))
            if rect.height() >= 16 and grid.column_width >= 60:
                p.setFont(fonts.small)
                p.setPen(palette.BLOCKED_TEXT)
                text_rect = rect.adjusted(6, 2, -4, 0)
                metrics = QFontMetrics(fonts.small)
                label = metrics.elidedText(
                    reason.capitalize(), Qt.TextElideMode.ElideRight, int(text_rect.width())
                )
                p.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, label)


def paint_lines(
    p: QPainter,
    model: CalendarModel,
    grid: Grid,
    *,
    columns: list[Column],
    cols: range,
    x0: float,
    x1: float,
    y0: float,
    y1: float,
) -> None:
    first_hour = int(max(grid.first_minute, grid.first_minute + y0 / grid.px_per_minute) // 60)
    last_hour = int((grid.first_minute + y1 / grid.px_per_minute) // 60) + 1
    for hour in range(first_hour, last_hour + 1):
        y = grid.y_of_minute(hour * 60)
        p.setPen(QPen(palette.HOUR_LINE, 1))
        p.drawLine(QPointF(x0, y), QPointF(x1, y))
        y_half = grid.y_of_minute(hour * 60 + 30)
        p.setPen(QPen(palette.HALF_HOUR_LINE, 1, Qt.PenStyle.DashLine))
        p.drawLine(QPointF(x0, y_half), QPointF(x1, y_half))
    for index in cols:
        x = grid.x_of(index + 1)
        last_of_day = index + 1 == len(columns) or columns[index + 1].day != columns[index].day
        p.setPen(
            QPen(
                palette.DAY_LINE if last_of_day and len(model.days) > 1 else palette.COLUMN_LINE, 1
            )
        )
        p.drawLine(QPointF(x, y0), QPointF(x, y1))


def paint_item(
    p: QPainter,
    view: AppointmentView,
    rect: QRectF,
    label: str,
    fonts: Fonts,
    *,
    zone: ZoneInfo,
    selected: bool,
    badge: Badge | None = None,
    ratio: float = 1.0,
) -> None:
    """One appointment: tinted card, accent bar by type, marks for status, sync, eligibility.

    `ratio` is the device's pixel ratio (asked once per paint, not per appointment)."""
    style = palette.type_style(view.type)
    cancelled = not view.active
    fill = palette.CANCELLED_FILL if cancelled else style.fill
    if view.sync_state == "conflict":
        fill = palette.CONFLICT_FILL
    elif view.sync_state == "pending":
        fill = palette.PENDING_FILL
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(fill)
    p.drawRoundedRect(rect, 4, 4)
    accent = palette.CANCELLED_TEXT if cancelled else style.accent
    p.fillRect(QRectF(rect.x(), rect.y(), 4, rect.height()), accent)

    border: QPen | None = None
    if view.sync_state == "pending":
        border = QPen(palette.PENDING, 1.5, Qt.PenStyle.DashLine)
    elif view.sync_state == "conflict":
        border = QPen(palette.CONFLICT, 2)
    if selected:
        border = QPen(palette.SELECTION, 2)
    if border is not None:
        p.setPen(border)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(rect.adjusted(0.75, 0.75, -0.75, -0.75), 4, 4)

    text_rect = rect.adjusted(8, 2, -4, -1)
    line_height = fonts.bold_line or QFontMetrics(fonts.bold).height()
    if badge is not None and rect.width() >= BADGE_SPACE + 6 and rect.height() >= BADGE_SPACE:
        # Top right: on the first line of text, or in the corner of a card too narrow for any.
        wide = rect.width() >= MIN_TEXT_WIDTH and rect.height() >= line_height
        centre_y = text_rect.y() + line_height / 2 if wide else rect.y() + BADGE_RADIUS + 3
        left = rect.right() - BADGE_INSET - BADGE_RADIUS - _BADGE_SIDE / 2
        # Whole pixels: a pixmap at a fractional position is resampled instead of copied.
        p.drawPixmap(
            round(left),
            round(centre_y - _BADGE_SIDE / 2),
            badge_pixmap(badge.colour, badge.shape, ratio),
        )
        text_rect.setRight(rect.right() - BADGE_SPACE)
    if rect.width() < MIN_TEXT_WIDTH or text_rect.height() < 8:
        return  # a narrow week column: colour only, the tooltip has the details
    mark = {"pending": "Pending sync", "conflict": "Conflict"}.get(view.sync_state)
    if mark is not None:
        _paint_mark(p, text_rect, mark, fonts)
        mark_width = QFontMetrics(fonts.small).horizontalAdvance(mark)
        text_rect.setRight(text_rect.right() - mark_width - 8)
    elif view.status == "rescheduled" and text_rect.width() > 60:
        p.setFont(fonts.small)
        p.setPen(palette.SUBTEXT)
        p.drawText(text_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, "↻")
        text_rect.setRight(text_rect.right() - 12)
    metrics_bold = QFontMetrics(fonts.bold)
    width = int(text_rect.width())
    time_text = f"{view.start.astimezone(zone):%H:%M}"
    first = f"{time_text}  {label}" if label else time_text
    p.setPen(palette.CANCELLED_TEXT if cancelled else palette.TEXT)
    bold = QFont(fonts.bold)
    bold.setStrikeOut(cancelled)
    p.setFont(bold)
    shown = metrics_bold.elidedText(first, Qt.TextElideMode.ElideRight, width)
    if not shown.startswith(time_text) and metrics_bold.horizontalAdvance(time_text) <= width:
        shown = time_text  # a narrow card: the whole time rather than "09:…"
    p.drawText(
        QRectF(text_rect.x(), text_rect.y(), text_rect.width(), line_height),
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
        shown,
    )
    if text_rect.height() >= 2 * line_height:
        metrics = QFontMetrics(fonts.small)
        second = palette.type_style(view.type).label
        if cancelled:
            second = "Cancelled · " + second
        elif view.notes:
            second = f"{second} · {view.notes}"
        p.setFont(fonts.small)
        p.setPen(palette.CANCELLED_TEXT if cancelled else palette.SUBTEXT)
        p.drawText(
            QRectF(text_rect.x(), text_rect.y() + line_height, text_rect.width(), line_height),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            metrics.elidedText(second, Qt.TextElideMode.ElideRight, width),
        )


def _paint_mark(p: QPainter, rect: QRectF, text: str, fonts: Fonts) -> None:
    colour = palette.CONFLICT if text == "Conflict" else palette.PENDING
    metrics = QFontMetrics(fonts.small)
    w = metrics.horizontalAdvance(text) + 8
    if rect.width() < w + 30:
        p.setBrush(colour)
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(QPointF(rect.right() - 4, rect.top() + 6), 4, 4)
        return
    pill = QRectF(rect.right() - w, rect.top() + 1, w, metrics.height())
    p.setBrush(colour)
    p.setPen(Qt.PenStyle.NoPen)
    p.drawRoundedRect(pill, 3, 3)
    p.setFont(fonts.small)
    p.setPen(QColor("#ffffff"))
    p.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)


def now_y(grid: Grid, now: datetime, day: date) -> float | None:
    local = now.astimezone(grid.zone)
    if local.date() != day:
        return None
    minute = grid.minute_of(now)
    if not grid.first_minute <= minute <= grid.last_minute:
        return None
    return grid.y_of_minute(minute)
