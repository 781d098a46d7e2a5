"""/openapi.json describes every route of API.md, its auth schemes, scopes and error bodies."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from frontdesk_app.sandbox.server import SandboxServer

pytestmark = pytest.mark.integration

API_MD_ROUTES = {
    ("post", "/oauth/token"),
    ("post", "/v1/appointments"),
    ("get", "/v1/appointments"),
    ("get", "/v1/appointments/{appointment_id}"),
    ("post", "/v1/appointments/{appointment_id}/reschedule"),
    ("post", "/v1/appointments/{appointment_id}/cancel"),
    ("get", "/v1/providers"),
    ("get", "/v1/providers/{provider_id}"),
    ("get", "/v1/providers/{provider_id}/availability"),
    ("get", "/v1/patients"),
    ("post", "/v1/patients"),
    ("get", "/v1/patients/{patient_id}"),
    ("get", "/v1/payers"),
    ("post", "/v1/eligibility/checks"),
    ("get", "/v1/eligibility/checks"),
    ("get", "/v1/prescriptions"),
    ("get", "/v1/prescriptions/{prescription_id}"),
    ("get", "/v1/calls"),
    ("get", "/v1/calls/{call_id}"),
    ("post", "/v1/calls/{call_id}/transfer"),
    ("get", "/v1/agents"),
    ("put", "/v1/agents/{agent_id}/status"),
    ("get", "/v1/transfers"),
    ("post", "/v1/transfers/{transfer_id}/accept"),
    ("post", "/v1/transfers/{transfer_id}/decline"),
    ("post", "/v1/transfers/{transfer_id}/complete"),
    ("post", "/v1/sandbox/calls"),
    ("get", "/v1/sandbox/notifications"),
    ("get", "/v1/events"),
    ("get", "/v1/events/stream"),
    ("post", "/v1/webhook_endpoints"),
    ("get", "/v1/webhook_endpoints"),
    ("delete", "/v1/webhook_endpoints/{endpoint_id}"),
    ("get", "/v1/webhook_endpoints/{endpoint_id}/deliveries"),
    # The project's own: check-in and the flow board (README, "Visits").
    ("post", "/v1/appointments/{appointment_id}/visit"),
    ("get", "/v1/appointments/{appointment_id}/visit"),
    ("get", "/v1/visits"),
    # The waitlist (README, "The waitlist").
    ("put", "/v1/waitlist/{entry_id}"),
    ("get", "/v1/waitlist/{entry_id}"),
    ("get", "/v1/waitlist"),
    # Recurring series (README, "Recurring series").
    ("post", "/v1/series/check"),
    ("put", "/v1/series/{series_id}"),
    ("get", "/v1/series/{series_id}"),
    ("post", "/v1/series/{series_id}/cancel"),
    ("post", "/v1/series/{series_id}/reschedule"),
}
SCOPES = {
    "appointments:read",
    "appointments:write",
    "eligibility",
    "prescriptions:read",
    "calls",
    "webhooks",
    "patients:write",
}


@pytest.fixture(scope="module")
def spec(sandbox: SandboxServer) -> dict[str, object]:
    response = httpx.get(sandbox.base_url + "/openapi.json")
    assert response.status_code == 200
    data: dict[str, object] = response.json()
    return data


def test_every_route_of_the_contract_is_described(spec: dict[str, object]) -> None:
    paths = spec["paths"]
    assert isinstance(paths, dict)
    described = {(m, p) for p, item in paths.items() for m in item}
    assert described == API_MD_ROUTES


def test_auth_schemes_and_scopes(spec: dict[str, object]) -> None:
    schemes = spec["components"]["securitySchemes"]  # type: ignore[index]
    flow = schemes["oauth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/oauth/token"
    assert set(flow["scopes"]) == SCOPES
    assert schemes["apiKey"] == {**schemes["apiKey"], "type": "http", "scheme": "bearer"}
    for path, item in spec["paths"].items():  # type: ignore[attr-defined]
        if not path.startswith("/v1/"):
            continue
        for operation in item.values():
            oauth = [s["oauth2"] for s in operation["security"] if "oauth2" in s]
            assert oauth and set(oauth[0]) <= SCOPES
            assert {"401", "403", "422", "429"} <= set(operation["responses"])
            problem = operation["responses"]["401"]["content"]["application/problem+json"]
            assert problem["schema"]["$ref"] == "#/components/schemas/Problem"
            assert "X-Request-Id" in operation["responses"]["401"]["headers"]


def test_seed_fields_are_in_the_response_schemas(spec: dict[str, object]) -> None:
    schemas = spec["components"]["schemas"]  # type: ignore[index]
    for name, fields in {
        "Appointment": {
            "id",
            "status",
            "patient_id",
            "provider_id",
            "start_time",
            "end_time",
            "type",
            "created_at",
        },
        "RescheduleResult": {
            "id",
            "status",
            "previous_time",
            "new_start_time",
            "new_end_time",
            "rescheduled_at",
        },
        "CancelResult": {"id", "status", "reason_code", "cancelled_at", "refund_eligible"},
        "EligibilityResult": {"eligible", "payer", "member_id", "coverage", "verified_at"},
        "Prescription": {
            "id",
            "medication",
            "status",
            "refills_remaining",
            "last_filled",
            "next_refill_date",
            "pharmacy",
        },
        "Transfer": {
            "transfer_id",
            "call_id",
            "status",
            "agent",
            "context_passed",
            "transferred_at",
        },
    }.items():
        assert fields <= set(schemas[name]["properties"]), name


def _operation(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    operation: dict[str, Any] = spec["paths"][path][method]
    return operation


def test_operation_ids_read_as_method_names(spec: dict[str, Any]) -> None:
    ids = {
        (method, path): op["operationId"]
        for path, item in spec["paths"].items()
        for method, op in item.items()
    }
    assert ids[("post", "/v1/appointments")] == "createAppointment"
    assert ids[("post", "/v1/appointments/{appointment_id}/reschedule")] == "rescheduleAppointment"
    assert ids[("post", "/v1/appointments/{appointment_id}/cancel")] == "cancelAppointment"
    assert ids[("get", "/v1/providers/{provider_id}/availability")] == "getProviderAvailability"
    assert ids[("put", "/v1/waitlist/{entry_id}")] == "saveWaitlistEntry"
    assert ids[("get", "/v1/waitlist")] == "listWaitlist"
    assert len(set(ids.values())) == len(ids)
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)*", name) for name in ids.values()), ids


def test_formats_enums_and_ranges_are_in_the_schemas(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    create = schemas["AppointmentCreate"]["properties"]
    assert create["start_time"]["format"] == "date-time"
    assert (create["duration_minutes"]["minimum"], create["duration_minutes"]["maximum"]) == (
        5,
        480,
    )
    assert create["duration_minutes"]["type"] == "integer"
    assert "consultation" in create["type"]["enum"]
    for name in ("start_time", "end_time", "created_at", "updated_at"):
        assert schemas["Appointment"]["properties"][name]["format"] == "date-time"
    assert schemas["Availability"]["properties"]["date"]["format"] == "date"
    assert "appointment.created" in schemas["Event"]["properties"]["type"]["enum"]
    events = schemas["WebhookEndpointCreate"]["properties"]["events"]["items"]["enum"]
    assert "*" in events and "transfer.created" in events
    reschedule = schemas["AppointmentReschedule"]["properties"]
    assert reschedule["new_start_time"]["format"] == "date-time"
    availability = _operation(spec, "get", "/v1/providers/{provider_id}/availability")
    params = {p["name"]: p for p in availability["parameters"]}
    assert params["date"]["schema"]["format"] == "date"
    assert (
        params["duration_minutes"]["schema"]["minimum"],
        params["duration_minutes"]["schema"]["maximum"],
    ) == (5, 480)


def test_idempotency_auth_and_retry_headers_are_declared(spec: dict[str, Any]) -> None:
    save = _operation(spec, "put", "/v1/waitlist/{entry_id}")
    assert any(p["name"] == "Idempotency-Key" for p in save["parameters"])
    create = _operation(spec, "post", "/v1/appointments")
    key = next(p for p in create["parameters"] if p["name"] == "Idempotency-Key")
    assert key["in"] == "header" and key["schema"]["maxLength"] == 255
    assert "Idempotent-Replayed" in create["responses"]["201"]["headers"]
    assert create["responses"]["429"]["headers"]["Retry-After"]["required"] is True
    assert "Retry-After" in create["responses"]["503"]["headers"]
    for status in ("401", "403"):
        assert "WWW-Authenticate" in create["responses"][status]["headers"]
    listing = _operation(spec, "get", "/v1/appointments")
    assert "WWW-Authenticate" in listing["responses"]["401"]["headers"]
    assert not any(p["name"] == "Idempotency-Key" for p in listing.get("parameters", []))
