"""The calendar panel: toolbar, the day/week view, and every action on appointments.

Reads go through the backend into `CalendarModel`; writes go through the backend and the
result (or the live event another desk caused) updates the model, which repaints only the
columns that changed — the person's scroll position and selection stay where they were.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QDate, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import QDialog, QFileDialog, QMenu, QVBoxLayout, QWidget

from frontdesk_app.domain import clock
from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.domain.models import (
    Appointment,
    CancelResult,
    Patient,
    Provider,
)
from frontdesk_app.domain.timeutil import utc_now
from frontdesk_app.domain.visits import VisitChange
from frontdesk_app.domain.waitlist import FreeSlot
from frontdesk_app.ui.audit_menu import record_view
from frontdesk_app.ui.calendar.booking_dialog import BookingDialog
from frontdesk_app.ui.calendar.change_dialogs import CancelDialog, RescheduleDialog
from frontdesk_app.ui.calendar.day_sheet import export_pdf
from frontdesk_app.ui.calendar.eligibility_badges import CalendarBadges
from frontdesk_app.ui.calendar.feed import CalendarFeed
from frontdesk_app.ui.calendar.find_opening import FindOpeningDialog
from frontdesk_app.ui.calendar.legend import Legend
from frontdesk_app.ui.calendar.model import CalendarModel
from frontdesk_app.ui.calendar.moves import CalendarMoves
from frontdesk_app.ui.calendar.provider_picker import read_sets
from frontdesk_app.ui.calendar.series_actions import SeriesActions
from frontdesk_app.ui.calendar.toolbar import CalendarToolbar
from frontdesk_app.ui.calendar.view import CalendarView
from frontdesk_app.ui.calendar.view_modes import CalendarModes
from frontdesk_app.ui.calendar.zoom import Kind, Zoom
from frontdesk_app.ui.eligibility.panel import shared_history
from frontdesk_app.ui.message_bar import MessageBar
from frontdesk_app.ui.panels import SLOT_CALENDAR, PanelContext, PanelSpec

Mode = Kind  # the providers' day, everyone's week, one provider's week
PATIENT_FETCHES = 8
LIVE_DEBOUNCE_MS = 30


def calendar_panel_spec() -> PanelSpec:
    return PanelSpec("calendar", "Calendar", SLOT_CALENDAR, CalendarPanel, icon="today")


def week_of(day: date, providers: list[Provider] | None = None) -> list[date]:
    """Monday to Sunday, without the days none of `providers` ever works (weekends)."""
    monday = day - timedelta(days=day.weekday())
    week = [monday + timedelta(days=i) for i in range(7)]
    if not providers:
        return week
    working = [d for d in week if any(p.weekly_hours.get(d.weekday()) for p in providers)]
    return working or week


class CalendarPanel(QWidget):
    data_loaded = Signal(int)  # appointments in view, after every full load

    def __init__(self, ctx: PanelContext) -> None:
        super().__init__()
        self.setAccessibleName("Calendar panel")
        self.ctx = ctx
        self.backend = ctx.backend
        self.bridge = ctx.bridge
        self.zone = ctx.zone
        self.model = CalendarModel(ctx.zone)
        self.mode: Mode = "day"
        self.anchor = self.today()
        self.loaded = False
        self.load_count = 0
        self._scroll_on_load = True
        self.active_dialog: QDialog | None = None

        self.toolbar = CalendarToolbar(self)
        self.message = MessageBar(self)
        self.view = CalendarView(self.model, parent=self)
        # Each appointment's eligibility, from the checks the whole window has seen.
        self.badges = CalendarBadges(self.view, shared_history(ctx))
        self.legend = Legend(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        message_row = QVBoxLayout()  # the message floats over the grid's top, moving nothing
        message_row.setContentsMargins(10, 0, 10, 0)
        message_row.addWidget(self.message)
        layout.addLayout(message_row)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.legend)

        self.moves = CalendarMoves(self)
        self.series = SeriesActions(self)
        self.context_menu: QMenu | None = None
        self.feed = CalendarFeed(
            ctx, self.model, self.view, self.badges.badges, around=self._around, parent=self
        )
        self.feed.providers_loaded.connect(self._on_feed_providers_loaded)
        self.feed.period_loaded.connect(self._on_feed_period_loaded)
        self._wire()
        self.modes = CalendarModes(self)
        self.set_mode(self.modes.remembered_mode())
        self.feed.start()

    # --- wiring ------------------------------------------------------------------------------
    def _wire(self) -> None:
        t = self.toolbar
        t.today.triggered.connect(self.go_today)
        t.prev.triggered.connect(self._on_prev_triggered)
        t.next.triggered.connect(self._on_next_triggered)
        t.date.dateChanged.connect(self._on_date_changed)
        t.undo.triggered.connect(self.undo_move)
        t.book.triggered.connect(self._on_book_triggered)
        t.find_opening.triggered.connect(self.open_find_opening)
        t.export.triggered.connect(self._on_export_triggered)
        t.print_.triggered.connect(self.print_day_sheet)
        t.show_cancelled.toggled.connect(self._on_show_cancelled_toggled)
        t.providers_changed.connect(self._on_providers_chosen)
        picker = t.provider_button
        picker.set_sets(read_sets(self.ctx.window.remembered("calendar/provider_sets")))
        picker.sets_changed.connect(self._on_provider_sets_changed)
        for action in t.keyboard_actions():
            self.addAction(action)
        v = self.view
        v.book_requested.connect(self._on_view_book_requested)
        v.reschedule_dropped.connect(self.reschedule_to)
        v.appointment_activated.connect(self.open_reschedule)
        v.cancel_requested.connect(self.open_cancel)
        v.context_menu_requested.connect(self._on_view_context_menu_requested)
        v.period_step_requested.connect(self.step)
        v.conflict_clicked.connect(self._on_view_conflict_clicked)

    def show_error(self, error: FrontDeskError) -> None:
        self.message.show_error(error)

    def today(self) -> date:
        return utc_now().astimezone(self.zone).date()

    # --- navigation --------------------------------------------------------------------------
    def set_mode(self, mode: Mode) -> None:
        self.modes.set_mode(mode)

    def show_provider_week(self, provider_id: str) -> None:
        """One provider across the week: the view for offering a patient times."""
        self.modes.show_provider_week(provider_id)

    def set_zoom(self, zoom: Zoom) -> None:
        """Column width and hour height; the desk remembers it."""
        self.modes.set_zoom(zoom)

    def set_anchor(self, day: date, *, force: bool = False, scroll: bool = True) -> None:
        """Show the period around `day`: at once when it was read ahead, else after reading it
        (`force` reads it again either way)."""
        days = self.days_for(day)
        if not force and day == self.anchor and self.model.days == days:
            return
        if days != self.model.days:
            self.message.hide_errors()  # a refusal was about the period left
        self.anchor = day
        self.toolbar.show_date(day, days)
        self.model.set_days(days)
        self._scroll_on_load = scroll
        if not self.model.providers:
            return
        if force or not self.model.covers(days):
            self.reload()
            return
        self.feed.drop_pending()
        self._on_feed_period_loaded(len(self.model))
        # After the paint, not before it: the page turns within one frame.
        QTimer.singleShot(0, self.feed.read_ahead)

    def days_for(self, day: date) -> list[date]:
        """The days shown for an anchor day: that day, or its week's working days."""
        if self.mode == "day":
            return [day]
        shown = [p for p in self.model.providers if p.id in self.model.column_provider_ids]
        return week_of(day, shown)

    def go_today(self) -> None:
        self.set_anchor(self.today())

    def step(self, direction: int) -> None:
        self.set_anchor(self.anchor + timedelta(days=direction * (1 if self.mode == "day" else 7)))

    def show_instant(self, provider_id: str, start: datetime) -> None:
        """Bring a provider's time into view and put the cursor there."""
        if provider_id not in self.model.shown_provider_ids:
            self.model.set_shown([*self.model.shown_provider_ids, provider_id])
            self.toolbar.set_providers(self.model.providers, self.model.shown_provider_ids)
        self.modes.follow(provider_id)
        self.set_anchor(start.astimezone(self.zone).date(), scroll=False)
        self.view.set_cursor(provider_id, start)

    def _on_prev_triggered(self) -> None:
        self.step(-1)

    def _on_next_triggered(self) -> None:
        self.step(1)

    def _on_date_changed(self, qdate: QDate) -> None:
        self.set_anchor(date(qdate.year(), qdate.month(), qdate.day()))

    def _on_show_cancelled_toggled(self, shown: bool) -> None:
        self.model.show_cancelled = shown
        self.view.relayout()

    def _on_provider_sets_changed(self, sets: str) -> None:
        self.ctx.window.remember("calendar/provider_sets", sets)

    def _on_providers_chosen(self, provider_ids: list[str]) -> None:
        self.model.set_shown(provider_ids)
        self.set_anchor(self.anchor, force=True)
        self.ctx.settings.providers_shown = list(provider_ids)
        self.ctx.window.save_settings()

    # --- loading (the feed reads; the panel shows) -------------------------------------------
    def reload(self) -> None:
        """Read every appointment of the days in view again."""
        self.feed.reload()

    def _around(self) -> list[list[date]]:
        """The periods before and after the one shown: what paging would show next."""
        step = timedelta(days=1 if self.mode == "day" else 7)
        return [self.days_for(self.anchor - step), self.days_for(self.anchor + step)]

    def _on_feed_providers_loaded(self) -> None:
        self.toolbar.set_providers(self.model.providers, self.model.shown_provider_ids)
        if self.mode == "provider":
            self.set_mode("provider")  # the provider remembered exists now
            return
        self.set_anchor(self.anchor, force=True)

    def _on_feed_period_loaded(self, count: int) -> None:
        """The days in view hold all their appointments now."""
        if self._scroll_on_load:
            self._scroll_on_load = False
            self._scroll_to_start()
        self.loaded = True
        self.load_count += 1
        self.data_loaded.emit(count)

    def _scroll_to_start(self) -> None:
        now = utc_now().astimezone(self.zone)
        if now.date() in self.model.days:
            self.view.scroll_to_minute(now.hour * 60 + now.minute - 60)
        else:
            first, _ = self.model.hours_span()
            self.view.scroll_to_minute(first - 30)

    # --- actions -----------------------------------------------------------------------------
    def _on_book_triggered(self) -> None:
        slot = self.view.cursor_slot()
        if slot is None:
            self.open_booking()
        else:
            self.open_booking(provider_id=slot[0], start=slot[1])

    def _on_view_book_requested(self, provider_id: str, start: datetime) -> None:
        self.open_booking(provider_id=provider_id, start=start)

    def open_booking(
        self,
        *,
        provider_id: str | None = None,
        start: datetime | None = None,
        patient: Patient | None = None,
        notes: str | None = None,
    ) -> BookingDialog:
        """The booking dialog, prefilled (other panels call this with the caller's patient)."""
        shown = self.model.shown_provider_ids
        dialog = BookingDialog(
            self.backend,
            self.bridge,
            providers=self.model.providers,
            zone=self.zone,
            provider_id=provider_id or (shown[0] if shown else None),
            start=start,
            day=self.anchor,
            patient=patient,
            notes=notes,
            parent=self,
        )
        dialog.booked.connect(self._on_booked)
        dialog.repeat_requested.connect(self.series.open_series)
        self.open_dialog(dialog)
        return dialog

    def _on_booked(self, appointment: Appointment) -> None:
        self.feed.apply(appointment)
        self.view.select(appointment.id)
        self.bridge.run(self.feed.load_patients([appointment.patient_id]), where=self)
        provider = self.model.provider(appointment.provider_id)
        when = f"{appointment.start_time.astimezone(self.zone):%a %d %b %H:%M}"
        self.message.show_message(
            "Booked", f"{when} with {provider.name}" if provider else when, level="info"
        )

    def open_reschedule(self, appointment_id: str) -> RescheduleDialog | None:
        view = self.model.get(appointment_id)
        if view is not None and view.sync_state == "conflict":
            self._on_view_conflict_clicked(appointment_id)  # Enter or a double-click resolves
            return None
        if view is None or not view.active:
            return None
        dialog = RescheduleDialog(
            self.backend, self.bridge, view=view, model=self.model, zone=self.zone, parent=self
        )
        dialog.rescheduled.connect(lambda result, before=view: self.moves.remember(result, before))
        self.open_dialog(dialog)
        return dialog

    def open_cancel(self, appointment_id: str) -> CancelDialog | None:
        view = self.model.get(appointment_id)
        if view is None or not view.active:
            return None
        dialog = CancelDialog(self.backend, self.bridge, view=view, model=self.model, parent=self)
        freed = FreeSlot(view.provider_id, view.start, view.duration_minutes)
        dialog.cancelled.connect(lambda result: self._on_cancelled(result, freed))
        self.open_dialog(dialog)
        return dialog

    def open_find_opening(self) -> FindOpeningDialog:
        slot = self.view.cursor_slot()
        dialog = FindOpeningDialog(
            self.backend,
            self.bridge,
            providers=self.model.providers,
            zone=self.zone,
            provider_id=slot[0] if slot else None,
            parent=self,
        )
        dialog.book_requested.connect(self._on_opening_book_requested)
        dialog.show_requested.connect(self.show_instant)
        self.open_dialog(dialog)
        return dialog

    def _on_opening_book_requested(self, provider_id: str, start: datetime) -> None:
        self.show_instant(provider_id, start)
        self.open_booking(provider_id=provider_id, start=start)

    def open_dialog(self, dialog: QDialog) -> None:
        # open(), never exec(): the asyncio loop keeps running while the dialog is up.
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.active_dialog = dialog
        dialog.finished.connect(lambda _result, d=dialog: self._on_dialog_finished(d))
        dialog.open()

    def _on_dialog_finished(self, dialog: QDialog) -> None:
        # A dialog that opens another on its way out (find → book) must not forget the new one.
        if self.active_dialog is dialog:
            self.active_dialog = None

    def _on_cancelled(self, result: CancelResult, freed: FreeSlot | None = None) -> None:
        self.moves.forget(result.id)
        self.message.show_message(
            "Cancelled",
            "The patient keeps their refund." if result.refund_eligible else "",
            level="info",
            action=("Offer to the waitlist", lambda: self.offer_to_waitlist(freed))
            if freed is not None and freed.start > clock.now()
            else None,
        )

    def offer_to_waitlist(self, slot: FreeSlot | None = None) -> None:
        """The waitlist (Ctrl+6) on this time: who fits it, best first. Without a slot: the
        free time at the calendar's cursor, for as long as it stays free."""
        panel = self.ctx.show_panel("waitlist")
        if slot is not None:
            offer = getattr(panel, "offer", None)
            if callable(offer):
                offer(slot)
            return
        cursor = self.view.cursor_slot()
        opening = getattr(panel, "offer_opening", None)
        if cursor is not None and callable(opening):
            opening(cursor[0], cursor[1])

    def reschedule_to(self, appointment_id: str, new_start: datetime) -> None:
        """Drag and drop: show the move at once as pending; undo it if the server refuses."""
        self.moves.reschedule_to(appointment_id, new_start)

    def undo_move(self) -> bool:
        """Put the last move back (Ctrl+Z), within a minute of it."""
        return self.moves.undo()

    def mark_arrived(self, appointment_id: str) -> None:
        """Check the patient in (the flow board shows them waiting from now)."""
        self.bridge.run(
            self.ctx.backend.change_visit(appointment_id, VisitChange(state="arrived")),
            on_success=lambda _visit: self.message.show_message(
                "Arrived", "The patient is on the flow board (Ctrl+5)."
            ),
            where=self,
            context="checking the patient in",
        )

    def _on_view_conflict_clicked(self, appointment_id: str) -> None:
        """The conflict list, on this appointment's conflict."""
        self.ctx.window.open_conflicts(appointment_id=appointment_id)

    def _on_view_context_menu_requested(self, appointment_id: str, where: QPoint) -> None:
        if appointment_id and (view := self.model.get(appointment_id)) and view.active:
            # Read it first: one of a series gets the series' items too.
            self.series.menu_for(appointment_id, where, self._appointment_menu)
            return
        menu = QMenu(self)
        menu.addAction("Book here…", self._on_book_triggered)
        menu.addAction("Offer this time to the waitlist…", self.offer_to_waitlist)
        menu.addAction("Find next opening…", self.open_find_opening)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        menu.popup(where)

    def _appointment_menu(self, appointment: Appointment | None, where: QPoint) -> None:
        if appointment is None:
            return
        appointment_id = appointment.id
        menu = QMenu(self)
        menu.addAction("Patient arrived", lambda: self.mark_arrived(appointment_id))
        menu.addAction("Reschedule…", lambda: self.open_reschedule(appointment_id))
        menu.addAction("Cancel appointment…", lambda: self.open_cancel(appointment_id))
        self.series.add_to_menu(menu, appointment)
        menu.addSeparator()
        menu.addAction("Find next opening…", self.open_find_opening)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.context_menu = menu
        menu.popup(where)

    # --- day sheet ---------------------------------------------------------------------------
    def _sheet_day(self) -> date:
        return self.anchor

    def export_day_sheet(self, path: Path) -> int:
        written = export_pdf(path, self.model, self._sheet_day())
        record_view("daysheet.export", object_id=self._sheet_day().isoformat())
        return written

    def _on_export_triggered(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self,
            "Export day sheet",
            f"day-sheet-{self._sheet_day().isoformat()}.pdf",
            "PDF files (*.pdf)",
        )
        if name:
            self.export_day_sheet(Path(name))
            self.message.show_message("Day sheet saved", name, level="info")

    def print_day_sheet(self) -> None:
        from frontdesk_app.ui.calendar.printing import print_day_sheet

        print_day_sheet(self, self.model, self._sheet_day())

    # --- lifecycle ---------------------------------------------------------------------------
    def shutdown(self) -> None:
        self.feed.shutdown()
        self.badges.shutdown()
        self.view.shutdown()
