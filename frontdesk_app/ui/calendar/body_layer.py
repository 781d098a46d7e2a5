"""The painted body kept in a pixmap: the viewport's width, the whole day's height.

A repaint copies from it; only the parts that changed (`invalidate`) or came into view are
painted again, so a refresh, a selection, a live update or scrolling up and down costs a copy
and a few cards instead of a week of them. Parts are painted in content coordinates with the
same integer offset as a direct paint would use, so they meet without seams.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import cast

from PySide6.QtCore import QRect, QRectF, QSize
from PySide6.QtGui import QPainter, QPixmap, QRegion

from frontdesk_app.ui.calendar import palette

Render = Callable[[QPainter, QRect], None]  # paints a content rectangle, already clipped
MAX_PARTS = 8


class BodyLayer:
    """A pixmap of the body at one scroll position, and which of it is up to date.

    `painted_from` records, per column index, what that column was painted from (its layout):
    the owner compares it with the column's layout now and paints the column again if it
    changed, so a layer kept for later can never show what is no longer so.
    """

    def __init__(self) -> None:
        self._pixmap: QPixmap | None = None
        self._origin = (0, 0)  # the content point at the pixmap's top left
        self._valid = QRegion()  # content coordinates
        self.painted_from: dict[int, object] = {}

    def invalidate(self, rect: QRect | None = None) -> None:
        """Paint `rect` (content coordinates) again before it is next shown; None: everything."""
        if rect is None:
            self._valid = QRegion()
        elif not self._valid.isEmpty():
            self._valid = self._valid.subtracted(QRegion(rect))

    def ready(self, size: QSize, origin: tuple[int, int], ratio: float) -> None:
        """Size the pixmap and move it to cover `size` from `origin` (content coordinates),
        keeping what is still valid of it."""
        pixmap = self._pixmap
        if (
            pixmap is None
            or pixmap.devicePixelRatio() != ratio
            or pixmap.width() != round(size.width() * ratio)
            or pixmap.height() != round(size.height() * ratio)
        ):
            pixmap = QPixmap(round(size.width() * ratio), round(size.height() * ratio))
            pixmap.setDevicePixelRatio(ratio)
            self._pixmap = pixmap
            self._valid = QRegion()
        elif origin != self._origin:
            dx, dy = self._origin[0] - origin[0], self._origin[1] - origin[1]
            if ratio == int(ratio) and abs(dx) < size.width() and abs(dy) < size.height():
                # Move what is still covered; what came in is missing from `_valid`.
                pixmap.scroll(int(dx * ratio), int(dy * ratio), pixmap.rect())
                window = QRect(origin[0], origin[1], size.width(), size.height())
                self._valid = self._valid.intersected(QRegion(window))
            else:
                self._valid = QRegion()
        self._origin = origin

    def missing(self, wanted: QRect) -> QRegion:
        """What of `wanted` (content coordinates) is not painted or out of date."""
        return QRegion(wanted).subtracted(self._valid)

    def paint(self, missing: QRegion, render: Render) -> int:
        """Paint `missing` (content coordinates, after `ready`); the pixels painted."""
        if missing.isEmpty() or self._pixmap is None:
            return 0
        painted = 0
        painter = QPainter(self._pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.translate(-self._origin[0], -self._origin[1])
        # A few separate rectangles (a column and a selected card elsewhere) are painted one
        # by one, so that nothing between them is looked at; many, as their bounding box.
        few = missing.rectCount() <= MAX_PARTS
        # A QRegion iterates over its rectangles; the type stubs do not say so.
        parts = list(cast(Iterable[QRect], missing)) if few else [missing.boundingRect()]
        for part in parts:
            painter.save()
            painter.setClipRect(part)
            painter.fillRect(part, palette.OFF_HOURS)
            render(painter, part)
            painter.restore()
            painted += part.width() * part.height()
        painter.end()
        self._valid = self._valid.united(missing)
        return painted

    def copy_to(self, p: QPainter, area: QRect, content: QRect, ratio: float) -> None:
        """Copy `content` (content coordinates) onto `area` of `p` (the same size)."""
        if self._pixmap is None:
            return
        source = content.translated(-self._origin[0], -self._origin[1])
        p.drawPixmap(
            QRectF(area),
            self._pixmap,
            QRectF(
                source.x() * ratio,
                source.y() * ratio,
                source.width() * ratio,
                source.height() * ratio,
            ),
        )
