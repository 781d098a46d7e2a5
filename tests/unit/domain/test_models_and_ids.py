"""Wire formats of the domain models, ids and the error table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from frontdesk_app.domain import errors, ids
from frontdesk_app.domain.models import Appointment, AppointmentCreate, Page
from frontdesk_app.domain.timeutil import format_utc, parse_utc


def test_times_are_utc_with_z_to_the_second() -> None:
    eastern = timezone(timedelta(hours=-5))
    created = AppointmentCreate(
        patient_id="pat_1",
        provider_id="prov_1",
        start_time=datetime(2025, 3, 15, 5, 0, 0, tzinfo=eastern),
        duration_minutes=30,
        type="consultation",
    )
    assert created.model_dump(mode="json")["start_time"] == "2025-03-15T10:00:00Z"
    assert parse_utc("2025-03-15T10:00:00Z") == datetime(2025, 3, 15, 10, tzinfo=UTC)
    assert format_utc(datetime(2025, 3, 15, 10, 0, 0, 999, tzinfo=UTC)) == "2025-03-15T10:00:00Z"


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValidationError):
        AppointmentCreate(
            patient_id="pat_1",
            provider_id="prov_1",
            start_time=datetime(2025, 3, 15, 10),
            duration_minutes=30,
            type="consultation",
        )


def test_requests_refuse_unknown_fields_and_responses_tolerate_them() -> None:
    with pytest.raises(ValidationError):
        AppointmentCreate.model_validate(
            {
                "patient_id": "p",
                "provider_id": "q",
                "start_time": "2025-03-15T10:00:00Z",
                "duration_minutes": 30,
                "type": "consultation",
                "colour": "red",
            }
        )
    page = Page[Appointment].model_validate(
        {
            "data": [
                {
                    "id": "apt_1",
                    "status": "confirmed",
                    "patient_id": "p",
                    "provider_id": "q",
                    "start_time": "2025-03-15T10:00:00Z",
                    "end_time": "2025-03-15T10:30:00Z",
                    "duration_minutes": 30,
                    "type": "consultation",
                    "created_at": "2025-03-14T18:30:00Z",
                    "updated_at": "2025-03-14T18:30:00Z",
                    "added_by_a_newer_server": True,
                }
            ],
            "next_cursor": None,
        }
    )
    assert page.data[0].active


def test_ids_carry_their_prefix() -> None:
    made = ids.new_id(ids.APPOINTMENT)
    assert ids.has_prefix(made, "apt") and not ids.has_prefix(made, "pat")
    assert not ids.has_prefix("apt_", "apt") and not ids.has_prefix("apt_../x", "apt")
    assert ids.is_temporary(ids.new_id(ids.TEMPORARY_APPOINTMENT))
    assert len({ids.new_id("apt") for _ in range(1000)}) == 1000


def test_every_api_code_has_one_error_class() -> None:
    codes = [
        "validation_failed",
        "not_found",
        "slot_unavailable",
        "provider_unavailable",
        "invalid_state",
        "idempotency_key_reused",
        "rate_limited",
        "invalid_token",
        "insufficient_scope",
        "payer_unavailable",
    ]
    for code in codes:
        assert errors.error_for_code(code).code == code
    assert errors.error_for_code("something_new") is errors.FrontDeskError
    assert issubclass(errors.SlotUnavailable, errors.Conflict)
