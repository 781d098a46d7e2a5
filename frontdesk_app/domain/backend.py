"""`Backend`: every operation of the FrontDeskOS API the desk uses, as one async interface.

Three implementations share it: `LocalBackend` (embedded SQLite), `ApiBackend` (HTTP) and
`OfflineFirstBackend` (what the UI holds). It lives in `domain` so that `api` and `local`, which
must not know each other, can both implement it. Refusals raise `domain.errors` classes.
Every write takes an optional `idempotency_key`: a retry with the same key never acts twice.
"""

from __future__ import annotations

import abc
from datetime import date, datetime

from frontdesk_app.domain.models import (
    Agent,
    AgentStatus,
    Appointment,
    AppointmentCancel,
    AppointmentCreate,
    AppointmentQuery,
    AppointmentReschedule,
    Availability,
    Call,
    CallStatus,
    CancelResult,
    EligibilityRequest,
    EligibilityResult,
    Event,
    Notification,
    Page,
    Patient,
    PatientCreate,
    Payer,
    Prescription,
    Provider,
    RescheduleResult,
    SimulatedCallRequest,
    Transfer,
    TransferCompletion,
    TransferRequest,
    TransferStatus,
)
from frontdesk_app.domain.series import (
    Series,
    SeriesCancel,
    SeriesCancelResult,
    SeriesCheck,
    SeriesCheckRequest,
    SeriesCreate,
    SeriesReschedule,
    SeriesRescheduleResult,
)
from frontdesk_app.domain.visits import Visit, VisitChange
from frontdesk_app.domain.waitlist import WaitlistEntry, WaitlistRequest, WaitlistStatus


