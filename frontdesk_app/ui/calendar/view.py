"""The calendar widget: a scroll area that paints columns itself and handles mouse and keys.

Header (providers, days) and gutter (hours) stay put while the body scrolls. A change in the
model repaints only the columns it touched, so live updates keep scroll position and selection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QFontMetrics,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QToolTip, QWidget

from frontdesk_app.domain.timeutil import utc_now
from frontdesk_app.ui.calendar import palette
from frontdesk_app.ui.calendar.geometry import SNAP_MINUTES, Grid
from frontdesk_app.ui.calendar.model import AppointmentView, CalendarModel, Column, ModelChange
from frontdesk_app.ui.calendar.painter import (
    GUTTER_WIDTH,
    HEADER_HEIGHT,
    Badge,
    Fonts,
    LaneCache,
    item_rect,
    now_y,
    paint_background,
    paint_item,
    paint_lines,
    visible_items,
)
from frontdesk_app.ui.calendar.view_chrome import Chrome, paint_gutter, paint_header

BadgeProvider = Callable[[AppointmentView], Badge | None]
DAY_MIN_COLUMN = 120.0
# The week fits the window: narrow columns show colour and time, details are in the tooltip.
WEEK_MIN_COLUMN = 14.0


@dataclass(slots=True)
class _Press:
    appointment_id: str
    pos: QPoint
    grab_minutes: float


@dataclass(slots=True)
class _Drag:
    appointment_id: str
    column: int
    start: datetime
    end: datetime
    free: bool


class CalendarView(QAbstractScrollArea):
    """Day or week of columns; emits what the person asked for, the panel does it."""

    book_requested = Signal(str, object)  # provider id, start (aware datetime)
    reschedule_dropped = Signal(str, object)  # appointment id, new start
    appointment_activated = Signal(str)
    cancel_requested = Signal(str)
    selection_changed = Signal(str)  # "" when nothing is selected
    context_menu_requested = Signal(str, QPoint)  # appointment id or "", global position
    period_step_requested = Signal(int)  # -1 or +1: keyboard went past the first/last column

    def __init__(
        self,
        model: CalendarModel,
        *,
        now: Callable[[], datetime] = utc_now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self._now = now
        self.grid = Grid(zone=model.zone)
        self._columns: list[Column] = []
        self._lanes = LaneCache()
        self._selected: str | None = None
        self._cursor: tuple[int, int] | None = None  # column index, minute of day
        self._press: _Press | None = None
        self._drag: _Drag | None = None
        self._badges: BadgeProvider | None = None
        self._min_column = DAY_MIN_COLUMN
        self._fonts = Fonts.from_font(self.font())
        self.paint_count = 0
        self.setAccessibleName("Calendar")
        self.setAccessibleDescription(
            "Appointments by provider. Arrow keys move, Enter books or opens, "
            "Delete cancels, Page Up and Page Down change the day."
        )
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setMouseTracking(True)
        self.viewport().setAutoFillBackground(False)
        self.setFrameShape(QAbstractScrollArea.Shape.NoFrame)
        self.verticalScrollBar().setSingleStep(24)
        self.horizontalScrollBar().setSingleStep(40)
        self._unsubscribe = model.add_listener(self._on_model_changed)
        self._now_timer = QTimer(self)
        self._now_timer.setInterval(60_000)
        self._now_timer.timeout.connect(self._on_now_timer_timeout)
        self._now_timer.start()
        self.relayout()

    # --- public API --------------------------------------------------------------------------
    def set_compact(self, compact: bool) -> None:
        self._min_column = WEEK_MIN_COLUMN if compact else DAY_MIN_COLUMN
        self.relayout()

    def set_badge_provider(self, provider: BadgeProvider | None) -> None:
        """A small mark per appointment (its eligibility state); its text joins the tooltip
        and the accessible description. It is asked once per painted appointment: keep it a
        look-up."""
        self._badges = provider
        self.viewport().update()

    @property
    def columns(self) -> list[Column]:
        return list(self._columns)

    @property
    def selected_id(self) -> str | None:
        return self._selected

    def select(self, appointment_id: str | None) -> None:
        if appointment_id == self._selected:
            return
        self._selected = appointment_id
        self.describe_selection()
        self.viewport().update()
        self.selection_changed.emit(appointment_id or "")

    def describe_selection(self) -> None:
        """The accessible description: the selected appointment in words (badge included)."""
        view = self.model.get(self._selected) if self._selected else None
        self.setAccessibleDescription(self._describe(view) if view else "No appointment selected")

    def cursor_slot(self) -> tuple[str, datetime] | None:
        """The provider and start of the free-slot cursor (keyboard or last click)."""
        if self._cursor is None or self._cursor[0] >= len(self._columns):
            return None
        column = self._columns[self._cursor[0]]
        y = self.grid.y_of_minute(self._cursor[1])
        return column.provider.id, self.grid.instant_at(column.day, y + 0.5)

    def set_cursor(self, provider_id: str, start: datetime) -> None:
        day = self.model.local_day(start)
        for index, column in enumerate(self._columns):
            if column.provider.id == provider_id and column.day == day:
                self._cursor = (index, int(self.grid.minute_of(start)))
                self._ensure_cursor_visible()
                self.viewport().update()
                return

    def scroll_to_minute(self, minute: int) -> None:
        self.verticalScrollBar().setValue(int(self.grid.y_of_minute(minute)))

    def viewport_rect_of(self, appointment_id: str) -> QRect | None:
        """Where an appointment is drawn now, in viewport coordinates (tests, tooltips)."""
        placed = self._place(appointment_id)
        return None if placed is None else self._to_viewport(placed[1]).toAlignedRect()

    def point_for(self, provider_id: str, instant: datetime) -> QPoint | None:
        """The viewport point at a provider's column and time (tests and keyboard)."""
        day = self.model.local_day(instant)
        for index, column in enumerate(self._columns):
            if column.provider.id == provider_id and column.day == day:
                x = self.grid.x_of(index) + self.grid.column_width / 2
                y = self.grid.y_of(instant, day) + 2
                return self._to_viewport(QRectF(x, y, 1, 1)).topLeft().toPoint()
        return None

    def shutdown(self) -> None:
        self._now_timer.stop()
        self._unsubscribe()

    # --- layout ------------------------------------------------------------------------------
    def relayout(self) -> None:
        self._columns = self.model.columns()
        first, last = self.model.hours_span()
        self.grid.first_minute = max(0, (first // 60) * 60 - 60)
        self.grid.last_minute = min(24 * 60, -(-last // 60) * 60 + 60)
        self.grid.columns = len(self._columns)
        body_w = max(1, self.viewport().width() - GUTTER_WIDTH)
        body_h = max(1, self.viewport().height() - HEADER_HEIGHT)
        wanted = body_w / max(1, len(self._columns))
        self.grid.column_width = max(self._min_column, wanted)
        self.horizontalScrollBar().setRange(0, max(0, int(self.grid.width) - body_w))
        self.horizontalScrollBar().setPageStep(body_w)
        self.verticalScrollBar().setRange(0, max(0, int(self.grid.height) - body_h))
        self.verticalScrollBar().setPageStep(body_h)
        if self._cursor is not None and self._cursor[0] >= len(self._columns):
            self._cursor = None
        self._lanes.clear()
        self.viewport().update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.relayout()

    def _on_model_changed(self, change: ModelChange) -> None:
        if change.reset:
            self.relayout()
            return
        touched = {
            (v.provider_id, self.model.local_day(v.start)) for v in (*change.before, *change.after)
        }
        for provider_id, day in touched:
            self._lanes.invalidate(provider_id, day)
            for index, column in enumerate(self._columns):
                if column.provider.id == provider_id and column.day == day:
                    strip = QRectF(
                        self.grid.x_of(index), 0, self.grid.column_width, self.grid.height
                    )
                    self.viewport().update(self._to_viewport(strip).toAlignedRect())

    def _on_now_timer_timeout(self) -> None:
        self.viewport().update()

    # --- coordinates -------------------------------------------------------------------------
    def _offset(self) -> QPointF:
        return QPointF(
            GUTTER_WIDTH - self.horizontalScrollBar().value(),
            HEADER_HEIGHT - self.verticalScrollBar().value(),
        )

    def _to_viewport(self, rect: QRectF) -> QRectF:
        return rect.translated(self._offset())

    def _to_content(self, pos: QPoint | QPointF) -> QPointF:
        return QPointF(pos) - self._offset()

    def _in_body(self, pos: QPoint) -> bool:
        return pos.x() >= GUTTER_WIDTH and pos.y() >= HEADER_HEIGHT

    def _place(self, appointment_id: str) -> tuple[int, QRectF] | None:
        view = self.model.get(appointment_id)
        if view is None:
            return None
        day = self.model.local_day(view.start)
        for index, column in enumerate(self._columns):
            if column.provider.id == view.provider_id and column.day == day:
                lanes = self._lanes.lanes(self.model, column)
                lane = lanes.get(view.id)
                if lane is None:
                    return None
                return index, item_rect(self.grid, index, view, lane, day)
        return None

    def item_at(self, pos: QPoint) -> AppointmentView | None:
        if not self._in_body(pos):
            return None
        content = self._to_content(pos)
        index = self.grid.column_at(content.x())
        if index is None:
            return None
        column = self._columns[index]
        lanes = self._lanes.lanes(self.model, column)
        for view in visible_items(self.model, self.grid, column, content.y(), content.y() + 1):
            lane = lanes.get(view.id)
            if lane and item_rect(self.grid, index, view, lane, column.day).contains(content):
                return view
        return None

    def _slot_at(self, pos: QPoint) -> tuple[int, int] | None:
        if not self._in_body(pos):
            return None
        content = self._to_content(pos)
        index = self.grid.column_at(content.x())
        if index is None or content.y() < 0 or content.y() > self.grid.height:
            return None
        return index, self.grid.minute_at(content.y())

    # --- painting ----------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        self.paint_count += 1
        p = QPainter(self.viewport())
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        exposed = event.rect()
        width, height = self.viewport().width(), self.viewport().height()
        body = QRect(GUTTER_WIDTH, HEADER_HEIGHT, width - GUTTER_WIDTH, height - HEADER_HEIGHT)
        p.fillRect(exposed, palette.OFF_HOURS)
        area = body.intersected(exposed)
        if not area.isEmpty() and self._columns:
            self._paint_body(p, area)
        elif not self._columns:
            p.setPen(palette.SUBTEXT)
            p.drawText(
                body,
                Qt.AlignmentFlag.AlignCenter,
                "No providers to show. Choose providers in the toolbar.",
            )
        chrome = Chrome(
            grid=self.grid,
            columns=self._columns,
            fonts=self._fonts,
            scroll_x=self.horizontalScrollBar().value(),
            scroll_y=self.verticalScrollBar().value(),
            now=self._now(),
            week=len(self.model.days) > 1,
        )
        if exposed.top() < HEADER_HEIGHT:
            paint_header(p, chrome, width)
        if exposed.left() < GUTTER_WIDTH:
            paint_gutter(p, chrome, height)
        p.fillRect(QRect(0, 0, GUTTER_WIDTH, HEADER_HEIGHT), palette.HEADER_BG)
        p.end()

    def _paint_body(self, p: QPainter, area: QRect) -> None:
        p.save()
        p.setClipRect(area)
        offset = self._offset()
        p.translate(offset)
        x0, y0 = area.left() - offset.x(), area.top() - offset.y()
        x1, y1 = area.right() + 1 - offset.x(), area.bottom() + 1 - offset.y()
        cols = self.grid.visible_columns(x0, x1)
        y0c, y1c = max(0.0, y0), min(self.grid.height, y1)
        paint_background(
            p,
            self.model,
            self.grid,
            columns=self._columns,
            cols=cols,
            y0=y0c,
            y1=y1c,
            fonts=self._fonts,
        )
        paint_lines(
            p,
            self.model,
            self.grid,
            columns=self._columns,
            cols=cols,
            x0=x0,
            x1=x1,
            y0=y0c,
            y1=y1c,
        )
        if self._cursor is not None and self._cursor[0] in cols:
            self._paint_cursor(p)
        zone = self.model.zone
        ratio = self.viewport().devicePixelRatioF()
        dragged = self._drag.appointment_id if self._drag else None
        for index in cols:
            column = self._columns[index]
            lanes = self._lanes.lanes(self.model, column)
            for view in visible_items(self.model, self.grid, column, y0c, y1c):
                lane = lanes.get(view.id)
                if lane is None:
                    continue
                rect = item_rect(self.grid, index, view, lane, column.day)
                if view.id == dragged:
                    p.setOpacity(0.35)
                paint_item(
                    p,
                    view,
                    rect,
                    self.model.patient_label(view.patient_id),
                    self._fonts,
                    zone=zone,
                    selected=view.id == self._selected,
                    badge=self._badges(view) if self._badges else None,
                    ratio=ratio,
                )
                p.setOpacity(1.0)
        if self._drag is not None:
            self._paint_ghost(p, self._drag)
        self._paint_now(p, cols)
        p.restore()

    def _paint_cursor(self, p: QPainter) -> None:
        assert self._cursor is not None
        index, minute = self._cursor
        rect = QRectF(
            self.grid.x_of(index) + 1,
            self.grid.y_of_minute(minute),
            self.grid.column_width - 2,
            SNAP_MINUTES * self.grid.px_per_minute,
        )
        p.fillRect(rect, palette.CURSOR_FILL)
        p.setPen(QPen(palette.CURSOR_LINE, 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5))
        if self.item_at(self._to_viewport(rect).center().toPoint()) is None and rect.width() > 90:
            p.setFont(self._fonts.small)
            p.setPen(palette.CURSOR_LINE)
            text = f"{minute // 60:02d}:{minute % 60:02d}  Enter to book"
            p.drawText(
                rect.adjusted(8, 0, -4, 0),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                QFontMetrics(self._fonts.small).elidedText(
                    text, Qt.TextElideMode.ElideRight, int(rect.width() - 12)
                ),
            )

    def _paint_ghost(self, p: QPainter, drag: _Drag) -> None:
        column = self._columns[drag.column]
        top = self.grid.y_of(drag.start, column.day)
        bottom = self.grid.y_of(drag.end, column.day)
        rect = QRectF(
            self.grid.x_of(drag.column) + 3, top + 1, self.grid.column_width - 6, bottom - top - 2
        )
        colour = palette.GHOST_OK if drag.free else palette.GHOST_BAD
        p.setBrush(colour)
        p.setPen(QPen(colour.darker(180), 1.5, Qt.PenStyle.DashLine))
        p.drawRoundedRect(rect, 4, 4)
        p.setFont(self._fonts.bold)
        p.setPen(palette.TEXT)
        zone = self.model.zone
        label = f"{drag.start.astimezone(zone):%H:%M}–{drag.end.astimezone(zone):%H:%M}"
        if not drag.free:
            label += "  not free"
        p.drawText(rect.adjusted(8, 2, -4, 0), Qt.AlignmentFlag.AlignLeft, label)

    def _paint_now(self, p: QPainter, cols: range) -> None:
        now = self._now()
        first_x: float | None = None
        for index in cols:
            column = self._columns[index]
            y = now_y(self.grid, now, column.day)
            if y is None:
                continue
            x = self.grid.x_of(index)
            first_x = x if first_x is None else min(first_x, x)
            p.setPen(QPen(palette.NOW_LINE, 1.5))
            p.drawLine(QPointF(x, y), QPointF(x + self.grid.column_width, y))
            if first_x == x:
                p.setBrush(palette.NOW_LINE)
                p.setPen(Qt.PenStyle.NoPen)
                p.drawEllipse(QPointF(x + 3, y), 3.5, 3.5)

    # --- tooltips and accessibility -------------------------------------------------------------
    def _describe(self, view: AppointmentView) -> str:
        zone = self.model.zone
        provider = self.model.provider(view.provider_id)
        parts = [
            f"{view.start.astimezone(zone):%a %d %b %H:%M}–{view.end.astimezone(zone):%H:%M}",
            palette.type_style(view.type).label,
            self.model.patient_label(view.patient_id) or "patient",
            provider.name if provider else "",
            {"confirmed": "", "rescheduled": "rescheduled", "cancelled": "cancelled"}.get(
                view.status, view.status
            ),
            {
                "pending": "waiting to sync",
                "conflict": "conflict: " + (view.sync_message or "refused by the server"),
            }.get(view.sync_state, ""),
            badge.text if self._badges and (badge := self._badges(view)) else "",
        ]
        return ", ".join(part for part in parts if part)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            view = self.item_at(event.pos())
            if view is None:
                QToolTip.hideText()
                return True
            text = self._describe(view)
            if view.notes:
                text += f"\nNotes: {view.notes}"
            QToolTip.showText(event.globalPos(), text, self.viewport())
            return True
        return super().viewportEvent(event)

    # --- mouse -------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        view = self.item_at(pos)
        slot = self._slot_at(pos)
        if slot is not None:
            self._cursor = slot
        if view is not None:
            self.select(view.id)
            if event.button() == Qt.MouseButton.LeftButton and view.active:
                grab = self.grid.minute_of(
                    self.grid.instant_at(
                        self.model.local_day(view.start), self._to_content(pos).y(), snap=1
                    )
                )
                self._press = _Press(view.id, pos, grab - self.grid.minute_of(view.start))
        else:
            self.select(None)
        self.viewport().update()
        if event.button() == Qt.MouseButton.RightButton:
            self.context_menu_requested.emit(
                view.id if view else "", event.globalPosition().toPoint()
            )

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is None:
            return
        pos = event.position().toPoint()
        if self._drag is None and (
            (pos - self._press.pos).manhattanLength() < QApplication.startDragDistance()
        ):
            return
        view = self.model.get(self._press.appointment_id)
        if view is None:
            self._press = None
            return
        self._drag = self._drag_target(view, pos) or self._drag
        self.viewport().update()

    def _drag_target(self, view: AppointmentView, pos: QPoint) -> _Drag | None:
        content = self._to_content(pos)
        index = self.grid.column_at(max(0.0, content.x()))
        if index is None:
            return None
        day = self._columns[index].day
        # Rescheduling keeps the provider: snap to this provider's column on the day pointed at.
        same = [
            i
            for i, c in enumerate(self._columns)
            if c.day == day and c.provider.id == view.provider_id
        ]
        if not same:
            return None
        assert self._press is not None
        top_y = content.y() - self._press.grab_minutes * self.grid.px_per_minute
        start = self.grid.instant_at(day, top_y + SNAP_MINUTES * self.grid.px_per_minute / 2)
        end = start + (view.end - view.start)
        free = self.model.is_free(view.provider_id, start, end, ignore_id=view.id)
        return _Drag(view.id, same[0], start, end, free)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        drag, self._drag, self._press = self._drag, None, None
        if drag is None:
            return
        self.viewport().update()
        view = self.model.get(drag.appointment_id)
        if view is not None and drag.start != view.start:
            self.reschedule_dropped.emit(drag.appointment_id, drag.start)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        self._press = None
        view = self.item_at(pos)
        if view is not None:
            self.appointment_activated.emit(view.id)
            return
        slot = self._slot_at(pos)
        if slot is not None:
            self._cursor = slot
            self._request_booking()

    def _request_booking(self) -> None:
        target = self.cursor_slot()
        if target is not None:
            self.book_requested.emit(*target)

    # --- keyboard ----------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Escape and (self._drag or self._press):
            self._drag = self._press = None
            self.viewport().update()
            return
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Right):
            self._move_cursor(key)
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self._selected and self._cursor_on_selected():
                self.appointment_activated.emit(self._selected)
            else:
                self._request_booking()
            return
        if key == Qt.Key.Key_Delete and self._selected:
            self.cancel_requested.emit(self._selected)
            return
        super().keyPressEvent(event)

    def _cursor_on_selected(self) -> bool:
        view = self.model.get(self._selected) if self._selected else None
        slot = self.cursor_slot()
        return view is not None and (
            slot is None or (slot[0] == view.provider_id and view.start <= slot[1] < view.end)
        )

    def _move_cursor(self, key: int) -> None:
        if not self._columns:
            return
        if self._cursor is None:
            now = self._now().astimezone(self.model.zone)
            minute = max(self.grid.first_minute, (now.hour * 60 + now.minute) // 15 * 15)
            self._cursor = (0, min(minute, self.grid.last_minute - SNAP_MINUTES))
        index, minute = self._cursor
        if key == Qt.Key.Key_Up:
            minute = max(self.grid.first_minute, minute - SNAP_MINUTES)
        elif key == Qt.Key.Key_Down:
            minute = min(self.grid.last_minute - SNAP_MINUTES, minute + SNAP_MINUTES)
        elif key == Qt.Key.Key_Left:
            if index == 0:
                self.period_step_requested.emit(-1)
                return
            index -= 1
        elif index + 1 >= len(self._columns):
            self.period_step_requested.emit(1)
            return
        else:
            index += 1
        self._cursor = (index, minute)
        slot = self.cursor_slot()
        hit = None
        if slot is not None:
            column = self._columns[index]
            hit = next(
                (
                    v
                    for v in self.model.in_cell(column.provider.id, column.day)
                    if v.start <= slot[1] < v.end
                ),
                None,
            )
        self.select(hit.id if hit else None)
        self._ensure_cursor_visible()
        self.viewport().update()

    def _ensure_cursor_visible(self) -> None:
        """Scroll only when the cursor is out of view, then put it a third of the way down."""
        if self._cursor is None:
            return
        index, minute = self._cursor
        y = self.grid.y_of_minute(minute)
        bar = self.verticalScrollBar()
        body_h = self.viewport().height() - HEADER_HEIGHT
        if y < bar.value() or y + 30 > bar.value() + body_h:
            bar.setValue(int(y - body_h / 3))
        x = self.grid.x_of(index)
        hbar = self.horizontalScrollBar()
        body_w = self.viewport().width() - GUTTER_WIDTH
        if x < hbar.value():
            hbar.setValue(int(x))
        elif x + self.grid.column_width > hbar.value() + body_w:
            hbar.setValue(int(x + self.grid.column_width - body_w))

    def day_of_column(self, index: int) -> date:
        return self._columns[index].day

    def visible_range(self) -> tuple[datetime, datetime] | None:
        """The first and last instant of the days in view (for the panel's loader)."""
        days = self.model.days
        if not days:
            return None
        start, end = self.model.window()
        return start, end - timedelta(seconds=1)
