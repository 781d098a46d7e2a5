"""The calendar's fixed header (providers and days) and gutter (hours), painted by hand.

Both are painted into pixmaps once per layout and scroll position (`ChromeCache`) and copied on
every other paint; only the now line's tick in the gutter is drawn each time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPen, QPixmap

from frontdesk_app.ui.calendar import palette
from frontdesk_app.ui.calendar.geometry import Grid, now_y
from frontdesk_app.ui.calendar.metrics import GUTTER_WIDTH, HEADER_HEIGHT, Fonts
from frontdesk_app.ui.calendar.model import Column


@dataclass(frozen=True, slots=True)
class Chrome:
    """What the header and gutter need to know about the body's layout and scrolling."""

    grid: Grid
    columns: list[Column]
    fonts: Fonts
    scroll_x: int
    scroll_y: int
    now: datetime
    week: bool
    labels: dict[tuple[str, int], str] = field(default_factory=dict)  # `week_label`, kept


# Words around a clinician's name that are not the name: "Dr.", "Prof"; "MD", "NP", "Jr.".
TITLES = frozenset({"dr", "doctor", "prof", "professor", "mr", "mrs", "ms", "mx", "miss"})
SUFFIXES = frozenset(
    {"md", "do", "np", "pa", "pa-c", "rn", "aprn", "fnp", "dnp", "phd", "mbbs", "dds",
     "dmd", "od", "dpm", "lcsw", "jr", "sr", "ii", "iii", "iv"}
)  # fmt: skip


def name_parts(name: str) -> list[str]:
    """`Dr. Amelia Patel` → `["Amelia", "Patel"]`; `Dana Whitfield, NP` → `["Dana", "Whitfield"]`.

    Everything after the first comma is credentials; titles in front and credentials written
    without a comma at the end are dropped too.
    """
    words = name.split(",", maxsplit=1)[0].split()
    while words and words[0].rstrip(".").lower() in TITLES:
        words.pop(0)
    while len(words) > 1 and words[-1].rstrip(".").lower() in SUFFIXES:
        words.pop()
    return words


def short_name(name: str) -> str:
    """The surname: what fits above a narrow week-view column."""
    parts = name_parts(name)
    return parts[-1] if parts else name.strip()


def initials(name: str) -> str:
    """`Dr. Mei-Lin Ashcroft` → `MA`: first name and surname."""
    parts = name_parts(name)
    return "".join(p[0] for p in parts[:1] + parts[1:][-1:]).upper()


def week_label(name: str, width: int, metrics: QFontMetrics) -> str:
    """The provider's surname if it fits the column, else their initials, else nothing."""
    for text in (short_name(name), initials(name)):
        if metrics.horizontalAdvance(text) <= width:
            return text
    return ""


def paint_header(p: QPainter, c: Chrome, width: int) -> None:
    p.save()
    band = QRectF(0, 0, width, HEADER_HEIGHT)
    p.fillRect(band, palette.HEADER_BG)
    p.setClipRect(QRectF(GUTTER_WIDTH, 0, width - GUTTER_WIDTH, HEADER_HEIGHT))
    today = c.now.astimezone(c.grid.zone).date()
    bold, small = c.fonts.header_metrics, c.fonts.small_metrics
    cols = c.grid.visible_columns(c.scroll_x, c.scroll_x + width)
    half = HEADER_HEIGHT / 2
    # One provider's week: their name is in the toolbar, not under every day.
    one_provider = len({column.provider.id for column in c.columns}) == 1
    for index in cols:
        column = c.columns[index]
        x = GUTTER_WIDTH + c.grid.x_of(index) - c.scroll_x
        cell = QRectF(x + 8, 0, c.grid.column_width - 12, HEADER_HEIGHT)
        if c.week:
            room = int(c.grid.column_width - 4)  # not `width`: the header's, used below
            key = (column.provider.name, room)
            label = c.labels.get(key)
            if label is None:
                label = c.labels[key] = week_label(column.provider.name, room, small)
            if label and not one_provider:
                p.setFont(c.fonts.small)
                p.setPen(palette.HEADER_SUBTEXT)
                p.drawText(
                    QRectF(x + 2, half, c.grid.column_width - 4, half - 2),
                    Qt.AlignmentFlag.AlignCenter,
                    label,
                )
        else:
            p.setFont(c.fonts.header)
            p.setPen(palette.HEADER_TEXT)
            p.drawText(
                QRectF(cell.x(), 6, cell.width(), half - 4),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                bold.elidedText(
                    column.provider.name, Qt.TextElideMode.ElideRight, int(cell.width())
                ),
            )
            p.setFont(c.fonts.small)
            p.setPen(palette.HEADER_SUBTEXT)
            p.drawText(
                QRectF(cell.x(), half + 2, cell.width(), half - 6),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                small.elidedText(
                    column.provider.specialty, Qt.TextElideMode.ElideRight, int(cell.width())
                ),
            )
        p.setPen(QPen(palette.COLUMN_LINE, 1))
        p.drawLine(
            QPointF(x + c.grid.column_width, half if c.week else 8),
            QPointF(x + c.grid.column_width, HEADER_HEIGHT),
        )
    if c.week:
        _paint_day_groups(p, c, cols, today, half)
    p.setPen(QPen(palette.DAY_LINE, 1))
    p.drawLine(QPointF(0, HEADER_HEIGHT - 0.5), QPointF(width, HEADER_HEIGHT - 0.5))
    p.restore()


