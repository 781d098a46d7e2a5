"""A slim legend under the calendar: what each colour and mark means, eligibility badges too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPen, QResizeEvent
from PySide6.QtWidgets import QWidget

from frontdesk_app.ui.calendar import palette
from frontdesk_app.ui.calendar.cards import BadgeShape, paint_badge
from frontdesk_app.ui.calendar.eligibility_badges import BADGE_STYLES

ROW = 28  # a row of the legend
MARGIN = 12
GAP = 18  # between one entry and the next


class Legend(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Legend")
        labels = [s.label for s in palette.TYPE_STYLES.values()]
        self.setAccessibleDescription(
            "Colours: " + ", ".join(labels) + ". Dashed amber border: waiting to sync. "
            "Red border: conflict. Insurance mark in the top right corner: green dot eligible, "
            "red diamond not eligible, half-filled amber circle check again (an old check or "
            "one for another date), grey ring not checked."
        )
        self._rows = 1
        self.setFixedHeight(ROW)

    def sizeHint(self) -> QSize:
        return QSize(600, self.height())

    def _entries(self) -> list[Entry]:
        """Each colour, mark and badge with its label, and the width it takes."""
        metrics = QFontMetrics(self.font())
        entries: list[Entry] = [
            Entry(s.label, "type", s.fill, s.accent) for s in palette.TYPE_STYLES.values()
        ]
        entries.append(Entry("Waiting to sync", "pending", palette.PENDING_FILL, palette.PENDING))
        entries.append(Entry("Conflict", "conflict", palette.CONFLICT_FILL, palette.CONFLICT))
        entries.append(Entry("Insurance:", "caption", palette.SUBTEXT, palette.SUBTEXT))
        entries.extend(
            Entry(style.legend, style.shape, style.colour, style.colour)
            for style in BADGE_STYLES.values()
        )
        for entry in entries:
            entry.width = lead(entry.kind) + metrics.horizontalAdvance(entry.label) + GAP
        return entries

    def flow(self, width: int) -> list[tuple[Entry, float, int]]:
        """Where each entry goes: x and row, wrapping to another row where the width ends."""
        placed: list[tuple[Entry, float, int]] = []
        x, row = float(MARGIN), 0
        for entry in self._entries():
            if x + entry.width - GAP > width - MARGIN and x > MARGIN:
                x, row = float(MARGIN), row + 1
            placed.append((entry, x, row))
            x += entry.width
        return placed

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        rows = 1 + max((row for _, _, row in self.flow(self.width())), default=0)
        if rows != self._rows:
            self._rows = rows
            self.setFixedHeight(rows * ROW)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.fillRect(self.rect(), palette.HEADER_BG)
        p.setPen(QPen(palette.COLUMN_LINE, 1))
        p.drawLine(0, 0, self.width(), 0)
        for entry, x, row in self.flow(self.width()):
            y = row * ROW + ROW / 2
            paint_chip(p, entry, x, y)
            p.setPen(palette.SUBTEXT)
            p.drawText(
                QRectF(x + lead(entry.kind), row * ROW, entry.width, ROW),
                Qt.AlignmentFlag.AlignVCenter,
                entry.label,
            )
        p.end()


@dataclass(slots=True)
class Entry:
    label: str
    kind: str  # "type", "pending", "conflict", "caption" or a badge's shape
    fill: QColor
    accent: QColor
    width: float = 0.0


def lead(kind: str) -> float:
    """The room before an entry's label: a chip, a badge or nothing (the caption)."""
    return {"caption": 0.0, "type": 28.0, "pending": 28.0, "conflict": 28.0}.get(kind, 15.0)


def paint_chip(p: QPainter, entry: Entry, x: float, y: float) -> None:
    """The colour chip or badge in front of a label."""
    if entry.kind == "caption":
        return
    if entry.kind in ("type", "pending", "conflict"):
        chip = QRectF(x, y - 7, 22, 14)
        p.setBrush(entry.fill)
        if entry.kind == "type":
            p.setPen(Qt.PenStyle.NoPen)
            p.drawRoundedRect(chip, 3, 3)
            p.fillRect(QRectF(x, y - 7, 3, 14), entry.accent)
        else:
            style = Qt.PenStyle.DashLine if entry.kind == "pending" else Qt.PenStyle.SolidLine
            p.setPen(QPen(entry.accent, 1.5, style))
            p.drawRoundedRect(chip, 3, 3)
        return
    paint_badge(p, QPointF(x + 5, y), entry.fill, cast(BadgeShape, entry.kind))
