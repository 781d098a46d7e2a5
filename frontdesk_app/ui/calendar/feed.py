"""Keeping the calendar's model current: the period shown, those either side, live changes.

The period shown is read from the backend, the periods on either side are read ahead, and live
changes (other desks' bookings, sync states) are applied as they come.

Reading ahead makes paging to the next or previous period a repaint, not a read: those periods
are held and kept current like the one shown, and anything further away is let go.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from PySide6.QtCore import QObject, QTimer, Signal

from frontdesk_app.domain.changes import change_of
from frontdesk_app.domain.errors import FrontDeskError, NotFound
from frontdesk_app.domain.models import Appointment, Event
from frontdesk_app.ui.calendar.eligibility_badges import EligibilityBadges
from frontdesk_app.ui.calendar.loading import SyncStates, period_window, read_period
from frontdesk_app.ui.calendar.model import AppointmentView, CalendarModel
from frontdesk_app.ui.calendar.view import CalendarView
from frontdesk_app.ui.panels import PanelContext
from frontdesk_app.ui.patients.fetch import fetch_patients
from frontdesk_app.ui.sync_status import ConflictItem, ConflictSource, SyncStatusSource

LIVE_DEBOUNCE_MS = 30
Around = Callable[[], list[list[date]]]  # the periods before and after the one shown


class CalendarFeed(QObject):
    """Fills `model` from the backend and keeps it current; the panel decides what is shown."""

    providers_loaded = Signal()
    period_loaded = Signal(int)  # appointments read for the days shown

    def __init__(
        self,
        ctx: PanelContext,
        model: CalendarModel,
        view: CalendarView,
        badges: EligibilityBadges,
        *,
        around: Around,
        parent: QObject,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.backend = ctx.backend
        self.bridge = ctx.bridge
        self.model = model
        self.view = view
        self.badges = badges
        self._around = around
        self._where = parent  # where busy indicators and errors show
        self._generation = 0
        self._dirty: set[str] = set()
        self._providers_loading = True
        self._conflict_reasons: dict[str, str] = {}
        self._conflict_count = 0
        # Ids changed while a period is read ahead (None: no read under way).
        self._ahead: set[str] | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(LIVE_DEBOUNCE_MS)
        self._live_timer.timeout.connect(self._on_live_timer_timeout)
        self._unsubscribe.append(ctx.events.subscribe(self._on_backend_events))
        if isinstance(self.backend, SyncStatusSource):
            self._unsubscribe.append(self.backend.add_state_listener(self._on_sync_state_changed))

    def start(self) -> None:
        self.bridge.run(
            self._load_providers(),
            where=self._where,
            busy="Loading providers…",
            context="loading the providers",
        )

    def shutdown(self) -> None:
        self._live_timer.stop()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()

    # --- providers ---------------------------------------------------------------------------
    async def _load_providers(self) -> None:
        try:
            providers = await self.backend.list_providers()
        finally:
            self._providers_loading = False
        if not providers:
            return  # an empty mirror before its first pull: events will bring them
        self.model.set_providers(providers)
        wanted = [p for p in self.ctx.settings.providers_shown if self.model.provider(p)]
        if wanted:
            self.model.set_shown(wanted)
        self.providers_loaded.emit()

    def _reload_providers(self) -> None:
        if not self._providers_loading:
            self._providers_loading = True
            self.bridge.run(
                self._load_providers(), where=self._where, context="loading the providers"
            )

    # --- the period shown, and those around it --------------------------------------------------
    def reload(self) -> None:
        """Read every appointment of the days in view (stale answers are dropped)."""
        self._generation += 1
        self.bridge.run(
            self._load(self._generation),
            where=self._where,
            busy="Loading the calendar…",
            context="loading the calendar",
        )

    def drop_pending(self) -> None:
        """The days shown changed to days already held: a read under way is for others."""
        self._generation += 1

    async def _load(self, generation: int) -> None:
        days = self.model.days
        start, end = self.model.window()
        views = await read_period(self.backend, start, end, reasons=self._conflict_reasons)
        if generation != self._generation:
            return
        self.model.replace_days(days, views)
        self.period_loaded.emit(len(views))
        await self.load_patients(v.patient_id for v in views)
        await self.badges.load(self.backend, (v.patient_id for v in views if v.active))
        self.read_ahead()

    def read_ahead(self) -> None:
        """Read the periods before and after the one shown, so that paging to them needs no
        read; let go of any further away."""
        around = self._around()
        self.model.forget_days(day for days in around for day in days)
        if self._ahead is None and not all(self.model.covers(days) for days in around):
            self._ahead = set()
            self.bridge.run(self._read_periods_ahead(), where=self._where)

    async def _read_periods_ahead(self) -> None:
        """One period at a time; what changed meanwhile is read again after."""
        try:
            while True:
                missing = next((d for d in self._around() if not self.model.covers(d)), None)
                if missing is None:
                    break
                start, end = period_window(missing, self.model.zone)
                views = await read_period(self.backend, start, end, reasons=self._conflict_reasons)
                self.model.replace_days(missing, views)
                self.view.lay_out_ahead(missing)
                await self.load_patients(v.patient_id for v in views)
                await self.badges.load(self.backend, (v.patient_id for v in views if v.active))
        except FrontDeskError:
            self._ahead = None
            return  # best effort: the period is read when it is shown
        except BaseException:
            self._ahead = None
            raise
        changed, self._ahead = self._ahead or set(), None
        if changed:
            await self.refresh_appointments(changed)

    async def load_patients(self, patient_ids: Iterable[str]) -> None:
        """The names of patients not known yet."""
        missing = {pid for pid in patient_ids if not self.model.has_patient(pid)}
        if missing:
            found = await fetch_patients(self.backend, missing)
            self.model.set_patient_labels({p.id: p.full_name for p in found.values()})

    # --- live updates ------------------------------------------------------------------------
    def _on_backend_events(self, events: list[Event]) -> None:
        """Apply each change as it comes: its row is in the event (`domain/changes.py`), so
        nothing is read again; an event without a readable row has it read."""
        fresh: list[Appointment] = []
        for event in events:
            change = change_of(event)
            if change is not None:
                if change.previous_id is not None:
                    # An offline booking got its server id: the temporary one is gone.
                    self._forget(change.previous_id)
                if change.appointment is None:
                    self._forget(change.appointment_id)
                else:
                    fresh.append(change.appointment)
            elif event.type.startswith("appointment."):
                try:
                    fresh.append(Appointment.model_validate(event.data))
                except ValueError:
                    identifier = event.data.get("id")
                    if isinstance(identifier, str):
                        self._dirty.add(identifier)
        for appointment in fresh:
            self.apply(appointment)
        if self._ahead is not None:
            # A period being read ahead may be read from before these changes.
            self._ahead.update(a.id for a in fresh)
        if fresh:
            self.bridge.run(
                self._names_and_badges({a.patient_id for a in fresh}),
                where=self._where,
                context="updating the calendar",
            )
        if not self.model.providers and events:
            self._reload_providers()
        if self._dirty and not self._live_timer.isActive():
            self._live_timer.start()

    def _forget(self, appointment_id: str) -> None:
        self._dirty.discard(appointment_id)
        self.model.remove(appointment_id)

    async def _names_and_badges(self, patient_ids: set[str]) -> None:
        await self.load_patients(patient_ids)
        await self.badges.load(self.backend, patient_ids)

    def _on_sync_state_changed(self, state: object) -> None:
        # Each appointment whose sync state changes comes as an event of its own (SYNC_EVENT),
        # so a draining queue costs a read per write, not one per waiting appointment per
        # write. Once nothing waits any more, those still shown as waiting are read again.
        if getattr(state, "pending", None) == 0:
            self._dirty.update(self.model.unsynced_ids())
        if not self.model.providers:
            self._reload_providers()
        conflicts = getattr(state, "conflicts", 0)
        if conflicts != self._conflict_count:
            self._conflict_count = conflicts if isinstance(conflicts, int) else 0
            self.bridge.run(
                self._load_conflict_reasons(), where=self._where, context="reading the conflicts"
            )
        if self._dirty and not self._live_timer.isActive():
            self._live_timer.start()

    async def _load_conflict_reasons(self) -> None:
        """The server's reason per conflicting appointment, for the tooltip and the sheet."""
        if not isinstance(self.backend, ConflictSource):
            return
        conflicts = [ConflictItem.from_conflict(c) for c in await self.backend.list_conflicts()]
        self._conflict_reasons = {c.appointment_id: c.reason for c in conflicts if c.appointment_id}
        for appointment_id, reason in self._conflict_reasons.items():
            self.model.set_sync_state(appointment_id, "conflict", reason)

    def _on_live_timer_timeout(self) -> None:
        ids, self._dirty = self._dirty, set()
        if self._ahead is not None:
            self._ahead.update(ids)  # a period being read ahead may have missed these
        self.bridge.run(
            self.refresh_appointments(ids), where=self._where, context="updating the calendar"
        )

    async def refresh_appointments(self, ids: Iterable[str]) -> None:
        """Re-read some appointments and put each where it now belongs (or drop it)."""
        patients: set[str] = set()
        for identifier in ids:
            try:
                appointment = await self.backend.get_appointment(identifier)
            except NotFound:
                self.model.remove(identifier)
                continue
            self.apply(appointment)
            patients.add(appointment.patient_id)
        await self._names_and_badges(patients)

    def view_of(self, appointment: Appointment) -> AppointmentView:
        """The view of an appointment, with its sync status when the backend tracks one."""
        states = SyncStates(self.backend, self._conflict_reasons, one_by_one=True)
        return states.of_appointment(appointment)

    def apply(self, appointment: Appointment) -> None:
        """Hold the appointment if it falls in the days shown or read ahead, else drop it."""
        start, end = self.model.window()
        held = self.model.covers([self.model.local_day(appointment.start_time)])
        if held or (appointment.end_time > start and appointment.start_time < end):
            self.model.upsert(self.view_of(appointment))
        else:
            self.model.remove(appointment.id)
