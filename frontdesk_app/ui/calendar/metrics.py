"""The calendar's fixed measures and fonts, each font with its metrics measured once.

Asking Qt for a `QFontMetrics` costs a lookup per call; painting a week asks thousands of times,
so every font comes with its metrics. The fonts are resolved against the widget's own font (the
style sheet's size): painted into a pixmap they look as they would on the widget, and the
metrics measure what is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QFont, QFontMetrics

HEADER_HEIGHT = 52  # providers' names (and days, in a week) above the body
GUTTER_WIDTH = 64  # the hours, left of the body


@dataclass(frozen=True, slots=True)
class Fonts:
    """The fonts the calendar paints with, and their metrics."""

    base: QFont
    bold: QFont
    small: QFont
    header: QFont
    struck: QFont  # `bold`, struck out: a cancelled appointment's first line
    bold_metrics: QFontMetrics
    small_metrics: QFontMetrics
    header_metrics: QFontMetrics
    bold_line: int  # the height of a line in `bold`

    @classmethod
    def from_font(cls, font: QFont, painted_on: QFont | None = None) -> Fonts:
        """The calendar's fonts from `font`; what they leave unset comes from `painted_on`,
        the font of the widget they are drawn for."""
        bold = QFont(font)
        bold.setWeight(QFont.Weight.DemiBold)
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() - 1.0))
        header = QFont(font)
        header.setWeight(QFont.Weight.DemiBold)
        struck = QFont(bold)
        struck.setStrikeOut(True)
        if painted_on is not None:
            bold, small, header, struck = (
                _resolved(f, painted_on) for f in (bold, small, header, struck)
            )
        return cls(
            base=font,
            bold=bold,
            small=small,
            header=header,
            struck=struck,
            bold_metrics=QFontMetrics(bold),
            small_metrics=QFontMetrics(small),
            header_metrics=QFontMetrics(header),
            bold_line=QFontMetrics(bold).height(),
        )


def _resolved(font: QFont, painted_on: QFont) -> QFont:
    """`font` with what it leaves unset taken from `painted_on`, and marked as set: a painter on
    a pixmap would otherwise fill it in from the application's font instead."""
    resolved = font.resolve(painted_on)
    resolved.setResolveMask(font.resolveMask() | painted_on.resolveMask())
    return resolved
