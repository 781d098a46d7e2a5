"""The painted body kept in a pixmap the size of the viewport's body.

A repaint copies from it; only the parts that changed (`invalidate`) or scrolled into view are
painted again, so a refresh, a selection or a live update costs a copy and a few cards instead
of a week of them. Parts are painted in content coordinates with the same integer offset as a
direct paint would use, so they meet without seams.
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
    """A pixmap of the body at one scroll position, and which of it is up to date."""

    def __init__(self) -> None:
        self._pixmap: QPixmap | None = None
        self._scroll = (0, 0)
        self._valid = QRegion()  # content coordinates
        self.painted_area = 0  # pixels painted afresh since created (tests, benchmarks)

    def invalidate(self, rect: QRect | None = None) -> None:
        """Paint `rect` (content coordinates) again before it is next shown; None: everything."""
        if rect is None:
            self._valid = QRegion()
        elif not self._valid.isEmpty():
            self._valid = self._valid.subtracted(QRegion(rect))

    def draw(
        self,
        p: QPainter,
        area: QRect,
        *,
        body: QRect,
        scroll: tuple[int, int],
        ratio: float,
        render: Render,
    ) -> None:
        """Copy `area` (viewport coordinates, inside `body`) to `p`, painting first what is
        missing or out of date."""
        pixmap = self._ready(body.size(), scroll, ratio)
        to_content = (scroll[0] - body.left(), scroll[1] - body.top())
        wanted = area.translated(*to_content)
        missing = QRegion(wanted).subtracted(self._valid)
        if not missing.isEmpty():
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.translate(-scroll[0], -scroll[1])
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
                self.painted_area += part.width() * part.height()
            painter.end()
            self._valid = self._valid.united(missing)
        source = area.translated(-body.left(), -body.top())
        p.drawPixmap(
            QRectF(area),
            pixmap,
            QRectF(
                source.x() * ratio,
                source.y() * ratio,
                source.width() * ratio,
                source.height() * ratio,
            ),
        )

    def _ready(self, size: QSize, scroll: tuple[int, int], ratio: float) -> QPixmap:
        """The pixmap for this size and scroll position, what is still valid of it kept."""
        pixmap = self._pixmap
        if (
            pixmap is None
            or pixmap.devicePixelRatio() != ratio
            or pixmap.width() != round(size.width() * ratio)
            or pixmap.height() != round(size.height() * ratio)
        ):
            pixmap = QPixmap(round(size.width() * ratio), round(size.height() * ratio))
            self._pixmap = pixmap
            pixmap.setDevicePixelRatio(ratio)
            self._valid = QRegion()
        elif scroll != self._scroll:
            dx, dy = self._scroll[0] - scroll[0], self._scroll[1] - scroll[1]
            if ratio == int(ratio) and abs(dx) < size.width() and abs(dy) < size.height():
                # Move what is still in view; what scrolled in is missing from `_valid`.
                pixmap.scroll(int(dx * ratio), int(dy * ratio), pixmap.rect())
                window = QRect(scroll[0], scroll[1], size.width(), size.height())
                self._valid = self._valid.intersected(QRegion(window))
            else:
                self._valid = QRegion()
        self._scroll = scroll
        return pixmap
