"""Open an appointment's reschedule or cancel dialog on the calendar, the calendar showing it.

Used by a call's one-click actions and by the patient card: the calendar jumps to the
appointment's day and provider first, and the dialog opens once that day is loaded.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from PySide6.QtWidgets import QWidget

from frontdesk_app.domain.models import Appointment
from frontdesk_app.ui.panels import PanelContext

CALENDAR_LOAD_TIMEOUT = 10.0
Change = Literal["reschedule", "cancel"]


async def open_change(
    ctx: PanelContext, appointment: Appointment, change: Change
) -> QWidget | None:
    """Show the calendar at `appointment` and open its `change` dialog (None: no calendar)."""
    calendar: Any = ctx.show_panel("calendar")
    if calendar is None:
        return None
    opener = calendar.open_reschedule if change == "reschedule" else calendar.open_cancel
    loaded: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_loaded(_count: int) -> None:
        if not loaded.done():
            loaded.set_result(None)

    calendar.data_loaded.connect(on_loaded)
    try:
        calendar.show_instant(appointment.provider_id, appointment.start_time)
        dialog: QWidget | None = opener(appointment.id)
        if dialog is None:
            # The calendar is loading that day: open the dialog once it shows it.
            async with asyncio.timeout(CALENDAR_LOAD_TIMEOUT):
                await loaded
            dialog = opener(appointment.id)
    finally:
        calendar.data_loaded.disconnect(on_loaded)
    return dialog
