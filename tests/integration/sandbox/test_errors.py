"""Problem details for every refusal; bad input of any kind is a 4xx, never a 500."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from frontdesk_app.domain import clock
from frontdesk_app.sandbox.server import SandboxServer
from tests.fixtures.clock import NY
from tests.integration.sandbox.support import appointment_body, client, patients

pytestmark = pytest.mark.integration
PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "errors", "request_id"}


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert set(body) == PROBLEM_KEYS
    assert body["status"] == status
    assert body["code"] == code
    assert body["request_id"] == response.headers["x-request-id"]
    assert str(body["type"]).endswith("/" + code)
    text = response.text.lower()
    for leak in ("traceback", "sqlalchemy", "select ", "insert into", 'file "'):
        assert leak not in text
    return body


def test_malformed_json(sandbox: SandboxServer) -> None:
    with client(sandbox) as c:
        response = c.post(
            "/v1/appointments",
            content=b'{"patient_id": ',
            headers={"content-type": "application/json"},
        )
    assert_problem(response, 400, "validation_failed")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"duration_minutes": "thirty"}, "duration_minutes"),
        ({"start_time": "next tuesday"}, "start_time"),
        ({"start_time": "2027-01-07T10:00:00"}, "start_time"),  # no zone: ambiguous
        ({"patient_id": 12}, "patient_id"),
        ({"surprise": "field"}, "surprise"),
        ({"duration_minutes": 4}, "duration_minutes"),
        ({"duration_minutes": 481}, "duration_minutes"),
        ({"duration_minutes": 10**30}, "duration_minutes"),
        ({"type": "massage"}, "type"),
    ],
)
def test_wrong_fields_are_422_with_the_field(
    sandbox: SandboxServer, change: dict[str, object], field: str
) -> None:
    with client(sandbox) as c:
        body = {**appointment_body(c, random.Random(21)), **change}
        response = c.post("/v1/appointments", json=body)
    problem = assert_problem(response, 422, "validation_failed")
    assert field in [e["field"] for e in problem["errors"]]  # type: ignore[attr-defined]


@pytest.mark.parametrize("payload", [[], "text", 42, None])
def test_a_body_that_is_not_an_object(sandbox: SandboxServer, payload: object) -> None:
    with client(sandbox) as c:
        response = c.post("/v1/appointments", json=payload)
    assert_problem(response, 422, "validation_failed")


def test_huge_bodies_are_413(sandbox: SandboxServer) -> None:
    big = b'{"notes": "' + b"x" * (300 * 1024) + b'"}'

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 16 * 1024):
            yield big[start : start + 16 * 1024]

    with client(sandbox) as c:
        declared = c.post(
            "/v1/appointments", content=big, headers={"content-type": "application/json"}
        )
        streamed = c.post(
            "/v1/appointments", content=chunks(), headers={"content-type": "application/json"}
        )
    assert_problem(declared, 413, "validation_failed")
    assert_problem(streamed, 413, "validation_failed")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/appointments/apt_doesnotexist",
        "/v1/appointments/%00",
        "/v1/appointments/" + "a" * 5000,
        "/v1/appointments/'%20OR%201=1",
        "/v1/providers/prov_nobody",
        "/v1/providers/prov_nobody/availability?date=2027-01-07",
        "/v1/patients/pat_nobody",
        "/v1/prescriptions/rx_nothing",
        "/v1/calls/call_nothing",
        "/v1/webhook_endpoints/we_nothing/deliveries",
        "/v1/no/such/route",
    ],
)
def test_bad_ids_and_routes_are_404(sandbox: SandboxServer, path: str) -> None:
    with client(sandbox) as c:
        response = c.get(path)
    assert_problem(response, 404, "not_found")


def test_bad_ids_in_writes_are_404(sandbox: SandboxServer) -> None:
    with client(sandbox) as c:
        for path, body in (
            ("/v1/appointments/apt_nope/cancel", {}),
            ("/v1/appointments/apt_nope/reschedule", {"new_start_time": "2027-01-07T15:00:00Z"}),
            ("/v1/calls/call_nope/transfer", {}),
            ("/v1/transfers/xfr_nope/accept", {"agent_id": "agt_nope"}),
            ("/v1/transfers/xfr_nope/complete", {"disposition": "resolved"}),
        ):
            assert_problem(c.post(path, json=body), 404, "not_found")
        assert_problem(
            c.put("/v1/agents/agt_nope/status", json={"status": "away"}), 404, "not_found"
        )
        assert_problem(c.delete("/v1/webhook_endpoints/we_nope"), 404, "not_found")


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "100000"},
        {"limit": "many"},
        {"start": "2030-01-01T00:00:00"},
        {"start": "not a time"},
        {"status": "lost"},
    ],
)
def test_bad_query_parameters_are_422(sandbox: SandboxServer, query: dict[str, str]) -> None:
    with client(sandbox) as c:
        response = c.get("/v1/appointments", params=query)
    assert_problem(response, 422, "validation_failed")


def test_wrong_method_is_a_problem(sandbox: SandboxServer) -> None:
    with client(sandbox) as c:
        response = c.delete("/v1/appointments")
    assert_problem(response, 405, "validation_failed")
    assert "allow" in response.headers


def test_refusals_carry_no_patient_data(sandbox: SandboxServer) -> None:
    rng = random.Random(23)
    with client(sandbox) as c:
        by_name = {p["name"]: p["id"] for p in c.get("/v1/providers").json()["data"]}
        first, second = by_name["Dr. Imani Okafor"], by_name["Dr. Arjun Castellano"]
        person = rng.choice(patients(c))
        clash = None
        for _ in range(20):  # bounded: a weekday on which both have a common free slot
            day = (clock.today(NY) + timedelta(days=rng.randint(30, 300))).isoformat()
            slots = [
                {
                    s["start_time"]
                    for s in c.get(f"/v1/providers/{p}/availability", params={"date": day}).json()[
                        "slots"
                    ]
                }
                for p in (first, second)
            ]
            common = sorted(slots[0] & slots[1])
            if not common:
                continue
            body = {
                "patient_id": person["id"],
                "start_time": rng.choice(common),
                "duration_minutes": 30,
                "type": "consultation",
                "notes": person["first_name"],
            }
            if c.post("/v1/appointments", json={**body, "provider_id": first}).status_code != 201:
                continue
            # The same patient at the same time with another (free) provider: refused.
            clash = c.post("/v1/appointments", json={**body, "provider_id": second})
            break
        assert clash is not None, "no common free slot found"
    assert_problem(clash, 409, "slot_unavailable")
    for secret in (
        person["first_name"],
        person["last_name"],
        person["phone"],
        person["date_of_birth"],
    ):
        assert secret not in clash.text


def test_every_answer_has_a_request_id(sandbox: SandboxServer) -> None:
    with client(sandbox) as c:
        seen = {
            c.get("/v1/payers").headers["x-request-id"],
            c.get("/openapi.json").headers["x-request-id"],
            c.get("/nowhere").headers["x-request-id"],
            httpx.get(sandbox.base_url + "/v1/payers").headers["x-request-id"],
        }
    assert len(seen) == 4
    assert all(rid.startswith("req_") for rid in seen)
