"""One appointment's card: its tint, accent bar, status and sync marks, badge and text.

Everything about a card that does not change from one paint to the next is worked out once:
its colours and border when it is placed (`card_for`), its elided text the first time it is
painted at that width with that label (`CardText`). One text item per appointment would cost
about five times as much (DESIGN.md), so text is a `drawText` into a rectangle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap, QPolygonF

from frontdesk_app.ui.calendar import palette
from frontdesk_app.ui.calendar.metrics import Fonts
from frontdesk_app.ui.calendar.model import AppointmentView

MIN_TEXT_WIDTH = 34  # narrower cards (a crowded week) show colour only; the tooltip has the rest
BadgeShape = Literal["dot", "diamond", "half", "ring"]
BADGE_RADIUS = 4.0
BADGE_INSET = 3.0  # from the card's right edge
# Room the badge takes from the card's right edge, a small gap before the text included.
BADGE_SPACE = BADGE_INSET + 2 * BADGE_RADIUS + 3
# A card waiting to sync or in conflict says so on its second line, before its type: the long
# words where they fit, else the short ones, else (a one-line card) a dot after the name.
MARKS = {
    "pending": ("Waiting to sync", "Waiting"),
    "conflict": ("Conflict — click to resolve", "Conflict"),
}
DOT_SPACE = 12
RECURRING = "Recurring"  # after the type, on an appointment of a series
LEFT_MIDDLE = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
ELIDE = Qt.TextElideMode.ElideRight

PENDING_BORDER = QPen(palette.PENDING, 1.5, Qt.PenStyle.DashLine)
CONFLICT_BORDER = QPen(palette.CONFLICT, 2)
SELECTED_BORDER = QPen(palette.SELECTION, 2)
WHITE = QColor("#ffffff")


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


@dataclass(frozen=True, slots=True)
class CardText:
    """A card's text as painted for one label and badge: elided to fit, and where it goes."""

    label: str
    badge: bool
    right: float  # where the text ends, from the card's left edge (marks and badge aside)
    first: str
    second: str | None  # None: the card is too short for a second line
    mark: str | None = None  # the sync mark's words, in a pill at the start of the second line
    mark_width: float = 0.0
    dot: bool = False  # the sync mark as a dot after the first line (no room for words)
    second_line: int = 1  # the line the type is on: 2 when the mark has a line of its own
    rescheduled: bool = False  # a "↻" after the first line


@dataclass(slots=True)
class Card:
    """An appointment placed in its column (`x` from the column's left edge), and its look."""

    view: AppointmentView
    x: float
    y: float
    w: float
    h: float
    fill: QColor
    accent: QColor
    border: QPen | None  # pending or conflict; a selected card gets the selection's instead
    rect: QRectF  # x, y, w, h: made once, painted with the column's left edge as the origin
    accent_rect: QRectF
    text: CardText | None = None

    def contains(self, x: float, y: float) -> bool:
        """`x` from the column's left edge, as `self.x`."""
        return self.x <= x <= self.x + self.w and self.y <= y <= self.y + self.h


def card_for(view: AppointmentView, x: float, y: float, w: float, h: float) -> Card:
    style = palette.type_style(view.type)
    cancelled = not view.active
    fill = palette.CANCELLED_FILL if cancelled else style.fill
    border: QPen | None = None
    if view.sync_state == "conflict":
        fill, border = palette.CONFLICT_FILL, CONFLICT_BORDER
    elif view.sync_state == "pending":
        fill, border = palette.PENDING_FILL, PENDING_BORDER
    accent = palette.CANCELLED_TEXT if cancelled else style.accent
    return Card(view, x, y, w, h, fill, accent, border, QRectF(x, y, w, h), QRectF(x, y, 4, h))


