"""The calendar's eligibility badge: each appointment's latest state, from the window's checks.

States follow the eligibility panel's rules (`eligibility_state_for`, here by patient and day
through `CheckHistory.state_on`) over the window's one `CheckHistory`, which the panel's checks
and "check tomorrow's appointments" fill as they finish. Painting asks for a badge per visible
appointment per frame, so each is worked out once and kept until a check of that patient
arrives or the minute turns (an answer ages into "stale" by the clock alone).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QColor

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.domain.models import EligibilityResult
from frontdesk_app.domain.timeutil import utc_now
from frontdesk_app.ui.calendar.cards import Badge, BadgeShape
from frontdesk_app.ui.calendar.model import AppointmentView
from frontdesk_app.ui.calendar.view import CalendarView
from frontdesk_app.ui.eligibility import CheckHistory, EligibilityState
from frontdesk_app.ui.eligibility.state import MEMBER_ID_PROBLEMS, format_age

# A patient's newest few checks decide every badge of theirs that is not "unknown".
BADGE_HISTORY = 10
LOAD_CONCURRENCY = 4
# A day's batch finishes a check every few milliseconds: repaint once per burst, not per check.
REPAINT_DEBOUNCE_MS = 40


@dataclass(frozen=True, slots=True)
class BadgeStyle:
    colour: QColor
    shape: BadgeShape
    legend: str


BADGE_STYLES: dict[EligibilityState, BadgeStyle] = {
    "eligible": BadgeStyle(QColor("#2e7d46"), "dot", "Eligible"),
    "not_eligible": BadgeStyle(QColor("#c0392b"), "diamond", "Not eligible"),
    "stale": BadgeStyle(QColor("#b7791f"), "half", "Check again"),
    "unknown": BadgeStyle(QColor("#98a4b0"), "ring", "Not checked"),
}


@runtime_checkable
class KnownChecks(Protocol):
    """`OfflineFirstBackend`: the checks it kept, read without asking the API."""

    async def cached_eligibility_checks(self, patient_id: str) -> object: ...


def badge_text(
    state: EligibilityState, latest: EligibilityResult | None, service_day: date, now: datetime
) -> str:
    """What the tooltip and a screen reader say about an appointment's insurance."""
    if state == "unknown" or latest is None:
        return "Insurance: not checked yet"
    age = format_age(now - latest.verified_at)
    if latest.reason in MEMBER_ID_PROBLEMS and latest.date_of_service == service_day:
        return f"Insurance: member ID not found at {latest.payer} (checked {age}); check the card"
    if state == "eligible":
        return f"Insurance: eligible (checked {age})"
    if state == "not_eligible":
        return f"Insurance: not eligible (checked {age})"
    if latest.date_of_service != service_day:
        return f"Insurance: last checked for another date ({age}); check again"
    return f"Insurance: checked {age}; check again"


class EligibilityBadges:
    """Badges for the calendar's appointments, and loading the histories they come from."""

    def __init__(
        self,
        history: CheckHistory,
        zone: ZoneInfo,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.history = history
        self._zone = zone
        self._clock = clock
        # patient → appointment start → badge; a patient's entries go when they get a check.
        self._cache: dict[str, dict[datetime, Badge]] = {}
        self._minute = -1
        self._loaded: set[str] = set()
        self._listeners: list[Callable[[str], None]] = []
        self._unsubscribe = history.add_listener(self._on_history_added)

    def close(self) -> None:
        self._unsubscribe()
        self._listeners.clear()

    def add_listener(self, listener: Callable[[str], None]) -> None:
        """`listener(patient_id)` when a patient's badges may have changed."""
        self._listeners.append(listener)

    # --- what the view paints -----------------------------------------------------------------

    def badge(self, view: AppointmentView) -> Badge | None:
        """The appointment's badge (none for a cancelled one): two dict look-ups once cached."""
        if not view.active:
            return None
        minute = int(self._clock().timestamp() // 60)
        if minute != self._minute:
            self._cache.clear()
            self._minute = minute
        by_start = self._cache.get(view.patient_id)
        if by_start is None:
            by_start = self._cache[view.patient_id] = {}
        found = by_start.get(view.start)
        if found is None:
            day = view.start.astimezone(self._zone).date()
            found = by_start[view.start] = self._work_out(view.patient_id, day, self._clock())
        return found

    def state(self, view: AppointmentView) -> EligibilityState:
        return self.history.state_on(
            view.patient_id, view.start.astimezone(self._zone).date(), now=self._clock()
        )

    def _work_out(self, patient_id: str, day: date, now: datetime) -> Badge:
        state = self.history.state_on(patient_id, day, now=now)
        checks = self.history.for_patient(patient_id)
        latest = next((c for c in checks if c.date_of_service == day), None)
        style = BADGE_STYLES[state]
        text = badge_text(state, latest or (checks[0] if checks else None), day, now)
        return Badge(text, style.colour, style.shape)

    def _on_history_added(self, result: EligibilityResult) -> None:
        self._cache.pop(result.patient_id, None)
        for listener in list(self._listeners):
            listener(result.patient_id)

    # --- where the checks come from -----------------------------------------------------------

    async def load(self, backend: Backend, patient_ids: Iterable[str]) -> None:
        """Bring the earlier checks of patients not seen yet this session into the history.

        An offline-first backend answers from what it kept (no request per patient to the
        API); the panel's own lookups and checks keep that current.
        """
        wanted = [p for p in dict.fromkeys(patient_ids) if p not in self._loaded]
        self._loaded.update(wanted)
        gate = asyncio.Semaphore(LOAD_CONCURRENCY)

        async def one(patient_id: str) -> None:
            async with gate:
                try:
                    checks = await known_checks(backend, patient_id)
                except FrontDeskError:
                    self._loaded.discard(patient_id)  # asked again on the next load
                    return
            for check in checks:
                self.history.add(check)

        await asyncio.gather(*(one(p) for p in wanted))


async def known_checks(backend: Backend, patient_id: str) -> list[EligibilityResult]:
    """The patient's newest checks this desk can know of without a request per patient."""
    if isinstance(backend, KnownChecks):
        cached = await backend.cached_eligibility_checks(patient_id)
        value = getattr(cached, "value", None)
        return list(value)[:BADGE_HISTORY] if isinstance(value, list) else []
    return await backend.list_eligibility_checks(patient_id, limit=BADGE_HISTORY)


class CalendarBadges(QObject):
    """Puts `EligibilityBadges` on a `CalendarView`: paints them, and repaints (once per burst
    of checks) when one of the patients in view gets a new answer."""

    def __init__(
        self,
        view: CalendarView,
        history: CheckHistory,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(view)
        self.view = view
        self.badges = EligibilityBadges(history, view.model.zone, clock=clock)
        self._changed: set[str] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REPAINT_DEBOUNCE_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self.badges.add_listener(self._on_badges_changed)
        view.set_badge_provider(self.badges.badge)

    def shutdown(self) -> None:
        self._timer.stop()
        self.badges.close()
        self.view.set_badge_provider(None)

    def _on_badges_changed(self, patient_id: str) -> None:
        self._changed.add(patient_id)
        if not self._timer.isActive():
            self._timer.start()

    def _on_timer_timeout(self) -> None:
        changed, self._changed = self._changed, set()
        if any(v.patient_id in changed for v in self.view.model.all()):
            self.view.refresh_cards()
            self.view.describe_selection()
