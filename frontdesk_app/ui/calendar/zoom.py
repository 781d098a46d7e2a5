"""How wide a column and how tall an hour: the zoom level, and the widths that keep text readable.

A day column is at least as wide as "09:15  Firstname Surname" and the card's marks, measured in
the bold font the first line is drawn in; when the providers do not fit, the grid scrolls sideways
(its gutter and header stay put). A column of the all-providers week is at least as wide as the
provider's surname in the header's small font. The zoom level scales both, and the hour's height;
the desk remembers it (QSettings).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from frontdesk_app.ui.calendar.cards import BADGE_SPACE
from frontdesk_app.ui.calendar.layout import INSET
from frontdesk_app.ui.calendar.metrics import Fonts
from frontdesk_app.ui.calendar.view_chrome import short_name

Kind = Literal["day", "week", "provider"]  # providers' day, everyone's week, one provider's week
MIN_LEVEL, MAX_LEVEL = -4, 4
STEP = 1.2  # each level is a fifth wider and taller than the one below
PX_PER_MINUTE = 1.6  # level 0: 96 pixels an hour
SAMPLE = "09:15  Firstname Surname"  # what a day column fits on one line at level 0
TEXT_PADDING = 8 + 12 + 4  # left of a card's text; a "rescheduled" mark and a gap right of it
WEEK_FLOOR = 36.0  # an everyone's-week column is never narrower than this at level 0
# Zoomed out all the way, everyone's week fits the window: colour only, the tooltip has the rest.
OVERVIEW_COLUMN = 14.0
OVERVIEW_LEVEL = MIN_LEVEL + 1


@dataclass(frozen=True, slots=True)
class Zoom:
    level: int = 0

    @property
    def factor(self) -> float:
        return float(STEP**self.level)

    @property
    def px_per_minute(self) -> float:
        """A quarter hour is a whole number of pixels: lines and cards fall on pixel edges."""
        return round(15 * PX_PER_MINUTE * self.factor) / 15

    def step(self, direction: int) -> Zoom:
        return Zoom(max(MIN_LEVEL, min(MAX_LEVEL, self.level + direction)))

    @classmethod
    def from_setting(cls, value: object) -> Zoom:
        """The level a desk remembered (QSettings gives a string back from an ini file)."""
        try:
            level = int(str(value))
        except ValueError:
            return cls()
        return cls(max(MIN_LEVEL, min(MAX_LEVEL, level)))


def readable_width(fonts: Fonts) -> float:
    """The narrowest card column whose first line shows "09:15  Firstname Surname", the badge and
    the column's insets."""
    text = fonts.bold_metrics.horizontalAdvance(SAMPLE) + TEXT_PADDING
    return float(text + BADGE_SPACE + 2 * INSET + 1)


def surname_width(fonts: Fonts, names: list[str]) -> float:
    """The narrowest everyone's-week column whose header shows every provider's surname."""
    widest = max((fonts.small_metrics.horizontalAdvance(short_name(n)) for n in names), default=0)
    return float(max(WEEK_FLOOR, widest + 8))


def min_column(kind: Kind, zoom: Zoom, fonts: Fonts, names: list[str]) -> float:
    """The narrowest column for this kind of view at this zoom."""
    if kind == "week" and zoom.level <= OVERVIEW_LEVEL:
        return OVERVIEW_COLUMN
    base = surname_width(fonts, names) if kind == "week" else readable_width(fonts)
    return base * zoom.factor
