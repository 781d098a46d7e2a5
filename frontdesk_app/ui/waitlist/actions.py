"""What the waitlist panel does with a patient: book them into the chosen slot (an ordinary
booking naming their entry, so a slot or a patient another desk took first is said, and the
next one offered), take them off the list, put them back."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from frontdesk_app.domain.errors import (
    FrontDeskError,
    InvalidState,
    NotFound,
    ProviderUnavailable,
    SlotUnavailable,
)
from frontdesk_app.domain.models import AppointmentCreate
from frontdesk_app.domain.waitlist import FreeSlot, WaitlistEntry, WaitlistRequest

if TYPE_CHECKING:
    from frontdesk_app.ui.waitlist.panel import WaitlistPanel


class WaitlistActions:
    def __init__(self, panel: WaitlistPanel) -> None:
        self.panel = panel

    def book_selected(self) -> None:
        slot, chosen = self.panel.selected_slot(), self.panel.selected()
        if slot is None or chosen is None:
            return
        entry = chosen.entry
        request = AppointmentCreate(
            patient_id=entry.patient_id,
            provider_id=slot.provider_id,
            start_time=slot.start,
            duration_minutes=entry.duration_minutes,
            type=entry.type,
            notes=entry.notes,
            waitlist_entry_id=entry.id,
        )
        self.panel.book_button.setEnabled(False)
        self.panel.ctx.bridge.run(
            self.panel.ctx.backend.create_appointment(request),
            on_success=lambda _a: self._on_booked(slot, entry),
            on_error=lambda exc: self._on_book_refused(slot, entry, exc),
            where=self,
            context="booking from the waitlist",
        )

    def _on_booked(self, slot: FreeSlot, entry: WaitlistEntry) -> None:
        self.panel.drop_slot(slot)
        left = slot.duration_minutes - entry.duration_minutes
        if left > 0:  # the rest of the freed time stays on offer
            rest_start = slot.start + timedelta(minutes=entry.duration_minutes)
            self.panel.add_slot(FreeSlot(slot.provider_id, rest_start, left))
        self.panel.entries = [e for e in self.panel.entries if e.id != entry.id]
        self.panel.fill_slots()
        self.panel.fill()
        booked = FreeSlot(slot.provider_id, slot.start, entry.duration_minutes)
        self.panel.message.show_message(
            "Booked from the waitlist",
            f"{self.panel.patient_name(entry.patient_id)}: {self.panel.when(booked)}.",
        )
        self.panel.reload()

    def _on_book_refused(self, slot: FreeSlot, entry: WaitlistEntry, exc: BaseException) -> bool:
        if not isinstance(exc, FrontDeskError):
            return False
        if isinstance(exc, SlotUnavailable | ProviderUnavailable):
            # Another desk took the time first: the slot is gone, the patient still waits.
            self.panel.drop_slot(slot)
            self.panel.message.show_message(
                "That time was just taken",
                f"{exc.message} The patient is still on the list.",
                level="warning",
                code=exc.code,
            )
        elif isinstance(exc, InvalidState | NotFound):
            # The patient was booked (or taken off) at another desk: offer the next one.
            self.panel.entries = [e for e in self.panel.entries if e.id != entry.id]
            self.panel.fill()
            self.panel.message.show_message(
                "Already booked elsewhere",
                f"{exc.message} The next patient who fits is selected.",
                level="warning",
            )
        else:
            self.panel.message.show_error(exc)
        self.panel.reload()
        return True

    def remove_selected(self) -> None:
        chosen = self.panel.selected()
        if chosen is None:
            return
        entry = chosen.entry
        self.panel.ctx.bridge.run(
            self._set_status(entry, "removed"),
            on_success=lambda _e: self._on_removed(entry),
            on_error=self.panel.refused,
            where=self,
            context="taking a patient off the waitlist",
        )

    async def _set_status(self, entry: WaitlistEntry, status: str) -> WaitlistEntry:
        wish = set(WaitlistRequest.model_fields) - {"status"}  # the entry as asked for
        fields = entry.model_dump(include=wish)
        request = WaitlistRequest.model_validate({**fields, "status": status})
        return await self.panel.ctx.backend.save_waitlist_entry(entry.id, request)

    def _on_removed(self, entry: WaitlistEntry) -> None:
        self.panel.entries = [e for e in self.panel.entries if e.id != entry.id]
        self.panel.fill_slots()
        self.panel.fill()
        self.panel.message.show_message(
            "Taken off the waitlist",
            f"{self.panel.patient_name(entry.patient_id)} is no longer waiting.",
            action=("Put back", lambda: self._put_back(entry)),
        )

    def _put_back(self, entry: WaitlistEntry) -> None:
        self.panel.ctx.bridge.run(
            self._set_status(entry, "waiting"),
            on_success=lambda _e: self.panel.reload(),
            on_error=self.panel.refused,
            where=self,
            context="putting a patient back on the waitlist",
        )
