"""The seed's six operations answer with every field of its examples, same types and formats.

The seed's response examples are copied verbatim below; a result may carry more fields.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest

from frontdesk_app.domain.models import (
    AppointmentCancel,
    AppointmentCreate,
    AppointmentReschedule,
    EligibilityRequest,
    SimulatedCallRequest,
    TransferRequest,
)
from frontdesk_app.local.backend import LocalBackend
from tests.fixtures.store import TUESDAY, SmallClinic, local

SEED_CREATE = json.loads("""{
"id": "apt_1a2b3c4d",
"status": "confirmed",
"patient_id": "pat_5e6f7g8h",
"provider_id": "prov_9i0j1k2l",
"start_time": "2025-03-15T10:00:00Z",
"end_time": "2025-03-15T10:30:00Z",
"type": "consultation",
"created_at": "2025-03-14T18:30:00Z"
}""")
SEED_RESCHEDULE = json.loads("""{
"id": "apt_1a2b3c4d",
"status": "rescheduled",
"previous_time": "2025-03-15T10:00:00Z",
"new_start_time": "2025-03-17T14:00:00Z",
"new_end_time": "2025-03-17T14:30:00Z",
"rescheduled_at": "2025-03-15T09:00:00Z"
}""")
SEED_CANCEL = json.loads("""{
"id": "apt_1a2b3c4d",
"status": "cancelled",
"reason_code": "patient_request",
"cancelled_at": "2025-03-14T20:00:00Z",
"refund_eligible": true
}""")
SEED_ELIGIBILITY = json.loads("""{
"eligible": true,
"payer": "Blue Cross Blue Shield",
"member_id": "BCB123456789",
"coverage": {
"copay": 25,
"deductible_remaining": 500,
"coinsurance_pct": 20,
"in_network": true
},
"verified_at": "2025-03-14T18:30:00Z"
}""")
SEED_PRESCRIPTION = json.loads("""{
"id": "rx_4m5n6o7p",
"medication": "Lisinopril 10mg",
"status": "filled",
"refills_remaining": 3,
"last_filled": "2025-03-01T12:00:00Z",
"next_refill_date": "2025-03-29T00:00:00Z",
"pharmacy": {
"name": "CVS Pharmacy #1234",
"phone": "(555) 123-4567"
}
}""")
SEED_TRANSFER = json.loads("""{
"transfer_id": "xfr_8q9r0s1t",
"call_id": "call_2u3v4w5x",
"status": "connected",
"agent": {
"id": "agt_6y7z8a9b",
"name": "Sarah Johnson"
},
"context_passed": true,
"transferred_at": "2025-03-14T18:32:15Z"
}""")

_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_PHONE = re.compile(r"^\(\d{3}\) \d{3}-\d{4}$")
_ID = re.compile(r"^(apt|pat|prov|rx|call|xfr|agt)_[0-9a-z]+$")


def shape(value: Any) -> Any:
    """What a JSON value looks like: its type and, for strings, its format."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if value is None:
        return "null"
    if _UTC.match(value):
        return "utc-time"
    if _PHONE.match(value):
        return "phone"
    if match := _ID.match(value):
        return f"id:{match.group(1)}"
    return "string"


def assert_matches_seed(seed: dict[str, Any], result: dict[str, Any], path: str = "") -> None:
    """Every field of the seed's example is in the result, with the same type and format."""
    for key, example in seed.items():
        where = f"{path}.{key}"
        assert key in result, f"missing {where}"
        if isinstance(example, dict):
            assert isinstance(result[key], dict), where
            assert_matches_seed(example, result[key], where)
        else:
            assert shape(result[key]) == shape(example), (where, result[key], example)


def test_the_comparison_notices_a_wrong_format() -> None:
    with pytest.raises(AssertionError):
        assert_matches_seed(SEED_CREATE, {**SEED_CREATE, "start_time": "2025-03-15T10:00:00+00:00"})
    with pytest.raises(AssertionError):
        assert_matches_seed(SEED_ELIGIBILITY, {**SEED_ELIGIBILITY, "coverage": {"copay": 25.0}})
    with pytest.raises(AssertionError):
        assert_matches_seed(SEED_CANCEL, {k: v for k, v in SEED_CANCEL.items() if k != "id"})