def _paint_day_groups(p: QPainter, c: Chrome, cols: range, today: object, half: float) -> None:
    """Week view: one label per day above its providers' columns."""
    metrics = c.fonts.header_metrics
    seen: set[int] = set()
    for index in cols:
        day = c.columns[index].day
        first = index
        while first > 0 and c.columns[first - 1].day == day:
            first -= 1
        if first in seen:
            continue
        seen.add(first)
        last = first
        while last + 1 < len(c.columns) and c.columns[last + 1].day == day:
            last += 1
        x0 = GUTTER_WIDTH + c.grid.x_of(first) - c.scroll_x
        x1 = GUTTER_WIDTH + c.grid.x_of(last + 1) - c.scroll_x
        x0 = max(x0, GUTTER_WIDTH)  # scrolled sideways: the day's name stays over what is shown
        rect = QRectF(x0 + 8, 4, x1 - x0 - 16, half - 4)
        p.setFont(c.fonts.header)
        p.setPen(palette.TODAY_TEXT if day == today else palette.HEADER_TEXT)
        label = f"{day:%A %d %B}" if rect.width() > 180 else f"{day:%a %d %b}"
        p.drawText(
            rect,
            Qt.AlignmentFlag.AlignCenter,
            metrics.elidedText(label, Qt.TextElideMode.ElideRight, int(rect.width())),
        )
        p.setPen(QPen(palette.DAY_LINE, 1))
        p.drawLine(QPointF(x1, 4), QPointF(x1, HEADER_HEIGHT))


def paint_gutter(p: QPainter, c: Chrome, height: int) -> None:
    p.save()
    p.fillRect(QRectF(0, HEADER_HEIGHT, GUTTER_WIDTH, height - HEADER_HEIGHT), palette.HEADER_BG)
    p.setClipRect(QRectF(0, HEADER_HEIGHT, GUTTER_WIDTH, height - HEADER_HEIGHT))
    p.setFont(c.fonts.small)
    metrics = c.fonts.small_metrics
    for hour in range(c.grid.first_minute // 60, c.grid.last_minute // 60 + 1):
        y = HEADER_HEIGHT + c.grid.y_of_minute(hour * 60) - c.scroll_y
        if y < HEADER_HEIGHT - 2 or y > height:
            continue
        p.setPen(palette.GUTTER_TEXT)
        text_y = max(y, HEADER_HEIGHT + metrics.height() / 2 + 1)
        p.drawText(
            QRectF(0, text_y - metrics.height() / 2, GUTTER_WIDTH - 10, metrics.height()),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            f"{hour:02d}:00",
        )
    p.setPen(QPen(palette.DAY_LINE, 1))
    p.drawLine(QPointF(GUTTER_WIDTH - 0.5, 0), QPointF(GUTTER_WIDTH - 0.5, height))
    p.restore()


def paint_gutter_now(p: QPainter, c: Chrome, height: int) -> None:
    """The now line's tick in the gutter, when today is in view."""
    today = c.now.astimezone(c.grid.zone).date()
    y_now = now_y(c.grid, c.now, today)
    if y_now is None or not any(col.day == today for col in c.columns):
        return
    p.save()
    p.setClipRect(QRectF(0, HEADER_HEIGHT, GUTTER_WIDTH, height - HEADER_HEIGHT))
    y = HEADER_HEIGHT + y_now - c.scroll_y
    p.setPen(QPen(palette.NOW_LINE, 1.5))
    p.drawLine(QPointF(GUTTER_WIDTH - 8, y), QPointF(GUTTER_WIDTH, y))
    p.restore()


class ChromeCache:
    """The header and the gutter as pixmaps, painted again only when what they show changed."""

    def __init__(self) -> None:
        self._header: tuple[tuple[object, ...], QPixmap] | None = None
        self._gutter: tuple[tuple[object, ...], QPixmap] | None = None
        self.labels: dict[tuple[str, int], str] = {}  # providers' names that fit a week column

    def invalidate(self, *, fonts: bool = False) -> None:
        """The columns or the grid changed (or the fonts: names are measured again)."""
        self._header = self._gutter = None
        if fonts:
            self.labels.clear()

    def draw_header(self, p: QPainter, c: Chrome, width: int, ratio: float) -> None:
        today: date = c.now.astimezone(c.grid.zone).date()  # the day's label is highlighted
        key = (c.scroll_x, width, ratio, today, c.week)
        if self._header is None or self._header[0] != key:
            pixmap = _pixmap(width, HEADER_HEIGHT, ratio)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            paint_header(painter, c, width)
            painter.end()
            self._header = (key, pixmap)
        p.drawPixmap(0, 0, self._header[1])

    def draw_gutter(self, p: QPainter, c: Chrome, height: int, ratio: float) -> None:
        key = (c.scroll_y, height, ratio)
        if self._gutter is None or self._gutter[0] != key:
            pixmap = _pixmap(GUTTER_WIDTH, max(1, height - HEADER_HEIGHT), ratio)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.translate(0, -HEADER_HEIGHT)
            paint_gutter(painter, c, height)
            painter.end()
            self._gutter = (key, pixmap)
        p.drawPixmap(0, HEADER_HEIGHT, self._gutter[1])
        paint_gutter_now(p, c, height)


def _pixmap(width: int, height: int, ratio: float) -> QPixmap:
    pixmap = QPixmap(round(width * ratio), round(height * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(palette.HEADER_BG)
    return pixmap
