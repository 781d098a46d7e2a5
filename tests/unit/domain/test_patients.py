"""Registering a patient: every field checked with a message naming it, and likely duplicates
(same name and date of birth, or same phone) found whatever the spelling of case and spaces."""

from __future__ import annotations

from datetime import date

import pytest

from frontdesk_app.domain.errors import ValidationFailed
from frontdesk_app.domain.models import Insurance, Patient, PatientCreate
from frontdesk_app.domain.patients import likely_duplicates, validate_patient

TODAY = date(2026, 3, 2)


def request(**change: object) -> PatientCreate:
    fields: dict[str, object] = {
        "first_name": "Dana",
        "last_name": "Whitfield",
        "date_of_birth": date(1984, 3, 2),
        "phone": "(555) 010-2233",
    }
    return PatientCreate.model_validate({**fields, **change})


def known(pid: str, **change: object) -> Patient:
    fields: dict[str, object] = {
        "id": pid,
        "first_name": "Dana",
        "last_name": "Whitfield",
        "date_of_birth": date(1984, 3, 2),
        "phone": "555 444 0000",
    }
    return Patient.model_validate({**fields, **change})


def test_a_valid_request_is_normalised_not_rewritten() -> None:
    valid = validate_patient(
        request(
            first_name="  Dana ",
            last_name="Whit  field",
            email="  ",
            address=" 4  Mill St ",
            insurance=Insurance(payer_id="payer_a", member_id=" ab-123 "),
        ),
        today=TODAY,
        payer_ids=["payer_a"],
    )
    assert (valid.first_name, valid.last_name) == ("Dana", "Whit field")
    assert valid.email is None and valid.address == "4 Mill St"
    assert valid.insurance == Insurance(payer_id="payer_a", member_id="ab-123")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"first_name": ""}, "first_name"),
        ({"last_name": "R2D2"}, "last_name"),
        ({"first_name": "x" * 101}, "first_name"),
        ({"date_of_birth": date(2026, 3, 3)}, "date_of_birth"),
        ({"date_of_birth": date(1890, 1, 1)}, "date_of_birth"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "555-0102-abc"}, "phone"),
        ({"email": "dana@"}, "email"),
        ({"address": "x" * 301}, "address"),
        ({"insurance": Insurance(payer_id="payer_zz", member_id="ABC123")}, "insurance.payer_id"),
        ({"insurance": Insurance(payer_id="payer_a", member_id="a!")}, "insurance.member_id"),
    ],
)
def test_each_bad_field_is_named(change: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        validate_patient(request(**change), today=TODAY, payer_ids=["payer_a"])
    assert [e.field for e in refused.value.errors] == [field]
    # The message names the field and the rule, never what was typed.
    for value in change.values():
        if isinstance(value, str) and len(value) > 3:
            assert value not in refused.value.message


def test_likely_duplicates_by_name_and_birth_date_or_phone() -> None:
    same_person = known("pat_1", first_name="DANA", last_name=" whitfield")
    same_phone = known("pat_2", first_name="Lee", phone="5550102233")
    namesake_other_birthday = known("pat_3", date_of_birth=date(1985, 3, 2))
    found = likely_duplicates(request(), [same_person, same_phone, namesake_other_birthday])
    assert {p.id for p in found} == {"pat_1", "pat_2"}
    assert likely_duplicates(request(phone="555 000 1111"), [namesake_other_birthday]) == []