@pytest.mark.asyncio
async def test_create_reschedule_cancel(backend: LocalBackend, clinic: SmallClinic) -> None:
    created = await backend.create_appointment(
        AppointmentCreate(
            patient_id=clinic.alice,
            provider_id=clinic.patel,
            start_time=local(TUESDAY, 10),
            duration_minutes=30,
            type="consultation",
        )
    )
    body = created.model_dump(mode="json")
    assert_matches_seed(SEED_CREATE, body)
    assert body["status"] == "confirmed"
    assert body["end_time"] == "2026-03-03T15:30:00Z"

    moved = await backend.reschedule_appointment(
        created.id, AppointmentReschedule(new_start_time=local(TUESDAY, 14))
    )
    body = moved.model_dump(mode="json")
    assert_matches_seed(SEED_RESCHEDULE, body)
    assert body["status"] == "rescheduled"
    assert body["previous_time"] == "2026-03-03T15:00:00Z"
    assert body["new_end_time"] == "2026-03-03T19:30:00Z"

    cancelled = await backend.cancel_appointment(
        created.id, AppointmentCancel(reason_code="patient_request")
    )
    body = cancelled.model_dump(mode="json")
    assert_matches_seed(SEED_CANCEL, body)
    assert (body["status"], body["refund_eligible"]) == ("cancelled", True)


@pytest.mark.asyncio
async def test_eligibility(backend: LocalBackend, clinic: SmallClinic) -> None:
    result = await backend.check_eligibility(
        EligibilityRequest(
            patient_id=clinic.alice,
            payer_id=clinic.payer,
            member_id=clinic.member,
            date_of_service=date(2026, 3, 3),
        )
    )
    body = result.model_dump(mode="json")
    assert_matches_seed(SEED_ELIGIBILITY, body)
    assert body["coverage"] == {
        "copay": 25,
        "deductible_remaining": 500,
        "coinsurance_pct": 20,
        "in_network": True,
    }


@pytest.mark.asyncio
async def test_prescription(backend: LocalBackend, clinic: SmallClinic) -> None:
    body = (await backend.get_prescription(clinic.rx)).model_dump(mode="json")
    assert_matches_seed(SEED_PRESCRIPTION, body)
    assert body["next_refill_date"] == "2026-03-29T00:00:00Z"


@pytest.mark.asyncio
async def test_transfer(backend: LocalBackend, clinic: SmallClinic) -> None:
    call = await backend.simulate_call(SimulatedCallRequest(patient_id=clinic.alice))
    transfer = await backend.transfer_call(call.id, TransferRequest())
    body = transfer.model_dump(mode="json")
    assert_matches_seed(SEED_TRANSFER, body)
    assert (body["status"], body["context_passed"]) == ("connected", True)


@pytest.mark.asyncio
async def test_demo_clinic_answers_in_the_seed_shapes_too(demo_backend: LocalBackend) -> None:
    patients = await demo_backend.search_patients(limit=200)
    insured = next(
        p for p in patients.data if p.insurance and p.insurance.payer_id != "payer_crescent"
    )
    assert insured.insurance is not None
    result = await demo_backend.check_eligibility(
        EligibilityRequest(
            patient_id=insured.id,
            payer_id=insured.insurance.payer_id,
            member_id=insured.insurance.member_id,
            date_of_service=date(2026, 3, 3),
            service_codes=["99213"],
        )
    )
    assert_matches_seed(SEED_ELIGIBILITY, result.model_dump(mode="json"))
    for patient in patients.data:
        page = await demo_backend.list_prescriptions(patient.id)
        for rx in page.data:
            if rx.status == "filled":
                assert_matches_seed(SEED_PRESCRIPTION, rx.model_dump(mode="json"))
                break
        else:
            continue
        break
    else:
        pytest.fail("no filled prescription in the demo")
    calls = await demo_backend.list_calls("ai_handling")
    transfer = await demo_backend.transfer_call(calls[0].id, TransferRequest())
    assert_matches_seed(SEED_TRANSFER, transfer.model_dump(mode="json"))