class Backend(abc.ABC):
    """The desk's view of a FrontDeskOS clinic. All methods are coroutines."""

    # --- appointments ---
    @abc.abstractmethod
    async def create_appointment(
        self, request: AppointmentCreate, *, idempotency_key: str | None = None
    ) -> Appointment: ...

    @abc.abstractmethod
    async def reschedule_appointment(
        self,
        appointment_id: str,
        request: AppointmentReschedule,
        *,
        idempotency_key: str | None = None,
    ) -> RescheduleResult: ...

    @abc.abstractmethod
    async def cancel_appointment(
        self,
        appointment_id: str,
        request: AppointmentCancel,
        *,
        idempotency_key: str | None = None,
    ) -> CancelResult: ...

    @abc.abstractmethod
    async def get_appointment(self, appointment_id: str) -> Appointment: ...

    @abc.abstractmethod
    async def list_appointments(self, query: AppointmentQuery) -> Page[Appointment]: ...

    # --- recurring series (`domain/series.py`): each write books or cancels all, or none ---
    @abc.abstractmethod
    async def check_series(self, request: SeriesCheckRequest) -> SeriesCheck:
        """Every start of the rule: bookable, or why not with the nearest free starts."""

    @abc.abstractmethod
    async def save_series(
        self, series_id: str, request: SeriesCreate, *, idempotency_key: str | None = None
    ) -> Series:
        """Book the series under the desk's id (`ser_…`): every start, or none."""

    @abc.abstractmethod
    async def get_series(self, series_id: str) -> Series: ...

    @abc.abstractmethod
    async def cancel_series(
        self, series_id: str, request: SeriesCancel, *, idempotency_key: str | None = None
    ) -> SeriesCancelResult:
        """Cancel the series' appointments still to come, or this one and the following."""

    @abc.abstractmethod
    async def reschedule_series(
        self, series_id: str, request: SeriesReschedule, *, idempotency_key: str | None = None
    ) -> SeriesRescheduleResult:
        """Move them to another time of day: still to come, or this one and the following."""

    # --- visits: where a booked patient is on the day (`domain/visits.py`) ---
    @abc.abstractmethod
    async def change_visit(
        self, appointment_id: str, request: VisitChange, *, idempotency_key: str | None = None
    ) -> Visit: ...

    @abc.abstractmethod
    async def get_visit(self, appointment_id: str) -> Visit: ...

    @abc.abstractmethod
    async def list_visits(self, start: datetime, end: datetime) -> list[Visit]:
        """The visits that moved, of the appointments starting in [start, end)."""

    # --- the waitlist (`domain/waitlist.py`); booking one: `create_appointment` naming it ---
    @abc.abstractmethod
    async def save_waitlist_entry(
        self, entry_id: str, request: WaitlistRequest, *, idempotency_key: str | None = None
    ) -> WaitlistEntry:
        """Create or replace the entry with the desk's id (`wl_…`); removing is a save with
        status `removed`."""

    @abc.abstractmethod
    async def get_waitlist_entry(self, entry_id: str) -> WaitlistEntry: ...

    @abc.abstractmethod
    async def list_waitlist(self, status: WaitlistStatus | None = "waiting") -> list[WaitlistEntry]:
        """Entries in that status (None: all), longest waiting first."""

    # --- directory ---
    @abc.abstractmethod
    async def list_providers(self) -> list[Provider]: ...

    @abc.abstractmethod
    async def get_provider(self, provider_id: str) -> Provider: ...

    @abc.abstractmethod
    async def provider_availability(
        self, provider_id: str, day: date, duration_minutes: int
    ) -> Availability: ...

    @abc.abstractmethod
    async def search_patients(
        self, q: str | None = None, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Patient]: ...

    @abc.abstractmethod
    async def get_patient(self, patient_id: str) -> Patient: ...

    @abc.abstractmethod
    async def create_patient(
        self, request: PatientCreate, *, idempotency_key: str | None = None
    ) -> Patient:
        """Register a patient; `PossibleDuplicate` names likely duplicates (by id) instead,
        unless `request.allow_duplicate`."""

    @abc.abstractmethod
    async def list_payers(self) -> list[Payer]: ...

    # --- eligibility and prescriptions ---
    @abc.abstractmethod
    async def check_eligibility(
        self, request: EligibilityRequest, *, idempotency_key: str | None = None
    ) -> EligibilityResult: ...

    @abc.abstractmethod
    async def list_eligibility_checks(
        self, patient_id: str, *, limit: int = 20
    ) -> list[EligibilityResult]:
        """The patient's earlier eligibility answers, newest first (at most `limit`)."""

    @abc.abstractmethod
    async def get_prescription(self, prescription_id: str) -> Prescription: ...

    @abc.abstractmethod
    async def list_prescriptions(
        self, patient_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Prescription]: ...

    # --- calls, agents, transfers ---
    @abc.abstractmethod
    async def list_calls(self, status: CallStatus | None = None) -> list[Call]: ...

    @abc.abstractmethod
    async def get_call(self, call_id: str) -> Call: ...

    @abc.abstractmethod
    async def transfer_call(
        self, call_id: str, request: TransferRequest, *, idempotency_key: str | None = None
    ) -> Transfer: ...

    @abc.abstractmethod
    async def list_agents(self) -> list[Agent]: ...

    @abc.abstractmethod
    async def set_agent_status(self, agent_id: str, status: AgentStatus) -> Agent: ...

    @abc.abstractmethod
    async def list_transfers(
        self, *, agent_id: str | None = None, status: TransferStatus | None = None
    ) -> list[Transfer]: ...

    @abc.abstractmethod
    async def accept_transfer(
        self, transfer_id: str, agent_id: str, *, idempotency_key: str | None = None
    ) -> Transfer: ...

    @abc.abstractmethod
    async def decline_transfer(
        self, transfer_id: str, agent_id: str, *, idempotency_key: str | None = None
    ) -> Transfer:
        """The agent a call is offered to passes it on now: to the next available agent, or
        back to the queue (`transfer.offer_expired` with `reason: "declined"`)."""

    @abc.abstractmethod
    async def complete_transfer(
        self,
        transfer_id: str,
        request: TransferCompletion,
        *,
        idempotency_key: str | None = None,
    ) -> Transfer: ...

    # --- events and the sandbox's extras ---
    @abc.abstractmethod
    async def list_events(self, *, after: int = 0, limit: int = 100) -> Page[Event]: ...

    @abc.abstractmethod
    async def simulate_call(
        self, request: SimulatedCallRequest, *, idempotency_key: str | None = None
    ) -> Call: ...

    @abc.abstractmethod
    async def list_notifications(
        self, *, appointment_id: str | None = None
    ) -> list[Notification]: ...

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Release connections and threads; the backend is unusable afterwards."""