def paint_card(
    p: QPainter,
    card: Card,
    fonts: Fonts,
    *,
    label: str,
    zone: ZoneInfo,
    selected: bool,
    badge: Badge | None,
    ratio: float,
) -> None:
    """Paint `card`, the painter's origin at its column's left edge.

    `ratio` is the device's pixel ratio (asked once per paint, not per appointment)."""
    view = card.view
    rect = card.rect
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(card.fill)
    p.drawRoundedRect(rect, 4, 4)
    p.fillRect(card.accent_rect, card.accent)
    border = SELECTED_BORDER if selected else card.border
    if border is not None:
        p.setPen(border)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(rect.adjusted(0.75, 0.75, -0.75, -0.75), 4, 4)

    line_height = fonts.bold_line
    text_top = card.y + 2
    has_badge = badge is not None and card.w >= BADGE_SPACE + 6 and card.h >= BADGE_SPACE
    if badge is not None and has_badge:
        # Top right: on the first line of text, or in the corner of a card too narrow for any.
        wide = card.w >= MIN_TEXT_WIDTH and card.h >= line_height
        centre_y = text_top + line_height / 2 if wide else card.y + BADGE_RADIUS + 3
        badge_left = rect.right() - BADGE_INSET - BADGE_RADIUS - _BADGE_SIDE / 2
        # Whole pixels of the device (the painter's origin is the column's edge, a fractional
        # place): a pixmap at a fractional position is resampled instead of copied.
        dx, dy = p.transform().dx(), p.transform().dy()
        p.drawPixmap(
            QPointF(round(badge_left + dx) - dx, round(centre_y - _BADGE_SIDE / 2 + dy) - dy),
            badge_pixmap(badge.colour, badge.shape, ratio),
        )
    text_height = card.h - 3
    if card.w < MIN_TEXT_WIDTH or text_height < 8:
        return  # a narrow week column: colour only, the tooltip has the details
    text = card.text
    if text is None or text.label != label or text.badge != has_badge:
        text = card.text = card_text(card, label, has_badge, fonts, zone)
    text_left = rect.x() + 8
    full_right = rect.x() + (card.w - BADGE_SPACE if has_badge else card.w - 4)
    colour = palette.CONFLICT if view.sync_state == "conflict" else palette.PENDING
    if text.dot:
        p.setBrush(colour)
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(QPointF(full_right - 5, text_top + line_height / 2), 4, 4)
    elif text.rescheduled:
        p.setFont(fonts.small)
        p.setPen(palette.SUBTEXT)
        p.drawText(
            QRectF(text_left, text_top, full_right - text_left, line_height),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            "↻",
        )
    cancelled = not view.active
    width = rect.x() + text.right - text_left
    p.setPen(palette.CANCELLED_TEXT if cancelled else palette.TEXT)
    p.setFont(fonts.struck if cancelled else fonts.bold)
    p.drawText(QRectF(text_left, text_top, width, line_height), LEFT_MIDDLE, text.first)
    if text.mark is not None:
        _paint_mark(p, QPointF(text_left, text_top + line_height), text, colour, fonts)
    if text.second is not None:
        offset = text.mark_width + 6 if text.mark is not None and text.second_line == 1 else 0
        p.setFont(fonts.small)
        p.setPen(palette.CANCELLED_TEXT if cancelled else palette.SUBTEXT)
        p.drawText(
            QRectF(
                text_left + offset,
                text_top + text.second_line * line_height,
                width - offset,
                line_height,
            ),
            LEFT_MIDDLE,
            text.second,
        )


def card_text(card: Card, label: str, has_badge: bool, fonts: Fonts, zone: ZoneInfo) -> CardText:
    """The card's lines, elided to the room left by the badge: the time and patient; the sync
    mark (waiting, conflict) and the type (and "Recurring" for one of a series, before the
    notes); the mark's words take a line of their own when the card has three."""
    view = card.view
    lines = int((card.h - 3) // fonts.bold_line)
    right = card.w - BADGE_SPACE if has_badge else card.w - 4
    marks = MARKS.get(view.sync_state)
    small = fonts.small_metrics
    mark: str | None = None
    mark_width = 0.0
    line_room = card.w - 4 - 8  # the second line: the badge sits on the first
    if marks is not None and lines >= 2:
        for words in marks:
            if small.horizontalAdvance(words) + 8 <= line_room:
                mark, mark_width = words, float(small.horizontalAdvance(words) + 8)
                break
    dot = marks is not None and mark is None
    rescheduled = marks is None and view.status == "rescheduled" and right - 8 > 60
    if dot or rescheduled:
        right -= DOT_SPACE
    width = int(right - 8)
    time_text = f"{view.start.astimezone(zone):%H:%M}"
    shown = first_line(time_text, label, width, fonts)
    second: str | None = None
    second_line = 2 if mark is not None and lines >= 3 else 1
    if lines >= 2:
        second = palette.type_style(view.type).label
        if view.series_id:
            second = f"{second} · {RECURRING}"
        if not view.active:
            second = "Cancelled · " + second
        elif view.notes:
            second = f"{second} · {view.notes}"
        room = width - (mark_width + 6 if mark is not None and second_line == 1 else 0)
        second = small.elidedText(second, ELIDE, int(room)) if room > 0 else ""
        if len(second) < 3:  # "…" or a letter and "…": nothing worth reading
            second = None
    return CardText(
        label, has_badge, right, shown, second, mark, mark_width, dot, second_line, rescheduled
    )


def first_line(time_text: str, label: str, width: int, fonts: Fonts) -> str:
    """The time and the patient's name as they fit in `width` (bold): the whole name; else the
    first name whole and as much of the surname as fits (two letters at least); else the time
    and the first name; else the first name; else the time; else nothing. A first name is never
    cut: "Ulla…" reads as another person."""
    bold = fonts.bold_metrics
    words = label.split()
    full = f"{time_text}  {label}" if label else time_text
    if bold.horizontalAdvance(full) <= width:
        return full
    if words:
        with_first = f"{time_text}  {words[0]}"
        elided = bold.elidedText(full, ELIDE, width)
        if len(elided) >= len(with_first) + 3 and bold.horizontalAdvance(with_first) <= width:
            return elided  # "09:15  Ulla Berg…"
        for text in (with_first, words[0]):
            if bold.horizontalAdvance(text) <= width:
                return text
    return time_text if bold.horizontalAdvance(time_text) <= width else ""


def _paint_mark(p: QPainter, at: QPointF, text: CardText, colour: QColor, fonts: Fonts) -> None:
    """The sync mark's words in a pill at the start of the second line."""
    assert text.mark is not None
    height = fonts.small_metrics.height()
    pill = QRectF(at.x(), at.y() + (fonts.bold_line - height) / 2, text.mark_width, height)
    p.setBrush(colour)
    p.setPen(Qt.PenStyle.NoPen)
    p.drawRoundedRect(pill, 3, 3)
    p.setFont(fonts.small)
    p.setPen(WHITE)
    p.drawText(pill, Qt.AlignmentFlag.AlignCenter, text.mark)
