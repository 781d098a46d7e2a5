"""An appointment in words: its tooltip and the view's accessible description.

The description is what a screen reader reads when the appointment is selected.
"""

from __future__ import annotations

from frontdesk_app.ui.calendar import palette
from frontdesk_app.ui.calendar.cards import Badge
from frontdesk_app.ui.calendar.model import AppointmentView, CalendarModel

STATUS_WORDS = {"confirmed": "", "rescheduled": "rescheduled", "cancelled": "cancelled"}
SERIES_WORDS = "one of a recurring series"


def describe(model: CalendarModel, view: AppointmentView, badge: Badge | None) -> str:
    """When, what, who with whom, its status, whether it recurs, its sync state and its
    insurance badge."""
    zone = model.zone
    provider = model.provider(view.provider_id)
    sync = {
        "pending": "waiting to sync",
        "conflict": "conflict: " + (view.sync_message or "refused by the server"),
    }
    parts = [
        f"{view.start.astimezone(zone):%a %d %b %H:%M}–{view.end.astimezone(zone):%H:%M}",
        palette.type_style(view.type).label,
        model.patient_label(view.patient_id) or "patient",
        provider.name if provider else "",
        STATUS_WORDS.get(view.status, view.status),
        SERIES_WORDS if view.series_id else "",
        sync.get(view.sync_state, ""),
        badge.text if badge else "",
    ]
    return ", ".join(part for part in parts if part)


def tooltip(model: CalendarModel, view: AppointmentView, badge: Badge | None) -> str:
    """The description, and the appointment's notes on a line of their own."""
    text = describe(model, view, badge)
    return f"{text}\nNotes: {view.notes}" if view.notes else text
