"""Moving appointments in the calendar: drag and drop, the reschedule dialog's result, and undo.

A drag shows the move at once as pending and sends the reschedule; the server's refusal puts it
back. Every move made here (dragged, or from the reschedule dialog) is remembered for a minute:
Ctrl+Z, or "Undo" on the "Moved" message, sends it back to where it was through the same write
path — so it works offline too.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from frontdesk_app.domain.models import AppointmentReschedule, RescheduleResult
from frontdesk_app.ui.calendar.model import AppointmentView
from frontdesk_app.ui.calendar.undo import MoveHistory

if TYPE_CHECKING:
    from frontdesk_app.ui.calendar.panel import CalendarPanel

MOVED_MESSAGE_MS = 10_000  # the "Moved" message (and its Undo) fades; Ctrl+Z works for a minute
DRAG_REASON = "Moved in the calendar"
UNDO_REASON = "Move undone in the calendar"


class CalendarMoves(QObject):
    """The panel's moves and their undo."""

    def __init__(self, panel: CalendarPanel) -> None:
        super().__init__(panel)
        self.panel = panel
        self.history = MoveHistory()

    def reschedule_to(
        self,
        appointment_id: str,
        new_start: datetime,
        *,
        minutes: int | None = None,
        undoing: bool = False,
    ) -> None:
        """Show the move at once as pending and send it; put it back if the server refuses."""
        panel = self.panel
        view = panel.model.get(appointment_id)
        if view is None:
            return
        length = view.end - view.start if minutes is None else timedelta(minutes=minutes)
        panel.model.upsert(
            replace(view, start=new_start, end=new_start + length, sync_state="pending")
        )

        def refused(exc: BaseException) -> bool:
            panel.model.upsert(view)
            return False  # the error sink shows the reason in this panel

        def moved(result: RescheduleResult) -> None:
            # The write's change notification brings the appointment as it now is.
            if undoing:
                self._say("Move undone", result, view)
            else:
                self.remember(result, view)

        panel.bridge.run(
            panel.backend.reschedule_appointment(
                appointment_id,
                AppointmentReschedule(
                    new_start_time=new_start,
                    # Always said when given: the calendar may not show the length the move
                    # set yet (it reads it back a moment later).
                    new_duration_minutes=minutes,
                    reason=UNDO_REASON if undoing else DRAG_REASON,
                ),
            ),
            on_success=moved,
            on_error=refused,
            where=panel,
            busy="Putting it back…" if undoing else "Rescheduling…",
            context="moving an appointment",
        )

    def remember(self, result: RescheduleResult, before: AppointmentView) -> None:
        """A move made here (dragged, or the reschedule dialog's): it can be undone a minute."""
        self.history.record(result.id, before.start, before.duration_minutes, result.new_start_time)
        self.panel.toolbar.undo.setEnabled(True)
        self._say("Moved", result, before, undo=True)

    def undo(self) -> bool:
        """Put the last move back (within a minute of it); False when there is none."""
        move = self.history.take()
        self.panel.toolbar.undo.setEnabled(False)
        if move is None:
            self.panel.message.show_message(
                "Nothing to undo", "Only a move made in the last minute can be undone."
            )
            return False
        self.reschedule_to(
            move.appointment_id, move.before, minutes=move.before_minutes, undoing=True
        )
        return True

    def forget(self, appointment_id: str) -> None:
        self.history.forget(appointment_id)
        self.panel.toolbar.undo.setEnabled(self.history.last() is not None)

    def _say(
        self, title: str, result: RescheduleResult, before: AppointmentView, *, undo: bool = False
    ) -> None:
        panel = self.panel
        zone = panel.zone
        provider = panel.model.provider(result.provider_id)
        old = before.start.astimezone(zone)
        new = result.new_start_time.astimezone(zone)
        when = f"{new:%a %d %b %H:%M}" if new.date() != old.date() else f"{new:%H:%M}"
        text = f"{old:%a %d %b %H:%M} → {when}"
        if provider is not None:
            text += f" with {provider.name}"
        panel.message.show_message(
            title,
            text,
            level="info",
            timeout_ms=MOVED_MESSAGE_MS,
            action=("Undo", self._on_undo_clicked) if undo else None,
        )

    def _on_undo_clicked(self) -> None:
        self.undo()
