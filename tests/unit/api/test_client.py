"""Each Backend operation becomes the route, query and body of API.md, and parses the answer."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from frontdesk_app.api import ApiBackend, ProtocolError
from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.models import (
    AppointmentCancel,
    AppointmentCreate,
    AppointmentQuery,
    AppointmentReschedule,
    EligibilityRequest,
    SimulatedCallRequest,
    TransferCompletion,
    TransferRequest,
)
from tests.unit.api.conftest import Recorder, ok

T0 = "2027-03-15T14:00:00Z"
APPOINTMENT = {
    "id": "apt_1a2b3c4d",
    "status": "confirmed",
    "patient_id": "pat_5e6f7g8h",
    "provider_id": "prov_9i0j1k2l",
    "start_time": T0,
    "end_time": "2027-03-15T14:30:00Z",
    "duration_minutes": 30,
    "type": "consultation",
    "created_at": "2027-03-14T18:30:00Z",
    "updated_at": "2027-03-14T18:30:00Z",
    "a_field_from_a_newer_server": 1,
}
RESCHEDULE = {
    "id": "apt_1a2b3c4d",
    "status": "rescheduled",
    "previous_time": T0,
    "new_start_time": "2027-03-17T14:00:00Z",
    "new_end_time": "2027-03-17T14:30:00Z",
    "rescheduled_at": "2027-03-15T09:00:00Z",
    "provider_id": "prov_9i0j1k2l",
    "patient_id": "pat_5e6f7g8h",
    "duration_minutes": 30,
}
CANCEL = {
    "id": "apt_1a2b3c4d",
    "status": "cancelled",
    "reason_code": "patient_request",
    "cancelled_at": "2027-03-14T20:00:00Z",
    "refund_eligible": True,
}
PROVIDER = {
    "id": "prov_9i0j1k2l",
    "name": "Dr. Test",
    "specialty": "Family medicine",
    "timezone": "America/New_York",
    "weekly_hours": {"0": [{"start": "08:00:00", "end": "12:00:00"}]},
}
PATIENT = {
    "id": "pat_5e6f7g8h",
    "first_name": "Testy",
    "last_name": "Patient",
    "date_of_birth": "1980-01-01",
    "phone": "(555) 000-0000",
    "insurance": {"payer_id": "payer_1", "member_id": "BCB123456789"},
}
ELIGIBILITY = {
    "eligible": True,
    "payer": "Blue Cross Blue Shield",
    "member_id": "BCB123456789",
    "coverage": {
        "copay": 25,
        "deductible_remaining": 500,
        "coinsurance_pct": 20,
        "in_network": True,
    },
    "verified_at": "2027-03-14T18:30:00Z",
    "id": "elig_1",
    "patient_id": "pat_5e6f7g8h",
    "payer_id": "payer_1",
    "date_of_service": "2027-03-15",
    "services": [{"code": "99213", "covered": True, "requires_prior_auth": False}],
}
PRESCRIPTION = {
    "id": "rx_4m5n6o7p",
    "medication": "Lisinopril 10mg",
    "status": "filled",
    "refills_remaining": 3,
    "last_filled": "2030-03-01T12:00:00Z",
    "next_refill_date": "2030-03-29T00:00:00Z",
    "pharmacy": {"name": "CVS Pharmacy #1234", "phone": "(555) 123-4567"},
    "patient_id": "pat_5e6f7g8h",
}
CALL = {
    "id": "call_2u3v4w5x",
    "status": "ai_handling",
    "caller": {"phone": "(555) 000-0001", "name": None, "patient_id": None},
    "started_at": T0,
    "intent": {"name": "reschedule", "confidence": 0.9},
    "sentiment": {"label": "neutral", "score": 0.1},
    "transcript": [{"at": T0, "speaker": "ai", "text": "Hello"}],
    "collected_data": {},
    "summary": "Wants to move an appointment.",
}
TRANSFER = {
    "transfer_id": "xfr_8q9r0s1t",
    "call_id": "call_2u3v4w5x",
    "status": "connected",
    "agent": {"id": "agt_6y7z8a9b", "name": "Sarah Johnson"},
    "context_passed": True,
    "transferred_at": "2027-03-14T18:32:15Z",
}
AGENT = {"id": "agt_6y7z8a9b", "name": "Sarah Johnson", "status": "available"}
EVENT = {"id": "evt_1", "seq": 1, "type": "appointment.created", "created_at": T0, "data": {}}
NOTIFICATION = {
    "id": "ntf_1",
    "appointment_id": "apt_1a2b3c4d",
    "recipient": "patient",
    "recipient_id": "pat_5e6f7g8h",
    "kind": "created",
    "created_at": T0,
}


def page(*items: dict[str, Any], cursor: str | None = None) -> dict[str, Any]:
    return {"data": list(items), "next_cursor": cursor}


ROUTES: dict[tuple[str, str], Any] = {
    ("POST", "/v1/appointments"): (201, APPOINTMENT),
    ("POST", "/v1/appointments/apt_1a2b3c4d/reschedule"): RESCHEDULE,
    ("POST", "/v1/appointments/apt_1a2b3c4d/cancel"): CANCEL,
    ("GET", "/v1/appointments/apt_1a2b3c4d"): APPOINTMENT,
    ("GET", "/v1/appointments"): page(APPOINTMENT),
    ("GET", "/v1/providers"): page(PROVIDER),
    ("GET", "/v1/providers/prov_9i0j1k2l"): PROVIDER,
    ("GET", "/v1/providers/prov_9i0j1k2l/availability"): {
        "provider_id": "prov_9i0j1k2l",
        "date": "2027-03-18",
        "duration_minutes": 30,
        "slots": [{"start_time": "2027-03-18T12:00:00Z", "end_time": "2027-03-18T12:30:00Z"}],
    },
    ("GET", "/v1/patients"): page(PATIENT),
    ("GET", "/v1/patients/pat_5e6f7g8h"): PATIENT,
    ("GET", "/v1/payers"): page({"id": "payer_1", "name": "Acme", "available": False}),
    ("POST", "/v1/eligibility/checks"): ELIGIBILITY,
    ("GET", "/v1/eligibility/checks"): page(ELIGIBILITY, {**ELIGIBILITY, "id": "elig_0"}),
    ("GET", "/v1/prescriptions/rx_4m5n6o7p"): PRESCRIPTION,
    ("GET", "/v1/prescriptions"): page(PRESCRIPTION),
    ("GET", "/v1/calls"): page(CALL),
    ("GET", "/v1/calls/call_2u3v4w5x"): CALL,
    ("POST", "/v1/calls/call_2u3v4w5x/transfer"): TRANSFER,
    ("GET", "/v1/agents"): page(AGENT),
    ("PUT", "/v1/agents/agt_6y7z8a9b/status"): {**AGENT, "status": "busy"},
    ("GET", "/v1/transfers"): page(TRANSFER),
    ("POST", "/v1/transfers/xfr_8q9r0s1t/accept"): {**TRANSFER, "status": "accepted"},
    ("POST", "/v1/transfers/xfr_8q9r0s1t/complete"): {**TRANSFER, "status": "completed"},
    ("GET", "/v1/events"): page(EVENT),
    ("POST", "/v1/sandbox/calls"): (201, CALL),
    ("GET", "/v1/sandbox/notifications"): page(NOTIFICATION),
}


def route(request: httpx.Request) -> httpx.Response:
    answer = ROUTES.get((request.method, request.url.raw_path.decode().partition("?")[0]))
    if answer is None:
        return httpx.Response(404, json={"code": "not_found", "detail": "No such route."})
    status, body = answer if isinstance(answer, tuple) else (200, answer)
    return ok(body, status)


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


@pytest.mark.asyncio
async def test_every_operation_speaks_its_route(make_api: Callable[..., ApiBackend]) -> None:
    recorder = Recorder(route)
    api = make_api(recorder)
    start = datetime(2027, 3, 15, 14, tzinfo=UTC)

    created = await api.create_appointment(
        AppointmentCreate(
            patient_id="pat_5e6f7g8h",
            provider_id="prov_9i0j1k2l",
            start_time=start,
            duration_minutes=30,
            type="consultation",
        ),
        idempotency_key="k1",
    )
    assert created.id == "apt_1a2b3c4d" and created.start_time == start
    request = recorder.requests[-1]
    assert body_of(request) == {
        "patient_id": "pat_5e6f7g8h",
        "provider_id": "prov_9i0j1k2l",
        "start_time": T0,
        "duration_minutes": 30,
        "type": "consultation",
    }
    assert request.headers["Idempotency-Key"] == "k1"
    assert request.headers["content-type"] == "application/json"

    moved = await api.reschedule_appointment(
        "apt_1a2b3c4d",
        AppointmentReschedule(new_start_time=datetime(2027, 3, 17, 14, tzinfo=UTC), reason="x"),
    )
    assert moved.status == "rescheduled"
    assert body_of(recorder.requests[-1]) == {
        "new_start_time": "2027-03-17T14:00:00Z",
        "reason": "x",
    }

    cancelled = await api.cancel_appointment(
        "apt_1a2b3c4d", AppointmentCancel(reason_code="patient_request", notify=False)
    )
    assert cancelled.refund_eligible is True
    assert body_of(recorder.requests[-1]) == {"reason_code": "patient_request", "notify": False}

    assert (await api.get_appointment("apt_1a2b3c4d")).type == "consultation"
    listed = await api.list_appointments(
        AppointmentQuery(provider_id="prov_9i0j1k2l", start=start, status="confirmed", limit=10)
    )
    assert [a.id for a in listed.data] == ["apt_1a2b3c4d"]
    assert dict(recorder.requests[-1].url.params) == {
        "provider_id": "prov_9i0j1k2l",
        "start": T0,
        "status": "confirmed",
        "limit": "10",
    }

    assert [p.id for p in await api.list_providers()] == ["prov_9i0j1k2l"]
    assert (await api.get_provider("prov_9i0j1k2l")).timezone == "America/New_York"
    slots = await api.provider_availability("prov_9i0j1k2l", date(2027, 3, 18), 30)
    assert len(slots.slots) == 1
    assert dict(recorder.requests[-1].url.params) == {
        "date": "2027-03-18",
        "duration_minutes": "30",
    }

    found = await api.search_patients("Pati", limit=5)
    assert found.data[0].insurance is not None
    assert dict(recorder.requests[-1].url.params) == {"q": "Pati", "limit": "5"}
    await api.search_patients()
    assert dict(recorder.requests[-1].url.params) == {"limit": "50"}
    assert (await api.get_patient("pat_5e6f7g8h")).full_name == "Testy Patient"
    assert (await api.list_payers())[0].available is False

    result = await api.check_eligibility(
        EligibilityRequest(
            patient_id="pat_5e6f7g8h",
            payer_id="payer_1",
            member_id="BCB123456789",
            date_of_service=date(2027, 3, 15),
            service_codes=["99213"],
        )
    )
    assert result.coverage.copay == 25
    assert body_of(recorder.requests[-1])["date_of_service"] == "2027-03-15"
    assert "Idempotency-Key" in recorder.requests[-1].headers

    history = await api.list_eligibility_checks("pat_5e6f7g8h", limit=5)
    assert [c.id for c in history] == ["elig_1", "elig_0"]  # the server's order is kept
    assert history[0].services[0].code == "99213"
    request = recorder.requests[-1]
    assert (request.method, request.url.path) == ("GET", "/v1/eligibility/checks")
    assert dict(request.url.params) == {"patient_id": "pat_5e6f7g8h", "limit": "5"}
    await api.list_eligibility_checks("pat_5e6f7g8h")
    assert recorder.requests[-1].url.params["limit"] == "20"

    assert (await api.get_prescription("rx_4m5n6o7p")).pharmacy.name == "CVS Pharmacy #1234"
    await api.list_prescriptions("pat_5e6f7g8h", limit=3, cursor="c1")
    assert dict(recorder.requests[-1].url.params) == {
        "patient_id": "pat_5e6f7g8h",
        "limit": "3",
        "cursor": "c1",
    }

    assert [c.id for c in await api.list_calls("ai_handling")] == ["call_2u3v4w5x"]
    assert dict(recorder.requests[-1].url.params) == {"status": "ai_handling"}
    assert (await api.get_call("call_2u3v4w5x")).intent.name == "reschedule"
    transfer = await api.transfer_call("call_2u3v4w5x", TransferRequest(priority="urgent"))
    assert transfer.agent is not None and transfer.agent.name == "Sarah Johnson"
    assert body_of(recorder.requests[-1]) == {"priority": "urgent"}

    assert (await api.list_agents())[0].status == "available"
    assert (await api.set_agent_status("agt_6y7z8a9b", "busy")).status == "busy"
    assert body_of(recorder.requests[-1]) == {"status": "busy"}
    assert recorder.requests[-1].method == "PUT"
    await api.list_transfers(agent_id="agt_6y7z8a9b", status="queued")
    assert dict(recorder.requests[-1].url.params) == {
        "agent_id": "agt_6y7z8a9b",
        "status": "queued",
    }
    assert (await api.accept_transfer("xfr_8q9r0s1t", "agt_6y7z8a9b")).status == "accepted"
    assert body_of(recorder.requests[-1]) == {"agent_id": "agt_6y7z8a9b"}
    done = await api.complete_transfer(
        "xfr_8q9r0s1t", TransferCompletion(disposition="resolved", notes="ok")
    )
    assert done.status == "completed"

    events = await api.list_events(after=5, limit=20)
    assert events.data[0].seq == 1
    assert dict(recorder.requests[-1].url.params) == {"after": "5", "limit": "20"}
    call = await api.simulate_call(SimulatedCallRequest(transfer=True))
    assert call.id == "call_2u3v4w5x"
    assert body_of(recorder.requests[-1]) == {"transfer": True}
    notes = await api.list_notifications(appointment_id="apt_1a2b3c4d")
    assert notes[0].recipient == "patient"

    # Every write carried a key; no read did.
    for r in recorder.requests:
        assert ("Idempotency-Key" in r.headers) == (r.method == "POST")
        assert r.headers["Authorization"].startswith("Bearer fdk_test_")
        assert r.headers["User-Agent"].startswith("FrontDesk/")


def test_api_backend_implements_every_backend_operation() -> None:
    abstract = {
        name for name, value in vars(Backend).items() if getattr(value, "__isabstractmethod__", 0)
    }
    assert abstract
    assert not (abstract & ApiBackend.__abstractmethods__)


@pytest.mark.asyncio
async def test_lists_follow_cursors(make_api: Callable[..., ApiBackend]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        if cursor is None:
            return ok(page({**PROVIDER, "id": "prov_a"}, cursor="c2"))
        if cursor == "c2":
            return ok(page({**PROVIDER, "id": "prov_b"}, cursor="c3"))
        return ok(page({**PROVIDER, "id": "prov_c"}))

    api = make_api(handler)
    assert [p.id for p in await api.list_providers()] == ["prov_a", "prov_b", "prov_c"]


@pytest.mark.asyncio
async def test_ids_cannot_reach_another_route(make_api: Callable[..., ApiBackend]) -> None:
    recorder = Recorder(lambda r: ok(PATIENT))
    api = make_api(recorder)
    await api.get_patient("../appointments?x=1")
    assert recorder.requests[0].url.raw_path == b"/v1/patients/..%2Fappointments%3Fx%3D1"


@pytest.mark.asyncio
async def test_an_unparseable_answer_is_a_protocol_error_without_the_body(
    make_api: Callable[..., ApiBackend],
) -> None:
    api = make_api(lambda r: ok({"first_name": "Jane", "last_name": "Roe"}))
    with pytest.raises(ProtocolError) as caught:
        await api.get_patient("pat_1")
    assert "Jane" not in str(caught.value) and "Roe" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.asyncio
async def test_in_flight_requests_are_capped(make_api: Callable[..., ApiBackend]) -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return ok(PROVIDER)

    api = make_api(handler, max_in_flight=3)
    await asyncio.gather(*(api.get_provider("prov_9i0j1k2l") for _ in range(20)))
    assert peak == 3


@pytest.mark.asyncio
async def test_search_terms_never_reach_the_logs(
    make_api: Callable[..., ApiBackend], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api = make_api(route)
    await api.search_patients("Zebediah")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "GET /v1/patients" in text
    assert "Zebediah" not in text
    assert "fdk_test_" not in text


@pytest.mark.asyncio
async def test_closed_backend_refuses_work(make_api: Callable[..., ApiBackend]) -> None:
    api = make_api(route)
    async with api:
        await api.list_payers()
    assert api.session.closed
    with pytest.raises(RuntimeError):
        await api.list_payers()
