"""What the flow board shows, computed without Qt: the day's rows, their order, how long each
patient has waited in their state, and when that wait turns amber or red.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from frontdesk_app.domain.models import Appointment
from frontdesk_app.domain.visits import LABELS, Visit, VisitState, minutes_in_state

Tone = Literal["calm", "amber", "red"]

# Minutes in a state before the wait shows amber, then red (what a busy clinic aims for).
WAIT_LIMITS: dict[VisitState, tuple[int, int]] = {
    "arrived": (10, 20),
    "in_room": (10, 20),
    "with_provider": (30, 45),
}
# A patient not arrived this long after their start is offered as a no-show (the default of
# the setting "Offer a no-show after", `Settings.no_show_grace_minutes`).
NO_SHOW_GRACE = timedelta(minutes=15)
MAX_NO_SHOW_GRACE_MINUTES = 120
# The board's order: who needs someone now first, who is done last.
ORDER: tuple[VisitState, ...] = (
    "arrived",
    "in_room",
    "with_provider",
    "scheduled",
    "checked_out",
    "no_show",
)


@dataclass(frozen=True, slots=True)
class FlowRow:
    appointment: Appointment
    visit: Visit
    patient: str
    provider: str

    @property
    def state(self) -> VisitState:
        return self.visit.state

    @property
    def label(self) -> str:
        return LABELS[self.visit.state]

    def waited(self, now: datetime) -> int | None:
        """Minutes in the current state, for the states where a wait matters."""
        if self.state not in WAIT_LIMITS:
            return None
        return minutes_in_state(self.visit, now)

    def late(self, now: datetime, grace: timedelta = NO_SHOW_GRACE) -> bool:
        """Not arrived, and past the start by more than the grace: offer a no-show."""
        return self.state == "scheduled" and now >= self.appointment.start_time + grace

    def tone(self, now: datetime, grace: timedelta = NO_SHOW_GRACE) -> Tone:
        if self.late(now, grace):
            return "amber"
        waited = self.waited(now)
        if waited is None:
            return "calm"
        amber, red = WAIT_LIMITS[self.state]
        return "red" if waited >= red else "amber" if waited >= amber else "calm"

    def waiting_text(self, now: datetime, grace: timedelta = NO_SHOW_GRACE) -> str:
        if self.late(now, grace):
            late = int((now - self.appointment.start_time).total_seconds() // 60)
            return f"{late} min late — no-show? (N)"
        waited = self.waited(now)
        return "" if waited is None else f"{waited} min"


def no_show_grace(minutes: object) -> timedelta:
    """The grace a desk chose (0–120 minutes); anything unreadable is the default."""
    try:
        chosen = int(minutes)  # type: ignore[call-overload]
    except (TypeError, ValueError):  # a hand-edited settings file
        return NO_SHOW_GRACE
    return timedelta(minutes=max(0, min(chosen, MAX_NO_SHOW_GRACE_MINUTES)))


def ordered(rows: list[FlowRow]) -> list[FlowRow]:
    return sorted(rows, key=lambda r: (ORDER.index(r.state), r.appointment.start_time))


def counts(rows: list[FlowRow]) -> str:
    """`3 waiting · 2 in rooms · 1 with a provider · 9 to come · 4 done`, for the header."""
    by_state = {state: sum(1 for r in rows if r.state == state) for state in ORDER}
    parts = [
        f"{by_state['arrived']} waiting",
        f"{by_state['in_room']} in rooms",
        f"{by_state['with_provider']} with a provider",
        f"{by_state['scheduled']} to come",
        f"{by_state['checked_out']} done",
    ]
    if by_state["no_show"]:
        parts.append(f"{by_state['no_show']} no-show")
    return " · ".join(parts)
