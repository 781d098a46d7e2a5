"""GET /v1/eligibility/checks: a patient's earlier checks as a list page, newest first."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from frontdesk_app.sandbox.server import SandboxServer
from tests.integration.sandbox.support import UTC_Z, bearer, client, patients

pytestmark = pytest.mark.integration
ROUTE = "/v1/eligibility/checks"


def insured_person(c: httpx.Client) -> dict[str, Any]:
    """A patient insured with a payer that answers (the last one: other tests take the first)."""
    up = {p["id"] for p in c.get("/v1/payers").json()["data"] if p["available"]}
    insured = [p for p in patients(c) if p["insurance"] and p["insurance"]["payer_id"] in up]
    assert insured
    return insured[-1]


def check(c: httpx.Client, person: dict[str, Any], day: str, **change: str) -> dict[str, Any]:
    body = {
        "patient_id": person["id"],
        "payer_id": person["insurance"]["payer_id"],
        "member_id": person["insurance"]["member_id"],
        "date_of_service": day,
        **change,
    }
    response = c.post(ROUTE, json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_the_history_lists_a_patients_checks_newest_first(sandbox: SandboxServer) -> None:
    with client(sandbox) as c:
        person = insured_person(c)
        made = [
            check(c, person, "2031-05-05"),
            check(c, person, "2031-05-06", member_id="NOSUCHMEMBER1"),
            check(c, person, "2031-05-07"),
        ]
        response = c.get(ROUTE, params={"patient_id": person["id"]})
        short = c.get(ROUTE, params={"patient_id": person["id"], "limit": 2})
        nobody = c.get(ROUTE, params={"patient_id": "pat_nobody"})

    assert response.status_code == 200, response.text
    page = response.json()
    assert set(page) == {"data", "next_cursor"} and page["next_cursor"] is None
    ids = [entry["id"] for entry in page["data"]]
    assert ids[:3] == [m["id"] for m in reversed(made)]
    assert page["data"][0] == made[-1]  # the whole answer, as the check gave it
    assert [e["eligible"] for e in page["data"][:3]] == [True, False, True]
    assert all(UTC_Z.match(e["verified_at"]) for e in page["data"])
    assert [e["id"] for e in short.json()["data"]] == ids[:2]
    assert "x-ratelimit-remaining" in response.headers
    assert nobody.status_code == 200 and nobody.json() == {"data": [], "next_cursor": None}


def test_the_history_needs_a_patient_a_sane_limit_and_the_eligibility_scope(
    sandbox: SandboxServer,
) -> None:
    with client(sandbox) as c:
        missing = c.get(ROUTE)
        too_many = c.get(ROUTE, params={"patient_id": "pat_x", "limit": 5000})
    for refused in (missing, too_many):
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "validation_failed"

    narrow = sandbox.create_key(["prescriptions:read"]).api_key
    denied = httpx.get(sandbox.base_url + ROUTE + "?patient_id=pat_x", headers=bearer(narrow))
    assert denied.status_code == 403
    assert denied.headers["www-authenticate"] == 'Bearer error="insufficient_scope"'
    allowed = sandbox.create_key(["eligibility"]).api_key
    assert httpx.get(
        sandbox.base_url + ROUTE + "?patient_id=pat_x", headers=bearer(allowed)
    ).is_success
    anonymous = httpx.get(sandbox.base_url + ROUTE + "?patient_id=pat_x")
    assert anonymous.status_code == 401
