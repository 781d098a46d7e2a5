"""The calendar's view-model: appointments indexed by provider and clinic-local day; no Qt.

The view asks it what lies in one column and repaints only the rectangles of what changed, so
the model reports every change as the views before and after it (see `ModelChange`). It may
hold more days than it shows (`loaded_days`): the panel reads the neighbouring periods ahead,
so that paging to them needs no read at all.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import get_args
from zoneinfo import ZoneInfo

from frontdesk_app.domain.changes import SyncStatus
from frontdesk_app.domain.ids import is_temporary
from frontdesk_app.domain.models import Appointment, CalendarRow, Provider
from frontdesk_app.domain.scheduling import overlaps, working_windows

SyncStateName = SyncStatus
SYNC_STATES: tuple[SyncStateName, ...] = get_args(SyncStatus)


@dataclass(frozen=True, slots=True)
class AppointmentView:
    """What the calendar draws for one appointment, including how far it has synced."""

    id: str
    provider_id: str
    patient_id: str
    start: datetime
    end: datetime
    type: str
    status: str
    notes: str | None = None
    sync_state: SyncStateName = "synced"
    sync_message: str | None = None
    reschedule_reason: str | None = None
    series_id: str | None = None  # one of a recurring series

    @property
    def active(self) -> bool:
        return self.status != "cancelled"

    @property
    def duration_minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    @classmethod
    def from_appointment(cls, appointment: Appointment) -> AppointmentView:
        """Sync state comes from the backend when it says so (`sync_state`), else the id."""
        state, message = sync_state_of(appointment)
        return cls(
            id=appointment.id,
            provider_id=appointment.provider_id,
            patient_id=appointment.patient_id,
            start=appointment.start_time,
            end=appointment.end_time,
            type=appointment.type,
            status=appointment.status,
            notes=appointment.notes,
            sync_state=state,
            sync_message=message,
            reschedule_reason=appointment.reschedule_reason,
            series_id=appointment.series_id,
        )

    @classmethod
    def from_row(
        cls, row: CalendarRow, sync_state: SyncStateName, sync_message: str | None
    ) -> AppointmentView:
        identifier, provider_id, patient_id, start, end, kind, status, notes, reason, series = row
        return cls(
            identifier,
            provider_id,
            patient_id,
            start,
            end,
            kind,
            status,
            notes,
            sync_state,
            sync_message,
            reason,
            series,
        )


def sync_state_of(appointment: object) -> tuple[SyncStateName, str | None]:
    """The sync state an offline-first backend attaches; a temporary id means pending."""
    state = getattr(appointment, "sync_state", None)
    message = getattr(appointment, "sync_message", None)
    if isinstance(state, str) and state in SYNC_STATES:
        return state, message if isinstance(message, str) else None
    identifier = getattr(appointment, "id", "")
    if isinstance(identifier, str) and is_temporary(identifier):
        return "pending", None
    return "synced", None


@dataclass(frozen=True, slots=True)
class Column:
    """One provider on one clinic-local day."""

    provider: Provider
    day: date


@dataclass(frozen=True, slots=True)
class ModelChange:
    """`reset` redraws everything; otherwise only where `before` and `after` views lie."""

    reset: bool = False
    before: tuple[AppointmentView, ...] = ()
    after: tuple[AppointmentView, ...] = ()


Listener = Callable[[ModelChange], None]


@dataclass(slots=True)
class _Cell:
    # (start, id) of each item: the same order however they arrived, so that overlapping
    # appointments keep their lanes when one is read again.
    keys: list[tuple[datetime, str]] = field(default_factory=list)
    items: list[AppointmentView] = field(default_factory=list)
    version: int = 0  # the model's change counter when this cell last changed


class CalendarModel:
    """Providers, the days in view and the appointments in them, in the clinic's zone."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._providers: dict[str, Provider] = {}
        self._order: list[str] = []
        self._shown: list[str] = []
        self._focus: str | None = None  # one provider's week: their columns only
        self._days: list[date] = []
        self._by_id: dict[str, AppointmentView] = {}
        self._cells: dict[tuple[str, date], _Cell] = {}
        self._patients: dict[str, str] = {}
        self._listeners: list[Listener] = []
        self._loaded: set[date] = set()
        self._unsynced: set[str] = set()  # held appointments pending or in conflict
        self._version = 0
        self._show_cancelled = False

    @property
    def show_cancelled(self) -> bool:
        return self._show_cancelled

    @show_cancelled.setter
    def show_cancelled(self, shown: bool) -> None:
        # What `in_cell` answers changes for every cell: what was worked out from it is stale.
        if shown != self._show_cancelled:
            self._show_cancelled = shown
            self._version += 1
            for cell in self._cells.values():
                cell.version = self._version

    def cell_version(self, provider_id: str, day: date) -> int:
        """Changes whenever `in_cell(provider_id, day)` may answer differently (0: empty)."""
        cell = self._cells.get((provider_id, day))
        return 0 if cell is None else cell.version

    # --- listeners ---------------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(self, change: ModelChange) -> None:
        for listener in list(self._listeners):
            listener(change)

    # --- providers, days, columns -------------------------------------------------------------
    def set_providers(self, providers: Sequence[Provider]) -> None:
        self._providers = {p.id: p for p in providers}
        self._order = [p.id for p in providers]
        self._shown = [pid for pid in self._shown if pid in self._providers] or list(self._order)
        self._emit(ModelChange(reset=True))

    @property
    def providers(self) -> list[Provider]:
        return [self._providers[pid] for pid in self._order]

    def provider(self, provider_id: str) -> Provider | None:
        return self._providers.get(provider_id)

    @property
    def shown_provider_ids(self) -> list[str]:
        return list(self._shown)

    def set_shown(self, provider_ids: Iterable[str]) -> None:
        wanted = set(provider_ids)
        self._shown = [pid for pid in self._order if pid in wanted]
        self._emit(ModelChange(reset=True))

    @property
    def focus(self) -> str | None:
        """The one provider whose columns are shown (their week), or None: the chosen ones."""
        return self._focus

    def set_focus(self, provider_id: str | None) -> None:
        self._focus = provider_id if provider_id in self._providers else None
        self._emit(ModelChange(reset=True))

    @property
    def column_provider_ids(self) -> list[str]:
        """The providers with columns: the one in focus, else those chosen."""
        return [self._focus] if self._focus is not None else list(self._shown)

    @property
    def days(self) -> list[date]:
        return list(self._days)

    def set_days(self, days: Sequence[date]) -> None:
        self._days = list(days)
        self._emit(ModelChange(reset=True))

    def columns(self) -> list[Column]:
        """Day-major: every shown provider on the first day, then the next day …"""
        return [
            Column(self._providers[pid], day)
            for day in self._days
            for pid in self.column_provider_ids
            if pid in self._providers
        ]

    def window(self) -> tuple[datetime, datetime]:
        """The UTC instants covering every day in view."""
        first, last = self._days[0], self._days[-1]
        start = datetime.combine(first, datetime.min.time(), tzinfo=self.zone)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=self.zone)
        return start, end

    def local_day(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    # --- patients -----------------------------------------------------------------------------
    def patient_label(self, patient_id: str) -> str:
        return self._patients.get(patient_id, "")

    def patient_labels(self) -> dict[str, str]:
        return dict(self._patients)

    def has_patient(self, patient_id: str) -> bool:
        return patient_id in self._patients

    def set_patient_labels(self, labels: dict[str, str]) -> None:
        """Names to show; the cells showing a changed name change version, and the view is
        redrawn only if one of them is in view."""
        changed = {pid for pid, label in labels.items() if self._patients.get(pid) != label}
        if not changed:
            return
        self._patients.update(labels)
        shown, redraw = set(self._days), False
        for (_, day), cell in self._cells.items():
            if any(v.patient_id in changed for v in cell.items):
                self._version += 1
                cell.version = self._version
                redraw = redraw or day in shown
        if redraw:
            self._emit(ModelChange(reset=True))

    # --- appointments -------------------------------------------------------------------------
    def __len__(self) -> int:
        """The appointments on the days shown (every provider's)."""
        return sum(1 for _ in self._shown_views())

    def get(self, appointment_id: str) -> AppointmentView | None:
        """Any appointment held, shown or read ahead."""
        return self._by_id.get(appointment_id)

    def all(self) -> list[AppointmentView]:
        """The appointments on the days shown (every provider's)."""
        return list(self._shown_views())

    def all_held(self) -> list[AppointmentView]:
        """Every appointment held: the days shown and those read ahead."""
        return list(self._by_id.values())

    def _shown_views(self) -> Iterator[AppointmentView]:
        shown = set(self._days)
        for (_, day), cell in self._cells.items():
            if day in shown:
                yield from cell.items

    @property
    def loaded_days(self) -> set[date]:
        """The days whose appointments are all held."""
        return set(self._loaded)

    def covers(self, days: Iterable[date]) -> bool:
        return all(day in self._loaded for day in days)

    def unsynced_ids(self) -> set[str]:
        """The appointments held that are pending or in conflict."""
        return set(self._unsynced)

    def replace_all(self, views: Iterable[AppointmentView]) -> None:
        """Everything held is `views`, the appointments of the days shown."""
        self._by_id = {}
        self._cells = {}
        self._unsynced = set()
        for view in views:
            self._insert(view)
        self._loaded = set(self._days)
        self._emit(ModelChange(reset=True))

    def replace_days(self, days: Iterable[date], views: Iterable[AppointmentView]) -> None:
        """The appointments of `days` (by their start, clinic-local) are now `views`; what other
        days hold stays. Redraws only if one of `days` is shown."""
        wanted = set(days)
        for key in [key for key in self._cells if key[1] in wanted]:
            for gone in self._cells.pop(key).items:
                self._by_id.pop(gone.id, None)
                self._unsynced.discard(gone.id)
        for view in views:
            moved = self._by_id.get(view.id)
            if moved is not None:
                self._discard(moved)  # it moved in from a day outside `days`
            self._insert(view)
        self._loaded |= wanted
        if not wanted.isdisjoint(self._days):
            self._emit(ModelChange(reset=True))

    def forget_days(self, keep: Iterable[date]) -> None:
        """Let go of every day not shown and not in `keep`."""
        kept = set(keep) | set(self._days)
        for key in [key for key in self._cells if key[1] not in kept]:
            for gone in self._cells.pop(key).items:
                self._by_id.pop(gone.id, None)
                self._unsynced.discard(gone.id)
        self._loaded &= kept

    def upsert(self, view: AppointmentView) -> None:
        old = self._by_id.get(view.id)
        if old == view:
            return
        if old is not None:
            self._discard(old)
        self._insert(view)
        self._emit(ModelChange(before=(old,) if old else (), after=(view,)))

    def remove(self, appointment_id: str) -> None:
        old = self._by_id.get(appointment_id)
        if old is None:
            return
        self._discard(old)
        self._emit(ModelChange(before=(old,)))

    def set_sync_state(
        self, appointment_id: str, state: SyncStateName, message: str | None = None
    ) -> None:
        view = self._by_id.get(appointment_id)
        if view is not None:
            self.upsert(replace(view, sync_state=state, sync_message=message))

    def _insert(self, view: AppointmentView) -> None:
        self._by_id[view.id] = view
        if view.sync_state != "synced":
            self._unsynced.add(view.id)
        where = (view.provider_id, self.local_day(view.start))
        cell = self._cells.get(where)
        if cell is None:
            cell = self._cells[where] = _Cell()
        self._version += 1
        cell.version = self._version
        key = (view.start, view.id)
        if not cell.keys or cell.keys[-1] <= key:
            cell.keys.append(key)  # a load arrives by start time and id: no search needed
            cell.items.append(view)
            return
        index = bisect.bisect_right(cell.keys, key)
        cell.keys.insert(index, key)
        cell.items.insert(index, view)

    def _discard(self, view: AppointmentView) -> None:
        del self._by_id[view.id]
        self._unsynced.discard(view.id)
        cell = self._cells.get((view.provider_id, self.local_day(view.start)))
        if cell is None:
            return
        self._version += 1
        cell.version = self._version
        for index, item in enumerate(cell.items):
            if item.id == view.id:
                del cell.items[index]
                del cell.keys[index]
                break

    def in_cell(self, provider_id: str, day: date) -> list[AppointmentView]:
        """The column's appointments by start time; cancelled ones only when asked for."""
        cell = self._cells.get((provider_id, day))
        if cell is None:
            return []
        if self.show_cancelled:
            return list(cell.items)
        return [v for v in cell.items if v.active]

    # --- rules the view needs before asking the backend ------------------------------------------
    def working(self, provider_id: str, day: date) -> list[tuple[datetime, datetime]]:
        provider = self._providers.get(provider_id)
        return working_windows(provider, day) if provider else []

    def blocked(self, provider_id: str, day: date) -> list[tuple[datetime, datetime, str]]:
        provider = self._providers.get(provider_id)
        if provider is None:
            return []
        start = datetime.combine(day, datetime.min.time(), tzinfo=self.zone)
        end = start + timedelta(days=1)
        return [
            (b.start_time, b.end_time, b.reason)
            for b in provider.blocked
            if overlaps(b.start_time, b.end_time, start, end)
        ]

    def is_free(
        self, provider_id: str, start: datetime, end: datetime, *, ignore_id: str | None = None
    ) -> bool:
        """Inside working hours, clear of blocks and of the provider's other appointments."""
        day = self.local_day(start)
        if not any(w0 <= start and end <= w1 for w0, w1 in self.working(provider_id, day)):
            return False
        if any(overlaps(start, end, b0, b1) for b0, b1, _ in self.blocked(provider_id, day)):
            return False
        return not any(
            v.id != ignore_id and overlaps(start, end, v.start, v.end)
            for v in self.in_cell(provider_id, day)
            if v.active
        )

    def hours_span(self) -> tuple[int, int]:
        """The earliest start and latest end, in minutes of the day, worth showing."""
        first, last = 8 * 60, 17 * 60
        for pid in self._shown:
            provider = self._providers.get(pid)
            if provider is None:
                continue
            for ranges in provider.weekly_hours.values():
                for r in ranges:
                    first = min(first, r.start.hour * 60 + r.start.minute)
                    last = max(last, r.end.hour * 60 + r.end.minute + (1 if r.end.second else 0))
        return first, last
