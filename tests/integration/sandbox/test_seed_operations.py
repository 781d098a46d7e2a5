"""The seed's six operations over HTTP: every field of its examples, same types and formats."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from frontdesk_app.sandbox.server import SandboxServer
from tests.integration.sandbox.support import (
    UTC_Z,
    book,
    client,
    free_slot,
    parse_z,
    patients,
)

pytestmark = pytest.mark.integration

# The response examples of the seed page, verbatim.
SEED_CREATE = {
    "id": "apt_1a2b3c4d",
    "status": "confirmed",
    "patient_id": "pat_5e6f7g8h",
    "provider_id": "prov_9i0j1k2l",
    "start_time": "2025-03-15T10:00:00Z",
    "end_time": "2025-03-15T10:30:00Z",
    "type": "consultation",
    "created_at": "2025-03-14T18:30:00Z",
}
SEED_RESCHEDULE = {
    "id": "apt_1a2b3c4d",
    "status": "rescheduled",
    "previous_time": "2025-03-15T10:00:00Z",
    "new_start_time": "2025-03-17T14:00:00Z",
    "new_end_time": "2025-03-17T14:30:00Z",
    "rescheduled_at": "2025-03-15T09:00:00Z",
}
SEED_CANCEL = {
    "id": "apt_1a2b3c4d",
    "status": "cancelled",
    "reason_code": "patient_request",
    "cancelled_at": "2025-03-14T20:00:00Z",
    "refund_eligible": True,
}
SEED_ELIGIBILITY = {
    "eligible": True,
    "payer": "Blue Cross Blue Shield",
    "member_id": "BCB123456789",
    "coverage": {
        "copay": 25,
        "deductible_remaining": 500,
        "coinsurance_pct": 20,
        "in_network": True,
    },
    "verified_at": "2025-03-14T18:30:00Z",
}
SEED_PRESCRIPTION = {
    "id": "rx_4m5n6o7p",
    "medication": "Lisinopril 10mg",
    "status": "filled",
    "refills_remaining": 3,
    "last_filled": "2025-03-01T12:00:00Z",
    "next_refill_date": "2025-03-29T00:00:00Z",
    "pharmacy": {"name": "CVS Pharmacy #1234", "phone": "(555) 123-4567"},
}
SEED_TRANSFER = {
    "transfer_id": "xfr_8q9r0s1t",
    "call_id": "call_2u3v4w5x",
    "status": "connected",
    "agent": {"id": "agt_6y7z8a9b", "name": "Sarah Johnson"},
    "context_passed": True,
    "transferred_at": "2025-03-14T18:32:15Z",
}


def assert_like(example: Any, actual: Any, where: str = "$") -> None:
    """Every field of `example` is in `actual` with the same JSON type and format."""
    if isinstance(example, dict):
        assert isinstance(actual, dict), where
        for key, value in example.items():
            assert key in actual, f"{where}.{key} is missing"
            if key == "id" or key.endswith("_id"):
                _same_id_kind(value, actual[key], f"{where}.{key}")
            assert_like(value, actual[key], f"{where}.{key}")
    elif isinstance(example, bool):
        assert isinstance(actual, bool), where
    elif isinstance(example, int):
        assert isinstance(actual, int) and not isinstance(actual, bool), where
    elif isinstance(example, str):
        assert isinstance(actual, str), where
        if UTC_Z.match(example):
            assert UTC_Z.match(actual), f"{where}: {actual!r} is not ISO 8601 UTC with Z"


def _same_id_kind(example: str, actual: Any, where: str) -> None:
    prefix, sep, _ = example.partition("_")
    if sep and prefix.isalpha() and prefix.islower():
        assert isinstance(actual, str) and actual.startswith(prefix + "_"), where


def test_create_appointment_matches_seed(sandbox: SandboxServer) -> None:
    with client(sandbox) as c:
        created = book(c, random.Random(101))
    assert_like(SEED_CREATE, created)
    assert created["status"] == "confirmed"
    assert parse_z(created["end_time"]) - parse_z(created["start_time"]) == timedelta(minutes=30)


def test_reschedule_matches_seed(sandbox: SandboxServer) -> None:
    rng = random.Random(202)
    with client(sandbox) as c:
        created = book(c, rng)
        for _ in range(10):
            _, new_start = free_slot(c, rng, provider_id=created["provider_id"])
            response = c.post(
                f"/v1/appointments/{created['id']}/reschedule",
                json={"new_start_time": new_start, "reason": "patient asked"},
            )
            if response.status_code != 409:
                break
    assert response.status_code == 200, response.text
    moved = response.json()
    assert_like(SEED_RESCHEDULE, moved)
    assert moved["id"] == created["id"]
    assert moved["status"] == "rescheduled"
    assert moved["previous_time"] == created["start_time"]
    assert moved["new_start_time"] == new_start
    assert parse_z(moved["new_end_time"]) - parse_z(new_start) == timedelta(minutes=30)


def test_cancel_matches_seed(sandbox: SandboxServer) -> None:
    with client(sandbox) as c:
        created = book(c, random.Random(303))
        response = c.post(
            f"/v1/appointments/{created['id']}/cancel",
            json={"reason_code": "patient_request", "notify": True},
        )
        assert response.status_code == 200, response.text
        again = c.post(f"/v1/appointments/{created['id']}/cancel", json={})
    cancelled = response.json()
    assert_like(SEED_CANCEL, cancelled)
    assert cancelled["status"] == "cancelled"
    assert cancelled["reason_code"] == "patient_request"
    # Booked at least three days ahead, so cancelling now keeps the refund.
    assert cancelled["refund_eligible"] is True
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_state"


def test_eligibility_matches_seed(sandbox: SandboxServer) -> None:
    with client(sandbox) as c:
        up = {p["id"] for p in c.get("/v1/payers").json()["data"] if p["available"]}
        insured = [p for p in patients(c) if p["insurance"] and p["insurance"]["payer_id"] in up]
        assert insured
        person = insured[0]
        response = c.post(
            "/v1/eligibility/checks",
            json={
                "patient_id": person["id"],
                "payer_id": person["insurance"]["payer_id"],
                "member_id": person["insurance"]["member_id"],
                "date_of_service": (parse_z("2030-01-01T00:00:00Z").date()).isoformat(),
                "service_codes": ["99213", "97110"],
            },
        )
    assert response.status_code == 200, response.text
    result = response.json()
    assert_like(SEED_ELIGIBILITY, result)
    assert result["member_id"] == person["insurance"]["member_id"]
    assert [s["code"] for s in result["services"]] == ["99213", "97110"]
    for service in result["services"]:
        assert isinstance(service["covered"], bool)
        assert isinstance(service["requires_prior_auth"], bool)


def test_prescription_matches_seed(sandbox: SandboxServer) -> None:
    with client(sandbox) as c:
        found = None
        for person in patients(c, 100):
            page = c.get("/v1/prescriptions", params={"patient_id": person["id"]}).json()
            filled = [rx for rx in page["data"] if rx["status"] == "filled"]
            if filled:
                found = filled[0]
                break
        assert found is not None, "no filled prescription among the first 100 patients"
        response = c.get(f"/v1/prescriptions/{found['id']}")
    assert response.status_code == 200
    assert_like(SEED_PRESCRIPTION, response.json())
    assert response.json() == found


def test_transfer_matches_seed(sandbox: SandboxServer) -> None:
    with client(sandbox) as c:
        agent = c.get("/v1/agents").json()["data"][0]
        assert c.put(f"/v1/agents/{agent['id']}/status", json={"status": "available"}).is_success
        call = c.post("/v1/sandbox/calls", json={})
        assert call.status_code == 201, call.text
        assert call.json()["status"] == "ai_handling"
        response = c.post(
            f"/v1/calls/{call.json()['id']}/transfer",
            json={
                "target_agent_id": agent["id"],
                "priority": "urgent",
                "context_summary": "wants to move a visit",
            },
        )
    assert response.status_code == 201, response.text
    transfer = response.json()
    assert_like(SEED_TRANSFER, transfer)
    assert transfer["call_id"] == call.json()["id"]
    assert transfer["agent"]["id"] == agent["id"]
    assert transfer["context_passed"] is True
