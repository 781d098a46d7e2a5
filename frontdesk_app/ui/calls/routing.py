"""Send a call's one-click request to the panel that does it, with the caller filled in.

A booking opens the calendar's booking dialog, a reschedule or cancel its change dialogs on
the caller's appointment, an eligibility check and a prescription lookup their panels. Panels
are found by key through the main window, so this module knows their methods, not their code.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from frontdesk_app.domain import clock
from frontdesk_app.domain.models import Patient
from frontdesk_app.ui.calendar.patient_search import PatientSearch
from frontdesk_app.ui.calls.actions import (
    BookingRequest,
    CallAction,
    CancelRequest,
    EligibilityLookup,
    NewPatientRequest,
    PrescriptionLookup,
    RescheduleRequest,
    new_patient_prefill,
)
from frontdesk_app.ui.calls.booking_fit import fit_booking
from frontdesk_app.ui.panels import PanelContext
from frontdesk_app.ui.patients.calendar_jump import Change, open_change
from frontdesk_app.ui.patients.new_patient_dialog import NewPatientDialog


class CallActionRouter:
    """`router.route(action)`: shows the right panel or dialog, prefilled, without blocking."""

    def __init__(self, ctx: PanelContext, *, where: QWidget | None = None) -> None:
        self._ctx = ctx
        self._where = where

    def route(self, action: CallAction) -> None:
        self._ctx.bridge.run(
            self.open(action), where=self._where, context="opening the caller's request"
        )

    async def open(self, action: CallAction) -> QWidget | None:
        """Open what `action` asks for; returns the dialog or panel shown (for tests)."""
        patient = (
            await self._ctx.backend.get_patient(action.patient_id) if action.patient_id else None
        )
        if isinstance(action, BookingRequest):
            return await self._book(action, patient)
        if isinstance(action, NewPatientRequest):
            return self._register(action)
        if isinstance(action, RescheduleRequest | CancelRequest):
            return await self._change(action)
        if isinstance(action, EligibilityLookup):
            return self._eligibility(action, patient)
        return self._prescriptions(action, patient)

    async def _book(self, action: BookingRequest, patient: Patient | None) -> QWidget | None:
        """The booking dialog with what fits the call: provider, free time, type, length."""
        calendar: Any = self._ctx.show_panel("calendar")
        if calendar is None:
            return None
        fit = await fit_booking(
            self._ctx.backend,
            patient_id=patient.id if patient else None,
            reason=action.reason,
            intent=action.intent,
            new_patient=action.new_patient,
            day=action.preferred_day,
            part=action.part_of_day,
            insurance_changed=action.insurance_changed,
            zone=self._ctx.zone,
            now=clock.now(),
        )
        dialog: Any = calendar.open_booking(
            provider_id=fit.provider_id, patient=patient, notes=action.notes, start=fit.start
        )
        index = dialog.type.findData(fit.appointment_type)
        if index >= 0:
            dialog.type.setCurrentIndex(index)
        dialog.duration.setValue(fit.duration_minutes)
        if fit.insurance_changed:
            dialog.message.show_message(
                "Insurance changed",
                "The caller has new insurance: check eligibility with the new card (Ctrl+2) "
                "before booking. The payer on file is out of date.",
                level="warning",
            )
        search = getattr(dialog, "patient", None)
        if patient is None and isinstance(search, PatientSearch):
            # A caller the clinic does not know: look them up by name, ready to register.
            search.suggest_new_patient(new_patient_prefill(action.context))
        shown: QWidget = dialog
        return shown

    def _register(self, action: NewPatientRequest) -> QWidget:
        """The new-patient form, prefilled from the call; then the booking the caller wants."""
        dialog = NewPatientDialog(
            self._ctx.backend,
            self._ctx.bridge,
            zone=self._ctx.zone,
            prefill=action.prefill,
            parent=self._where,
        )
        follow_up = action.then_book

        def on_chosen(patient: Patient) -> None:
            if follow_up is not None:
                self._ctx.bridge.run(
                    self._book(follow_up, patient),
                    where=self._where,
                    context="opening the caller's booking",
                )
            else:
                self._tell("Patient registered", f"{patient.full_name} is registered.")

        dialog.patient_chosen.connect(on_chosen)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    async def _change(self, action: RescheduleRequest | CancelRequest) -> QWidget | None:
        if action.appointment_id is None:
            self._tell("No upcoming appointment", "The caller has no upcoming appointment.")
            return None
        appointment = await self._ctx.backend.get_appointment(action.appointment_id)
        change: Change = "reschedule" if isinstance(action, RescheduleRequest) else "cancel"
        return await open_change(self._ctx, appointment, change)

    def _eligibility(self, action: EligibilityLookup, patient: Patient | None) -> QWidget | None:
        panel: Any = self._ctx.show_panel("eligibility")
        if panel is None:
            return None
        if patient is not None and action.insurance_changed:
            # Never the old card silently: the payer and member id wait for the new one.
            panel.prefill_changed_insurance(patient, date_of_service=action.date_of_service)
        elif patient is not None:
            panel.prefill(patient, date_of_service=action.date_of_service)
        else:
            self._search_by_name(panel, action)
        shown: QWidget = panel
        return shown

    def _prescriptions(self, action: PrescriptionLookup, patient: Patient | None) -> QWidget | None:
        panel: Any = self._ctx.show_panel("prescriptions")
        if panel is None:
            return None
        if patient is not None:
            panel.show_patient(patient, medication=action.medication)
        else:
            self._search_by_name(panel, action)
        shown: QWidget = panel
        return shown

    @staticmethod
    def _search_by_name(panel: Any, action: EligibilityLookup | PrescriptionLookup) -> None:
        """A caller the clinic could not match: start a search with the name they gave."""
        name = action.context.collected.get("patient_name")
        if isinstance(name, str) and name.strip():
            panel.picker.search_now(name)

    def _tell(self, title: str, text: str) -> None:
        message = getattr(self._where, "message", None)
        show = getattr(message, "show_message", None)
        if callable(show):
            show(title, text, level="info")
