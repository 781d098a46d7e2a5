"""`POST /v1/patients` over HTTP: 201 with Location, the same answer for the same
Idempotency-Key, problem details naming fields, a likely duplicate answered 409 with the
candidates' ids (no patient details in the error body), and the `patients:write` scope."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from frontdesk_app.sandbox.server import SandboxServer
from tests.integration.sandbox.support import client

pytestmark = pytest.mark.integration


def body(**change: Any) -> dict[str, Any]:
    return {
        "first_name": "Tomasz",
        "last_name": "Wierzbicki-Hale",
        "date_of_birth": "1979-05-21",
        "phone": "+1 555 013 4477",
        "email": "tw@example.org",
        "address": "9 Quarry Road",
        **change,
    }


def test_register_replay_and_duplicate(sandbox: SandboxServer) -> None:
    with client(sandbox) as c:
        key = {"Idempotency-Key": str(uuid.uuid4())}
        first = c.post("/v1/patients", json=body(), headers=key)
        assert first.status_code == 201, first.text
        made = first.json()
        assert first.headers["Location"] == f"/v1/patients/{made['id']}"
        assert made["address"] == "9 Quarry Road" and made["insurance"] is None
        again = c.post("/v1/patients", json=body(), headers=key)
        assert again.status_code == 201 and again.json() == made
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert c.get(f"/v1/patients/{made['id']}").json() == made

        twin = c.post("/v1/patients", json=body(phone="555 222 9999"))
        assert twin.status_code == 409
        assert twin.headers["content-type"].startswith("application/problem+json")
        problem = twin.json()
        assert problem["code"] == "possible_duplicate"
        assert problem["candidates"] == [made["id"]]
        for detail in ("Tomasz", "Wierzbicki", "1979", "4477", "tw@example"):
            assert detail not in twin.text

        anyway = c.post("/v1/patients", json=body(phone="555 222 9999", allow_duplicate=True))
        assert anyway.status_code == 201 and anyway.json()["id"] != made["id"]


def test_bad_fields_are_named(sandbox: SandboxServer) -> None:
    with client(sandbox) as c:
        refused = c.post(
            "/v1/patients",
            json=body(last_name="", phone="1", insurance={"payer_id": "", "member_id": "x"}),
        )
        assert refused.status_code == 422
        problem = refused.json()
        assert problem["code"] == "validation_failed"
        assert {e["field"] for e in problem["errors"]} == {
            "last_name",
            "phone",
            "insurance.payer_id",
            "insurance.member_id",
        }
        missing = c.post("/v1/patients", json={"first_name": "Only"})
        assert missing.status_code == 422


def test_registering_needs_the_patients_write_scope(sandbox: SandboxServer) -> None:
    narrow = sandbox.create_key(["appointments:read", "appointments:write"]).api_key
    with client(sandbox, narrow) as c:
        refused = c.post("/v1/patients", json=body())
        assert refused.status_code == 403
        assert refused.json()["code"] == "insufficient_scope"
