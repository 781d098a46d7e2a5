"""A slim legend under the calendar: what each colour and mark means, eligibility badges too."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from frontdesk_app.ui.calendar import palette
from frontdesk_app.ui.calendar.cards import paint_badge
from frontdesk_app.ui.calendar.eligibility_badges import BADGE_STYLES


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
        self.setFixedHeight(30)

    def sizeHint(self) -> QSize:
        return QSize(600, 30)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.fillRect(self.rect(), palette.HEADER_BG)
        p.setPen(QPen(palette.COLUMN_LINE, 1))
        p.drawLine(0, 0, self.width(), 0)
        metrics = QFontMetrics(self.font())
        x = 12.0
        y = self.height() / 2
        entries: list[tuple[str, QColor, QColor, Qt.PenStyle]] = [
            (s.label, s.fill, s.accent, Qt.PenStyle.NoPen) for s in palette.TYPE_STYLES.values()
        ]
        entries.append(
            ("Waiting to sync", palette.PENDING_FILL, palette.PENDING, Qt.PenStyle.DashLine)
        )
        entries.append(("Conflict", palette.CONFLICT_FILL, palette.CONFLICT, Qt.PenStyle.SolidLine))
        for label, fill, accent, border in entries:
            chip = QRectF(x, y - 7, 22, 14)
            p.setBrush(fill)
            p.setPen(
                QPen(accent, 1.5, border) if border != Qt.PenStyle.NoPen else Qt.PenStyle.NoPen
            )
            p.drawRoundedRect(chip, 3, 3)
            if border == Qt.PenStyle.NoPen:
                p.fillRect(QRectF(x, y - 7, 3, 14), accent)
            p.setPen(palette.SUBTEXT)
            p.drawText(
                QRectF(x + 28, 0, metrics.horizontalAdvance(label) + 4, self.height()),
                Qt.AlignmentFlag.AlignVCenter,
                label,
            )
            x += 28 + metrics.horizontalAdvance(label) + 20
        p.setPen(QPen(palette.COLUMN_LINE, 1))
        p.drawLine(int(x) - 8, 7, int(x) - 8, self.height() - 7)
        caption = "Insurance:"
        p.setPen(palette.SUBTEXT)
        p.drawText(
            QRectF(x, 0, metrics.horizontalAdvance(caption) + 4, self.height()),
            Qt.AlignmentFlag.AlignVCenter,
            caption,
        )
        x += metrics.horizontalAdvance(caption) + 12
        for style in BADGE_STYLES.values():
            paint_badge(p, QPointF(x + 5, y), style.colour, style.shape)
            p.setPen(palette.SUBTEXT)
            p.drawText(
                QRectF(x + 15, 0, metrics.horizontalAdvance(style.legend) + 4, self.height()),
                Qt.AlignmentFlag.AlignVCenter,
                style.legend,
            )
            x += 15 + metrics.horizontalAdvance(style.legend) + 16
        p.end()
