"""Problem details and transport failures become typed errors without leaking bodies or URLs."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from frontdesk_app.api.errors import (
    error_from_response,
    offline_error,
    parse_retry_after,
    token_error,
)
from frontdesk_app.domain import errors as E
from tests.unit.api.conftest import problem

NOW = 1_750_000_000.0


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (422, "validation_failed", E.ValidationFailed),
        (404, "not_found", E.NotFound),
        (409, "slot_unavailable", E.SlotUnavailable),
        (409, "provider_unavailable", E.ProviderUnavailable),
        (409, "invalid_state", E.InvalidState),
        (422, "idempotency_key_reused", E.IdempotencyKeyReused),
        (429, "rate_limited", E.RateLimited),
        (401, "invalid_token", E.AuthenticationFailed),
        (403, "insufficient_scope", E.InsufficientScope),
        (503, "payer_unavailable", E.PayerUnavailable),
    ],
)
def test_every_code_maps_to_its_class(status: int, code: str, cls: type[E.FrontDeskError]) -> None:
    error = error_from_response(problem(status, code, f"Detail for {code}."), now=NOW)
    assert type(error) is cls
    assert error.code == code
    assert error.message == f"Detail for {code}."
    assert error.request_id == "req_body123"


def test_field_errors_request_id_and_retry_after_are_carried() -> None:
    response = problem(
        422,
        "validation_failed",
        "Some details need correcting.",
        errors=[{"field": "duration_minutes", "message": "Between 5 and 480 minutes."}],
        headers={"Retry-After": "7", "X-Request-Id": "req_header"},
    )
    error = error_from_response(response, now=NOW)
    assert error.errors == (E.FieldError("duration_minutes", "Between 5 and 480 minutes."),)
    assert error.retry_after == 7.0
    assert error.request_id == "req_body123"  # the body's id wins; the header is the fallback


def test_request_id_falls_back_to_the_header() -> None:
    response = httpx.Response(404, headers={"X-Request-Id": "req_hdr"}, text="nope")
    error = error_from_response(response, now=NOW)
    assert isinstance(error, E.NotFound)
    assert error.request_id == "req_hdr"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_failures_without_a_problem_body(status: int) -> None:
    body = "<html>Traceback: patient Jane Roe DOB 1980-01-01 token=abc</html>"
    error = error_from_response(httpx.Response(status, text=body), now=NOW)
    assert isinstance(error, E.ServiceUnavailable)
    assert "Jane" not in error.message and "token" not in error.message
    assert "Traceback" not in repr(error)


def test_a_json_body_without_detail_is_never_echoed() -> None:
    body = {"first_name": "Jane", "last_name": "Roe", "code": "not_a_code"}
    error = error_from_response(httpx.Response(409, json=body), now=NOW)
    assert type(error) is E.Conflict
    assert "Jane" not in str(error) and "Roe" not in str(error)


def test_unknown_code_keeps_the_class_the_status_implies() -> None:
    error = error_from_response(problem(404, "gone_fishing", "It went."), now=NOW)
    assert isinstance(error, E.NotFound)
    assert error.message == "It went."


def test_overlong_detail_is_clipped() -> None:
    error = error_from_response(problem(422, "validation_failed", "x" * 5000), now=NOW)
    assert len(error.message) <= 500


def test_rate_limited_carries_retry_after() -> None:
    error = error_from_response(
        problem(429, "rate_limited", "Slow down.", headers={"Retry-After": "3"}), now=NOW
    )
    assert isinstance(error, E.RateLimited)
    assert error.retry_after == 3.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        ("12", 12.0),
        (" 5 ", 5.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("", None),
        (None, None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_retry_after_http_date() -> None:
    now = time.time()
    when = datetime.fromtimestamp(now, UTC) + timedelta(seconds=30)
    wait = parse_retry_after(format_datetime(when, usegmt=True), now=now)
    assert wait is not None
    assert 28.5 <= wait <= 30.0
    past = format_datetime(datetime.fromtimestamp(now, UTC) - timedelta(hours=1), usegmt=True)
    assert parse_retry_after(past, now=now) == 0.0
    assert parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now=now) == 0.0


def test_token_endpoint_errors() -> None:
    bad_client = httpx.Response(401, json={"error": "invalid_client", "error_description": "x"})
    error = token_error(bad_client, now=NOW)
    assert isinstance(error, E.AuthenticationFailed)
    assert "client ID or secret" in error.message
    scope = token_error(httpx.Response(400, json={"error": "invalid_scope"}), now=NOW)
    assert isinstance(scope, E.InsufficientScope)
    down = token_error(httpx.Response(503, headers={"Retry-After": "2"}), now=NOW)
    assert isinstance(down, E.ServiceUnavailable)
    assert down.retry_after == 2.0


def test_offline_errors_name_the_failure_not_the_url() -> None:
    request = httpx.Request("GET", "https://api.test.example/v1/patients?q=Roe")
    for exc, words in [
        (httpx.ConnectError("[Errno 111] refused", request=request), "could not be reached"),
        (httpx.ReadTimeout("timed out", request=request), "did not answer in time"),
        (httpx.RemoteProtocolError("peer closed", request=request), "dropped the connection"),
    ]:
        error = offline_error(exc)
        assert isinstance(error, E.Offline)
        assert words in error.message
        assert "Roe" not in error.message and "api.test.example" not in error.message


def test_problem_body_must_be_json_to_be_read() -> None:
    body = json.dumps({"code": "slot_unavailable", "detail": "Taken."})
    response = httpx.Response(409, text=body, headers={"content-type": "text/plain"})
    error = error_from_response(response, now=NOW)
    assert not isinstance(error, E.SlotUnavailable)
    assert "Taken" not in error.message
