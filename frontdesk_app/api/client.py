"""`ApiBackend`: the `Backend` interface over the FrontDeskOS HTTP API (also the Python SDK).

Each operation is one route of API.md: arguments become a path, a query or a JSON body, and the
answer is parsed into the domain's models. Sending (auth, pacing, retries, typed errors) is the
`HttpSession`'s job; the live event feed is `EventStream`'s.

    async with ApiBackend(base_url=url, credentials=ApiKey(key)) as api:
        providers = await api.list_providers()
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import pydantic

from frontdesk_app.api.auth import Credentials
from frontdesk_app.api.environments import ENVIRONMENT_URLS
from frontdesk_app.api.errors import ProtocolError
from frontdesk_app.api.events import EventStream
from frontdesk_app.api.http import DEFAULT_TIMEOUT, HttpSession, Params, new_idempotency_key
from frontdesk_app.api.observable import Observable
from frontdesk_app.api.ratelimit import RateBudget
from frontdesk_app.api.retry import RetryPolicy
from frontdesk_app.domain.backend import Backend
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

M = TypeVar("M", bound=pydantic.BaseModel)

# A whole list is fetched page by page; this bounds the loop if a server kept sending cursors.
_MAX_PAGES = 1000


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _seg(value: str) -> str:
    """An id as one path segment: a `/` or `?` in it cannot reach another route."""
    return quote(value, safe="")


def _parse(model: type[M], response: httpx.Response) -> M:
    try:
        return model.model_validate_json(response.content)
    except pydantic.ValidationError:
        # The validation text would quote the body (patient data): name the model only.
        raise ProtocolError(f"the server's answer is not a valid {model.__name__}") from None


def _body(model: pydantic.BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)


class ApiBackend(Backend):
    """The FrontDeskOS API as a `Backend`; one `httpx.AsyncClient`, closed by `aclose()`.

    `base_url` is `https://…` (or `http://` on loopback only); `credentials` an `ApiKey` or an
    `OAuthClient`. `transport` replaces httpx's network transport (tests pass a
    `MockTransport` or an `ASGITransport`). `timeout` bounds each try, `retry.deadline` each
    call; `max_in_flight` caps concurrent requests; `rate_window` is the period the server's
    `X-RateLimit-Limit` counts over when its reset header gives no better evidence.
    """

    def __init__(
        self,
        *,
        base_url: str,
        credentials: Credentials,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_in_flight: int = 6,
        retry: RetryPolicy | None = None,
        rate_window: float = 60.0,
    ) -> None:
        self._session = HttpSession(
            base_url=base_url,
            credentials=credentials,
            transport=transport,
            timeout=timeout,
            max_in_flight=max_in_flight,
            retry=retry,
            rate_window=rate_window,
        )

    @classmethod
    def for_environment(
        cls, environment: str, *, credentials: Credentials, **options: Any
    ) -> ApiBackend:
        """The client for `"production"` or `"sandbox"` (the hosted one)."""
        try:
            base_url = ENVIRONMENT_URLS[environment]
        except KeyError:
            raise ValueError(f"unknown environment {environment!r}") from None
        return cls(base_url=base_url, credentials=credentials, **options)

    @property
    def base_url(self) -> str:
        return str(self._session.base_url)

    @property
    def rate_budget(self) -> Observable[RateBudget]:
        """The credential's rate budget as last reported; `subscribe` to follow it."""
        return self._session.limiter.budget

    @property
    def session(self) -> HttpSession:
        """The sending layer (its `client`, `limiter` and `auth`), for diagnostics and tests."""
        return self._session

    def events(self, after_seq: int = 0, **options: Any) -> EventStream:
        """Every event with a seq above `after_seq`, live, resuming across disconnects."""
        return EventStream(self._session, after_seq=after_seq, **options)

    async def __aenter__(self) -> ApiBackend:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._session.aclose()

    # --- plumbing -------------------------------------------------------------------------

    async def _get(
        self, model: type[M], path: str, params: Params | None = None, *, label: str
    ) -> M:
        return _parse(model, await self._session.request("GET", path, params=params, label=label))

    async def _post(
        self, model: type[M], path: str, body: dict[str, Any], key: str | None, *, label: str
    ) -> M:
        response = await self._session.request(
            "POST", path, json=body, idempotency_key=key, label=label
        )
        return _parse(model, response)

    async def _put(
        self, model: type[M], path: str, body: dict[str, Any], key: str | None, *, label: str
    ) -> M:
        response = await self._session.request(
            "PUT", path, json=body, idempotency_key=key, label=label
        )
        return _parse(model, response)

    async def _all(
        self, model: type[M], path: str, params: Params | None = None, *, label: str
    ) -> list[M]:
        items: list[M] = []
        query: dict[str, str | int | None] = dict(params or {})
        for _ in range(_MAX_PAGES):
            page = await self._get(Page[model], path, query, label=label)  # type: ignore[valid-type]
            items.extend(page.data)
            if not page.next_cursor:
                return items
            query["cursor"] = page.next_cursor
        raise ProtocolError(f"{label} kept answering with more pages")

    # --- appointments ---------------------------------------------------------------------

    async def create_appointment(
        self, request: AppointmentCreate, *, idempotency_key: str | None = None
    ) -> Appointment:
        return await self._post(
            Appointment,
            "/v1/appointments",
            _body(request),
            idempotency_key,
            label="/v1/appointments",
        )

    async def reschedule_appointment(
        self,
        appointment_id: str,
        request: AppointmentReschedule,
        *,
        idempotency_key: str | None = None,
    ) -> RescheduleResult:
        return await self._post(
            RescheduleResult,
            f"/v1/appointments/{_seg(appointment_id)}/reschedule",
            _body(request),
            idempotency_key,
            label="/v1/appointments/{id}/reschedule",
        )

    async def cancel_appointment(
        self,
        appointment_id: str,
        request: AppointmentCancel,
        *,
        idempotency_key: str | None = None,
    ) -> CancelResult:
        return await self._post(
            CancelResult,
            f"/v1/appointments/{_seg(appointment_id)}/cancel",
            _body(request),
            idempotency_key,
            label="/v1/appointments/{id}/cancel",
        )

    async def get_appointment(self, appointment_id: str) -> Appointment:
        return await self._get(
            Appointment,
            f"/v1/appointments/{_seg(appointment_id)}",
            label="/v1/appointments/{id}",
        )

    async def list_appointments(self, query: AppointmentQuery) -> Page[Appointment]:
        params: dict[str, str | int | None] = query.model_dump(mode="json", exclude_none=True)
        return await self._get(
            Page[Appointment], "/v1/appointments", params, label="/v1/appointments"
        )

    # --- visits ---------------------------------------------------------------------------

    async def change_visit(
        self, appointment_id: str, request: VisitChange, *, idempotency_key: str | None = None
    ) -> Visit:
        return await self._post(
            Visit,
            f"/v1/appointments/{_seg(appointment_id)}/visit",
            _body(request),
            idempotency_key,
            label="/v1/appointments/{id}/visit",
        )

    async def get_visit(self, appointment_id: str) -> Visit:
        return await self._get(
            Visit,
            f"/v1/appointments/{_seg(appointment_id)}/visit",
            label="/v1/appointments/{id}/visit",
        )

    async def list_visits(self, start: datetime, end: datetime) -> list[Visit]:
        params = {"start": _instant(start), "end": _instant(end)}
        return await self._all(Visit, "/v1/visits", params, label="/v1/visits")

    # --- recurring series -----------------------------------------------------------------

    async def check_series(self, request: SeriesCheckRequest) -> SeriesCheck:
        # A question, not a write: a fresh key each time (the server keys every POST).
        return await self._post(
            SeriesCheck, "/v1/series/check", _body(request), None, label="/v1/series/check"
        )

    async def save_series(
        self, series_id: str, request: SeriesCreate, *, idempotency_key: str | None = None
    ) -> Series:
        return await self._put(
            Series,
            f"/v1/series/{_seg(series_id)}",
            _body(request),
            idempotency_key or new_idempotency_key(),
            label="/v1/series/{id}",
        )

    async def get_series(self, series_id: str) -> Series:
        return await self._get(Series, f"/v1/series/{_seg(series_id)}", label="/v1/series/{id}")

    async def cancel_series(
        self, series_id: str, request: SeriesCancel, *, idempotency_key: str | None = None
    ) -> SeriesCancelResult:
        return await self._post(
            SeriesCancelResult,
            f"/v1/series/{_seg(series_id)}/cancel",
            _body(request),
            idempotency_key,
            label="/v1/series/{id}/cancel",
        )

    async def reschedule_series(
        self, series_id: str, request: SeriesReschedule, *, idempotency_key: str | None = None
    ) -> SeriesRescheduleResult:
        return await self._post(
            SeriesRescheduleResult,
            f"/v1/series/{_seg(series_id)}/reschedule",
            _body(request),
            idempotency_key,
            label="/v1/series/{id}/reschedule",
        )

    # --- the waitlist ---------------------------------------------------------------------

    async def save_waitlist_entry(
        self, entry_id: str, request: WaitlistRequest, *, idempotency_key: str | None = None
    ) -> WaitlistEntry:
        return await self._put(
            WaitlistEntry,
            f"/v1/waitlist/{_seg(entry_id)}",
            _body(request),
            idempotency_key or new_idempotency_key(),
            label="/v1/waitlist/{id}",
        )

    async def get_waitlist_entry(self, entry_id: str) -> WaitlistEntry:
        return await self._get(
            WaitlistEntry, f"/v1/waitlist/{_seg(entry_id)}", label="/v1/waitlist/{id}"
        )

    async def list_waitlist(self, status: WaitlistStatus | None = "waiting") -> list[WaitlistEntry]:
        params = {"status": status or "all"}
        return await self._all(WaitlistEntry, "/v1/waitlist", params, label="/v1/waitlist")

    # --- directory ------------------------------------------------------------------------

    async def list_providers(self) -> list[Provider]:
        return await self._all(Provider, "/v1/providers", label="/v1/providers")

    async def get_provider(self, provider_id: str) -> Provider:
        return await self._get(
            Provider, f"/v1/providers/{_seg(provider_id)}", label="/v1/providers/{id}"
        )

    async def provider_availability(
        self, provider_id: str, day: date, duration_minutes: int
    ) -> Availability:
        return await self._get(
            Availability,
            f"/v1/providers/{_seg(provider_id)}/availability",
            {"date": day.isoformat(), "duration_minutes": duration_minutes},
            label="/v1/providers/{id}/availability",
        )

    async def search_patients(
        self, q: str | None = None, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Patient]:
        params: Params = {"q": q or None, "limit": limit, "cursor": cursor}
        return await self._get(Page[Patient], "/v1/patients", params, label="/v1/patients")

    async def get_patient(self, patient_id: str) -> Patient:
        return await self._get(
            Patient, f"/v1/patients/{_seg(patient_id)}", label="/v1/patients/{id}"
        )

    async def create_patient(
        self, request: PatientCreate, *, idempotency_key: str | None = None
    ) -> Patient:
        return await self._post(
            Patient, "/v1/patients", _body(request), idempotency_key, label="/v1/patients"
        )

    async def list_payers(self) -> list[Payer]:
        return await self._all(Payer, "/v1/payers", label="/v1/payers")

    # --- eligibility and prescriptions ----------------------------------------------------

    async def check_eligibility(
        self, request: EligibilityRequest, *, idempotency_key: str | None = None
    ) -> EligibilityResult:
        return await self._post(
            EligibilityResult,
            "/v1/eligibility/checks",
            _body(request),
            idempotency_key,
            label="/v1/eligibility/checks",
        )

    async def list_eligibility_checks(
        self, patient_id: str, *, limit: int = 20
    ) -> list[EligibilityResult]:
        page = await self._get(
            Page[EligibilityResult],
            "/v1/eligibility/checks",
            {"patient_id": patient_id, "limit": limit},
            label="/v1/eligibility/checks",
        )
        return page.data

    async def get_prescription(self, prescription_id: str) -> Prescription:
        return await self._get(
            Prescription,
            f"/v1/prescriptions/{_seg(prescription_id)}",
            label="/v1/prescriptions/{id}",
        )

    async def list_prescriptions(
        self, patient_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Prescription]:
        params: Params = {"patient_id": patient_id, "limit": limit, "cursor": cursor}
        return await self._get(
            Page[Prescription], "/v1/prescriptions", params, label="/v1/prescriptions"
        )

    # --- calls, agents, transfers ---------------------------------------------------------

    async def list_calls(self, status: CallStatus | None = None) -> list[Call]:
        return await self._all(Call, "/v1/calls", {"status": status}, label="/v1/calls")

    async def get_call(self, call_id: str) -> Call:
        return await self._get(Call, f"/v1/calls/{_seg(call_id)}", label="/v1/calls/{id}")

    async def transfer_call(
        self, call_id: str, request: TransferRequest, *, idempotency_key: str | None = None
    ) -> Transfer:
        return await self._post(
            Transfer,
            f"/v1/calls/{_seg(call_id)}/transfer",
            _body(request),
            idempotency_key,
            label="/v1/calls/{id}/transfer",
        )

    async def list_agents(self) -> list[Agent]:
        return await self._all(Agent, "/v1/agents", label="/v1/agents")

    async def set_agent_status(self, agent_id: str, status: AgentStatus) -> Agent:
        response = await self._session.request(
            "PUT",
            f"/v1/agents/{_seg(agent_id)}/status",
            json={"status": status},
            label="/v1/agents/{id}/status",
        )
        return _parse(Agent, response)

    async def list_transfers(
        self, *, agent_id: str | None = None, status: TransferStatus | None = None
    ) -> list[Transfer]:
        return await self._all(
            Transfer,
            "/v1/transfers",
            {"agent_id": agent_id, "status": status},
            label="/v1/transfers",
        )

    async def accept_transfer(
        self, transfer_id: str, agent_id: str, *, idempotency_key: str | None = None
    ) -> Transfer:
        return await self._post(
            Transfer,
            f"/v1/transfers/{_seg(transfer_id)}/accept",
            {"agent_id": agent_id},
            idempotency_key,
            label="/v1/transfers/{id}/accept",
        )

    async def decline_transfer(
        self, transfer_id: str, agent_id: str, *, idempotency_key: str | None = None
    ) -> Transfer:
        return await self._post(
            Transfer,
            f"/v1/transfers/{_seg(transfer_id)}/decline",
            {"agent_id": agent_id},
            idempotency_key,
            label="/v1/transfers/{id}/decline",
        )

    async def complete_transfer(
        self,
        transfer_id: str,
        request: TransferCompletion,
        *,
        idempotency_key: str | None = None,
    ) -> Transfer:
        return await self._post(
            Transfer,
            f"/v1/transfers/{_seg(transfer_id)}/complete",
            _body(request),
            idempotency_key,
            label="/v1/transfers/{id}/complete",
        )

    # --- events and the sandbox's extras --------------------------------------------------

    async def list_events(self, *, after: int = 0, limit: int = 100) -> Page[Event]:
        return await self._get(
            Page[Event], "/v1/events", {"after": after, "limit": limit}, label="/v1/events"
        )

    async def simulate_call(
        self, request: SimulatedCallRequest, *, idempotency_key: str | None = None
    ) -> Call:
        return await self._post(
            Call,
            "/v1/sandbox/calls",
            _body(request),
            idempotency_key,
            label="/v1/sandbox/calls",
        )

    async def list_notifications(self, *, appointment_id: str | None = None) -> list[Notification]:
        return await self._all(
            Notification,
            "/v1/sandbox/notifications",
            {"appointment_id": appointment_id},
            label="/v1/sandbox/notifications",
        )
