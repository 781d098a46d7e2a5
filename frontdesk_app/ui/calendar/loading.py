"""Reading a period's appointments for the calendar, as views carrying their sync state.

A backend with `calendar_rows` (the local store, the offline-first mirror) answers a busy week
in plain tuples, several times cheaper than pages of `list_appointments` models; any other
backend (the bare API client) is read page by page. The sync state of every appointment comes
from the backend in one call when it can give them all at once (`sync_statuses`), and the
views are built on a worker thread, so a week of thousands never holds up the window.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.ids import is_temporary
from frontdesk_app.domain.models import Appointment, AppointmentQuery, CalendarRow
from frontdesk_app.domain.pages import PAGE, every_appointment
from frontdesk_app.ui.calendar.model import SYNC_STATES, AppointmentView, SyncStateName
from frontdesk_app.ui.sync_status import SyncStatusLookup

MAX_PAGES = 400
_STATE_NAMES: dict[str, SyncStateName] = {name: name for name in SYNC_STATES}


@runtime_checkable
class CalendarRowSource(Protocol):
    """A backend that reads a span's appointments as `CalendarRow` tuples."""

    async def calendar_rows(self, start: datetime, end: datetime) -> Sequence[CalendarRow]: ...


@runtime_checkable
class SyncStatusMap(Protocol):
    """A backend that lists every appointment that is not synced, with its state."""

    def sync_statuses(self) -> Mapping[str, str]: ...


class SyncStates:
    """The backend's word on each appointment's sync state, asked once per read.

    Without a syncing backend a temporary id means pending. With one, its answer wins, and
    a conflict carries the server's reason (`reasons`, by appointment id). `one_by_one` asks
    per appointment (`sync_status`) rather than for every state at once: for a few views.
    """

    def __init__(
        self, backend: Backend, reasons: Mapping[str, str], *, one_by_one: bool = False
    ) -> None:
        self._reasons = reasons
        self._all: Mapping[str, str] | None = None
        self._one: SyncStatusLookup | None = None
        if one_by_one and isinstance(backend, SyncStatusLookup):
            # A few appointments (live changes): one look-up each, never the whole map of
            # every waiting write (thousands while a queue drains).
            self._one = backend
        elif isinstance(backend, SyncStatusMap):
            self._all = backend.sync_statuses()
        elif isinstance(backend, SyncStatusLookup):
            self._one = backend

    def _told(self, appointment_id: str) -> str | None:
        if self._all is not None:
            return self._all.get(appointment_id, "synced")
        if self._one is not None:
            return self._one.sync_status(appointment_id)
        return None

    def of_row(self, row: CalendarRow) -> AppointmentView:
        appointment_id = row[0]
        derived: SyncStateName = "pending" if is_temporary(appointment_id) else "synced"
        told = _STATE_NAMES.get(self._told(appointment_id) or "")
        if told is None or told == derived:
            return AppointmentView.from_row(row, derived, None)
        return AppointmentView.from_row(row, told, self._reasons.get(appointment_id))

    def of_appointment(self, appointment: Appointment) -> AppointmentView:
        view = AppointmentView.from_appointment(appointment)
        told = _STATE_NAMES.get(self._told(appointment.id) or "")
        if told is None or told == view.sync_state:
            return view
        return replace(view, sync_state=told, sync_message=self._reasons.get(view.id))


def period_window(days: Sequence[date], zone: ZoneInfo) -> tuple[datetime, datetime]:
    """From the first day's midnight to the midnight after the last, clinic-local."""
    start = datetime.combine(days[0], time(0), tzinfo=zone)
    end = datetime.combine(days[-1] + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


async def read_period(
    backend: Backend, start: datetime, end: datetime, *, reasons: Mapping[str, str]
) -> list[AppointmentView]:
    """Every appointment intersecting [start, end), by start time."""
    if isinstance(backend, CalendarRowSource):
        rows = await backend.calendar_rows(start, end)
        states = SyncStates(backend, reasons)  # after the read: the freshest word on each
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, lambda: [states.of_row(row) for row in rows])
    query = AppointmentQuery(start=start, end=end, limit=PAGE)
    found = await every_appointment(backend, query, max_pages=MAX_PAGES)
    states = SyncStates(backend, reasons)
    return [states.of_appointment(a) for a in found]
