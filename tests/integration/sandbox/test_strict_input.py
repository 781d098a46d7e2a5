"""Dates outside the bookable range and loosely typed values are refused by name, never a 500."""

from __future__ import annotations

import base64
import json
import random
from datetime import timedelta
from typing import Any

import httpx
import pytest

from frontdesk_app.domain import clock
from frontdesk_app.sandbox.server import SandboxServer
from tests.integration.sandbox.support import appointment_body, book, client

pytestmark = pytest.mark.integration

OUT_OF_RANGE_TIMES = [
    "9999-12-31T23:00:00Z",
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+05:00",
    "1999-12-31T15:00:00Z",
]


def _three_years_ahead() -> str:
    return (clock.now() + timedelta(days=3 * 365)).strftime("%Y-%m-%dT%H:00:00Z")


def _refused(response: httpx.Response, field: str, status: int = 422) -> None:
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert [e["field"] for e in problem["errors"]] == [field]


@pytest.mark.parametrize("when", [*OUT_OF_RANGE_TIMES, "far"])
def test_a_booking_or_move_out_of_range_names_the_field(sandbox: SandboxServer, when: str) -> None:
    when = _three_years_ahead() if when == "far" else when
    with client(sandbox) as c:
        body = appointment_body(c, random.Random(31))
        _refused(c.post("/v1/appointments", json={**body, "start_time": when}), "start_time")
        booked = book(c, random.Random(32))
        moved = c.post(f"/v1/appointments/{booked['id']}/reschedule", json={"new_start_time": when})
        _refused(moved, "new_start_time")


@pytest.mark.parametrize(
    "day", ["9999-12-31", "0001-01-01", "1999-12-31", "0", "20260305", "2026-3-5", "far"]
)
def test_availability_of_a_day_out_of_range_or_not_a_date(sandbox: SandboxServer, day: str) -> None:
    day = _three_years_ahead()[:10] if day == "far" else day
    with client(sandbox) as c:
        provider = c.get("/v1/providers").json()["data"][0]["id"]
        answer = c.get(f"/v1/providers/{provider}/availability", params={"date": day})
    _refused(answer, "date")


@pytest.mark.parametrize("param", ["start", "end"])
@pytest.mark.parametrize("when", [*OUT_OF_RANGE_TIMES, "0", "1700000000", "2026-03-02"])
def test_listing_from_or_to_out_of_range_or_not_a_time(
    sandbox: SandboxServer, param: str, when: str
) -> None:
    with client(sandbox) as c:
        _refused(c.get("/v1/appointments", params={param: when}), param)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"duration_minutes": "30"}, "duration_minutes"),
        ({"duration_minutes": 30.0}, "duration_minutes"),
        ({"duration_minutes": True}, "duration_minutes"),
        ({"start_time": 0}, "start_time"),
        ({"start_time": 1772460000}, "start_time"),
        ({"start_time": "1772460000"}, "start_time"),
    ],
)
def test_a_booking_with_loose_types_is_refused(
    sandbox: SandboxServer, change: dict[str, Any], field: str
) -> None:
    with client(sandbox) as c:
        body = appointment_body(c, random.Random(33))
        _refused(c.post("/v1/appointments", json={**body, **change}), field)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("cancel", {"notify": 0}, "notify"),
        ("cancel", {"notify": "false"}, "notify"),
        (
            "reschedule",
            {"new_start_time": "2026-06-01T14:00:00Z", "new_duration_minutes": "30"},
            "new_duration_minutes",
        ),
    ],
)
def test_changes_with_loose_types_are_refused(
    sandbox: SandboxServer, path: str, body: dict[str, Any], field: str
) -> None:
    with client(sandbox) as c:
        booked = book(c, random.Random(34))
        _refused(c.post(f"/v1/appointments/{booked['id']}/{path}", json=body), field)
        assert c.get(f"/v1/appointments/{booked['id']}").json()["status"] == "confirmed"


def test_an_eligibility_date_must_be_a_date(sandbox: SandboxServer) -> None:
    with client(sandbox) as c:
        patient = next(
            p for p in c.get("/v1/patients", params={"limit": 50}).json()["data"] if p["insurance"]
        )
        body = {
            "patient_id": patient["id"],
            "payer_id": patient["insurance"]["payer_id"],
            "member_id": patient["insurance"]["member_id"],
        }
        for bad in (0, "0", "9999-12-31"):
            _refused(
                c.post("/v1/eligibility/checks", json={**body, "date_of_service": bad}),
                "date_of_service",
            )


@pytest.mark.parametrize("value", ["-5' OR 1=1", "-5", "abc", "1e3", "٣".encode(), "9" * 19])
def test_last_event_id_must_be_a_seq(sandbox: SandboxServer, value: str | bytes) -> None:
    with client(sandbox) as c:
        answer = c.get("/v1/events/stream", headers={"Last-Event-ID": value})
    _refused(answer, "Last-Event-ID", status=400)


def test_a_valid_last_event_id_streams(sandbox: SandboxServer) -> None:
    with (
        client(sandbox) as c,
        c.stream("GET", "/v1/events/stream", headers={"Last-Event-ID": "0"}) as answer,
    ):
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")


@pytest.mark.parametrize(
    ("path", "kind", "key"),
    [
        ("/v1/appointments", "appointments", ["0001-01-01T00:00:00+05:00", "apt_x"]),
        ("/v1/appointments", "appointments", ["9999-12-31T23:59:59-05:00", "apt_x"]),
        ("/v1/appointments", "appointments", ["not a time", "apt_x"]),
        ("/v1/appointments", "appointments", ["2026-03-02T00:00:00Z"]),
        ("/v1/appointments", "appointments", [{"a": 1}, "apt_x"]),
        ("/v1/patients", "patients", ["Doe", "Jane"]),
        ("/v1/prescriptions", "prescriptions", ["0001-01-01T00:00:00+05:00", "rx_x"]),
    ],
)
def test_a_made_up_cursor_is_refused_not_a_500(
    sandbox: SandboxServer, path: str, kind: str, key: list[object]
) -> None:
    raw = json.dumps([kind, *key], separators=(",", ":")).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    params = {"cursor": cursor}
    if kind == "prescriptions":
        params["patient_id"] = "pat_anyone"
    with client(sandbox) as c:
        _refused(c.get(path, params=params), "cursor")
