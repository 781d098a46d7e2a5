"""The calendar widget: a scroll area of provider columns that turns mouse and keys into requests.

Header (providers, days) and gutter (hours) stay put while the body scrolls. The body is kept
painted in a pixmap (`body_layer`): a change in the model paints again only the columns it
touched, a new selection or cursor only their cells, so live updates are cheap and keep scroll
position and selection. Where things are lies in `hit_testing` and `layout`; painting is
`viewport_painter` (over `body_painter`, `cards`, `shading`, `view_chrome`); words for a
screen reader are `describe`; dragging is `drag_drop` and the arrow-key cursor `keyboard`.
This module holds what the person did (selection, cursor) and wires it to Qt's events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

from PySide6.QtCore import QEvent, QPoint, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPaintEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QToolTip, QWidget

from frontdesk_app.domain.timeutil import utc_now
from frontdesk_app.runtime import GUI_TURN
from frontdesk_app.ui.calendar import keyboard
from frontdesk_app.ui.calendar.body_painter import BadgeProvider
from frontdesk_app.ui.calendar.cards import Card
from frontdesk_app.ui.calendar.describe import describe, tooltip
from frontdesk_app.ui.calendar.drag_drop import DragAndDrop
from frontdesk_app.ui.calendar.geometry import Grid
from frontdesk_app.ui.calendar.hit_testing import BodyMap
from frontdesk_app.ui.calendar.keyboard import Cursor
from frontdesk_app.ui.calendar.metrics import GUTTER_WIDTH, HEADER_HEIGHT, Fonts
from frontdesk_app.ui.calendar.model import AppointmentView, CalendarModel, Column, ModelChange
from frontdesk_app.ui.calendar.viewport_painter import ViewportPainter, ViewState
from frontdesk_app.ui.calendar.zoom import Kind, Zoom, min_column


class CalendarView(QAbstractScrollArea):
    """Day or week of columns; emits what the person asked for, the panel does it."""

    book_requested = Signal(str, object)  # provider id, start (aware datetime)
    reschedule_dropped = Signal(str, object)  # appointment id, new start
    appointment_activated = Signal(str)
    cancel_requested = Signal(str)
    selection_changed = Signal(str)  # "" when nothing is selected
    context_menu_requested = Signal(str, QPoint)  # appointment id or "", global position
    period_step_requested = Signal(int)  # -1 or +1: keyboard went past the first/last column
    provider_week_requested = Signal(str)  # provider id: their header was double-clicked
    conflict_clicked = Signal(str)  # appointment id: "Conflict — click to resolve"

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
        self._body = BodyMap(model, self.grid, self._scroll)
        self._drag = DragAndDrop(self._body)
        self._paint = ViewportPainter(self._body, self._drag, self.font(), self._view_state)
        self._selected: str | None = None
        self._cursor: Cursor | None = None
        self._badges: BadgeProvider | None = None
        self._kind: Kind = "day"
        self._zoom = Zoom()
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
    def set_kind(self, kind: Kind) -> None:
        """A providers' day, everyone's week or one provider's week: how narrow a column may be."""
        self._kind = kind
        self.relayout()

    @property
    def zoom(self) -> Zoom:
        return self._zoom

    def set_zoom(self, zoom: Zoom) -> None:
        """Wider columns and taller hours (or narrower and shorter); the same time stays at the
        top of the body."""
        if zoom == self._zoom:
            return
        top = self.grid.first_minute + self.verticalScrollBar().value() / self.grid.px_per_minute
        self._zoom = zoom
        self.relayout()
        self.scroll_to_minute(int(top))

    def set_badge_provider(self, provider: BadgeProvider | None) -> None:
        """A small mark per appointment (its eligibility state); its text joins the tooltip
        and the accessible description. It is asked once per painted appointment: keep it a
        look-up."""
        self._badges = provider
        self.refresh_cards()

    def refresh_cards(self) -> None:
        """Paint every card again: what the badge provider answers has changed."""
        self._paint.invalidate()
        self.viewport().update()

    @property
    def painted_area(self) -> int:
        """Pixels of the body painted afresh so far, rather than copied (tests, benchmarks)."""
        return self._paint.painted_area

    @property
    def columns(self) -> list[Column]:
        return list(self._body.columns)

    @property
    def selected_id(self) -> str | None:
        return self._selected

    def select(self, appointment_id: str | None) -> None:
        if appointment_id == self._selected:
            return
        self._invalidate_card(self._selected)
        self._selected = appointment_id
        self._invalidate_card(appointment_id)
        self.describe_selection()
        self.viewport().update()
        self.selection_changed.emit(appointment_id or "")

    def describe_selection(self) -> None:
        """The accessible description: the selected appointment in words (badge included)."""
        view = self.model.get(self._selected) if self._selected else None
        self.setAccessibleDescription(self._describe(view) if view else "No appointment selected")

    def cursor_slot(self) -> tuple[str, datetime] | None:
        """The provider and start of the free-slot cursor (keyboard or last click)."""
        columns = self._body.columns
        if self._cursor is None or self._cursor[0] >= len(columns):
            return None
        column = columns[self._cursor[0]]
        y = self.grid.y_of_minute(self._cursor[1])
        return column.provider.id, self.grid.instant_at(column.day, y + 0.5)

    def set_cursor(self, provider_id: str, start: datetime) -> None:
        index = self._body.column_index(provider_id, self.model.local_day(start))
        if index is not None:
            self._move_cursor_to((index, int(self.grid.minute_of(start))))
            self._ensure_cursor_visible()
            self.viewport().update()

    def scroll_to_minute(self, minute: int) -> None:
        self.verticalScrollBar().setValue(int(self.grid.y_of_minute(minute)))

    def viewport_rect_of(self, appointment_id: str) -> QRect | None:
        """Where an appointment is drawn now, in viewport coordinates (tests, tooltips)."""
        placed = self._body.place(appointment_id)
        return None if placed is None else self._body.to_viewport(placed[1]).toAlignedRect()

    def point_for(self, provider_id: str, instant: datetime) -> QPoint | None:
        """The viewport point at a provider's column and time (tests and keyboard)."""
        return self._body.point_for(provider_id, instant)

    def item_at(self, pos: QPoint) -> AppointmentView | None:
        return self._body.item_at(pos)

    def visible_cards(self) -> list[tuple[int, Card]]:
        """The cards in view now, with their column's index (tests, the screen reader)."""
        x, y = self._scroll()
        width = self.viewport().width() - GUTTER_WIDTH
        height = self.viewport().height() - HEADER_HEIGHT
        found: list[tuple[int, Card]] = []
        for index in self.grid.visible_columns(x, x + width):
            layout = self._body.layouts.column(self._body.columns[index])
            found.extend((index, card) for card in layout.visible(y, y + height))
        return found

    @property
    def fonts(self) -> Fonts:
        """The fonts the calendar paints with, resolved against the widget's."""
        return self._paint.use_font(self.font())

    def day_of_column(self, index: int) -> date:
        return self._body.columns[index].day

    def visible_range(self) -> tuple[datetime, datetime] | None:
        """The first and last instant of the days in view (for the panel's loader)."""
        if not self.model.days:
            return None
        start, end = self.model.window()
        return start, end - timedelta(seconds=1)

    def lay_out_ahead(self, days: Iterable[date]) -> None:
        """Lay out and paint these days' columns (a period read ahead) while the window is
        idle, so that showing them is a copy."""
        shown = set(self.model.column_provider_ids)
        providers = [p for p in self.model.providers if p.id in shown]
        self._paint.prepare([Column(p, day) for day in days for p in providers])

    def shutdown(self) -> None:
        self._now_timer.stop()
        self._paint.stop()
        self._unsubscribe()

    # --- layout ------------------------------------------------------------------------------
    def relayout(self) -> None:
        columns = self._body.columns = self.model.columns()
        first, last = self.model.hours_span()
        self.grid.first_minute = max(0, (first // 60) * 60 - 60)
        self.grid.last_minute = min(24 * 60, -(-last // 60) * 60 + 60)
        self.grid.columns = len(columns)
        self.grid.px_per_minute = self._zoom.px_per_minute
        body_w = max(1, self.viewport().width() - GUTTER_WIDTH)
        body_h = max(1, self.viewport().height() - HEADER_HEIGHT)
        wanted = body_w / max(1, len(columns))
        fonts = self._paint.use_font(self.font())
        names = [p.name for p in {c.provider.id: c.provider for c in columns}.values()]
        narrowest = min_column(self._kind, self._zoom, fonts, names)
        self.grid.column_width = float(max(narrowest, wanted))
        self.horizontalScrollBar().setRange(0, max(0, int(self.grid.width) - body_w))
        self.horizontalScrollBar().setPageStep(body_w)
        self.verticalScrollBar().setRange(0, max(0, int(self.grid.height) - body_h))
        self.verticalScrollBar().setPageStep(body_h)
        if self._cursor is not None and self._cursor[0] >= len(columns):
            self._cursor = None
        # Column layouts stay: each is checked against its cell and the scale when used.
        self._body.layouts.keep_days(self.model.loaded_days | set(self.model.days))
        self._paint.relaid_out()
        self.viewport().update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.relayout()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.relayout()  # the narrowest readable column is measured in the font

    def _on_model_changed(self, change: ModelChange) -> None:
        if change.reset:
            self.relayout()
            return
        touched = {
            (v.provider_id, self.model.local_day(v.start)) for v in (*change.before, *change.after)
        }
        for provider_id, day in touched:
            index = self._body.column_index(provider_id, day)
            if index is not None:
                self._invalidate(self._body.strip(index))

    def _on_now_timer_timeout(self) -> None:
        # The now line moves; badges age by the clock alone ("check again"): paint all again.
        self.refresh_cards()

    def _invalidate(self, rect: QRectF) -> None:
        """Paint a content rectangle again (the layer's copy and the screen)."""
        aligned = rect.adjusted(-2, -2, 2, 2).toAlignedRect()
        self._paint.invalidate(aligned)
        self.viewport().update(self._body.to_viewport(QRectF(aligned)).toAlignedRect())

    def _invalidate_card(self, appointment_id: str | None) -> None:
        placed = self._body.place(appointment_id) if appointment_id else None
        if placed is not None:
            self._invalidate(placed[1])

    def _move_cursor_to(self, cursor: Cursor | None) -> None:
        """Put the free-slot cursor on another cell; both cells are painted again."""
        for cell in (self._cursor, cursor):
            if cell is not None and cell[0] < len(self._body.columns):
                self._invalidate(self._paint.cursor_rect(cell))
        self._cursor = cursor

    def _scroll(self) -> tuple[int, int]:
        return self.horizontalScrollBar().value(), self.verticalScrollBar().value()

    # --- painting, tooltips and accessibility -------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        self.paint_count += 1
        with GUI_TURN.foreground():  # the engine steps aside meanwhile (runtime.GuiTurn)
            self._paint.paint(self.viewport(), event.rect(), self._view_state(), self.font())

    def _view_state(self) -> ViewState:
        return ViewState(
            cursor=self._cursor,
            selected=self._selected,
            badges=self._badges,
            now=self._now(),
            week=len(self.model.days) > 1,
        )

    def _describe(self, view: AppointmentView) -> str:
        return describe(self.model, view, self._badges(view) if self._badges else None)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            view = self._body.item_at(event.pos())
            if view is None:
                QToolTip.hideText()
                return True
            badge = self._badges(view) if self._badges else None
            QToolTip.showText(event.globalPos(), tooltip(self.model, view, badge), self.viewport())
            return True
        return super().viewportEvent(event)

    # --- mouse -------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        view = self._body.item_at(pos)
        slot = self._body.slot_at(pos)
        if slot is not None:
            self._move_cursor_to(slot)
        if view is not None:
            self.select(view.id)
            left = event.button() == Qt.MouseButton.LeftButton
            if left and view.sync_state == "conflict":
                self.conflict_clicked.emit(view.id)
            elif left and view.active:
                self._drag.begin(view, pos)
        else:
            self.select(None)
        self.viewport().update()
        if event.button() == Qt.MouseButton.RightButton:
            self.context_menu_requested.emit(
                view.id if view else "", event.globalPosition().toPoint()
            )

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        dragging = self._drag.dragged_id
        if self._drag.move(event.position().toPoint()):
            if dragging is None:
                self._invalidate_card(self._drag.dragged_id)  # now drawn faded
            self.viewport().update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        drag = self._drag.finish()
        if drag is None:
            return
        self._invalidate_card(drag.appointment_id)
        self.viewport().update()
        view = self.model.get(drag.appointment_id)
        if view is not None and drag.start != view.start:
            self.reschedule_dropped.emit(drag.appointment_id, drag.start)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        self._drag.press = None
        if pos.y() < HEADER_HEIGHT and pos.x() >= GUTTER_WIDTH:
            index = self.grid.column_at(pos.x() - GUTTER_WIDTH + self._scroll()[0])
            if index is not None:
                self.provider_week_requested.emit(self._body.columns[index].provider.id)
            return
        view = self._body.item_at(pos)
        if view is not None:
            self.appointment_activated.emit(view.id)
            return
        slot = self._body.slot_at(pos)
        if slot is not None:
            self._move_cursor_to(slot)
            self._request_booking()

    def _request_booking(self) -> None:
        target = self.cursor_slot()
        if target is not None:
            self.book_requested.emit(*target)

    # --- keyboard ----------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Escape and self._drag.active:
            dragged = self._drag.dragged_id
            self._drag.cancel()
            self._invalidate_card(dragged)
            self.viewport().update()
            return
        if key in keyboard.ARROWS:
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
        columns = self._body.columns
        if not columns:
            return
        if self._cursor is None:
            self._move_cursor_to(keyboard.starting_cursor(self.grid, self._now(), self.model.zone))
        assert self._cursor is not None
        target = keyboard.moved(self._cursor, key, self.grid, len(columns))
        if isinstance(target, keyboard.Step):
            self.period_step_requested.emit(target.direction)
            return
        self._move_cursor_to(target)
        slot = self.cursor_slot()
        hit = (
            None
            if slot is None
            else keyboard.appointment_at(self.model, columns[target[0]], slot[1])
        )
        self.select(hit.id if hit else None)
        self._ensure_cursor_visible()
        self.viewport().update()

    def _ensure_cursor_visible(self) -> None:
        if self._cursor is None:
            return
        body = (
            self.viewport().width() - GUTTER_WIDTH,
            self.viewport().height() - HEADER_HEIGHT,
        )
        new_x, new_y = keyboard.scroll_to_show(self.grid, self._cursor, body, self._scroll())
        if new_y is not None:
            self.verticalScrollBar().setValue(new_y)
        if new_x is not None:
            self.horizontalScrollBar().setValue(new_x)
