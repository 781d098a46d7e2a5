"""Registering a patient: the fields a front desk must get right, and likely duplicates.

The same rules run in the local store, in the sandbox server and before an offline
registration is queued. Messages name the field and what to fix, never what was typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from frontdesk_app.domain.errors import FieldError, ValidationFailed
from frontdesk_app.domain.models import Patient, PatientCreate

MAX_NAME = 100
MAX_AGE_YEARS = 130
MIN_PHONE_DIGITS = 7
MAX_PHONE_DIGITS = 15
MAX_EMAIL = 200
MAX_ADDRESS = 300
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MEMBER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{2,39}$")
_NAME = re.compile(r"^[^\W\d_][^\d_]*$", re.UNICODE)


def digits(text: str) -> str:
    """The digits of a phone number: `(555) 010-2233` → `5550102233`."""
    return "".join(ch for ch in text if ch.isdigit())


def normalise(request: PatientCreate) -> PatientCreate:
    """Stray spaces gone, an empty email or address as none: what is stored and compared."""
    email = (request.email or "").strip() or None
    address = " ".join((request.address or "").split()) or None
    insurance = request.insurance
    if insurance is not None:
        insurance = insurance.model_copy(
            update={
                "payer_id": insurance.payer_id.strip(),
                "member_id": insurance.member_id.strip(),
            }
        )
        if not insurance.payer_id and not insurance.member_id:
            insurance = None
    return request.model_copy(
        update={
            "first_name": " ".join(request.first_name.split()),
            "last_name": " ".join(request.last_name.split()),
            "phone": request.phone.strip(),
            "email": email,
            "address": address,
            "insurance": insurance,
        }
    )


def validate_patient(
    request: PatientCreate, *, today: date, payer_ids: Iterable[str] | None = None
) -> PatientCreate:
    """The request normalised, or `ValidationFailed` naming every field to correct."""
    request = normalise(request)
    errors: list[FieldError] = []
    for field, label in (("first_name", "First name"), ("last_name", "Last name")):
        value: str = getattr(request, field)
        if not value:
            errors.append(FieldError(field, f"{label} is required."))
        elif len(value) > MAX_NAME:
            errors.append(FieldError(field, f"{label} is longer than {MAX_NAME} characters."))
        elif not _NAME.match(value):
            errors.append(FieldError(field, f"{label} may hold letters, spaces, - and ' only."))
    born = request.date_of_birth
    if born > today:
        errors.append(FieldError("date_of_birth", "Date of birth is in the future."))
    elif born.year < today.year - MAX_AGE_YEARS:
        errors.append(
            FieldError("date_of_birth", f"Date of birth is more than {MAX_AGE_YEARS} years ago.")
        )
    phone_digits = digits(request.phone)
    if not MIN_PHONE_DIGITS <= len(phone_digits) <= MAX_PHONE_DIGITS:
        errors.append(
            FieldError(
                "phone",
                f"Phone number needs {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} digits.",
            )
        )
    elif re.search(r"[^\d\s()+.\-]", request.phone):
        errors.append(FieldError("phone", "Phone number may hold digits, spaces and ( ) + - ."))
    if request.email is not None and (
        len(request.email) > MAX_EMAIL or not _EMAIL.match(request.email)
    ):
        errors.append(FieldError("email", "Email address is not valid (name@example.com)."))
    if request.address is not None and len(request.address) > MAX_ADDRESS:
        errors.append(FieldError("address", f"Address is longer than {MAX_ADDRESS} characters."))
    insurance = request.insurance
    if insurance is not None:
        if not insurance.payer_id:
            errors.append(FieldError("insurance.payer_id", "Choose the insurance payer."))
        elif payer_ids is not None and insurance.payer_id not in set(payer_ids):
            errors.append(FieldError("insurance.payer_id", "This payer is not known."))
        if not _MEMBER_ID.match(insurance.member_id):
            errors.append(
                FieldError(
                    "insurance.member_id",
                    "Member ID needs 3 to 40 letters, digits or dashes (from the insurance card).",
                )
            )
    if errors:
        raise ValidationFailed(
            "Some details need correcting: " + ", ".join(e.field for e in errors) + ".",
            errors=errors,
        )
    return request


def same_person_keys(first_name: str, last_name: str, born: date) -> tuple[str, str, date]:
    """What "same name and date of birth" compares: names without case or extra spaces."""
    return (" ".join(first_name.split()).casefold(), " ".join(last_name.split()).casefold(), born)


def likely_duplicates(request: PatientCreate, known: Iterable[Patient]) -> list[Patient]:
    """Registered patients with the same name and date of birth, or the same phone number."""
    wanted = same_person_keys(request.first_name, request.last_name, request.date_of_birth)
    phone = digits(request.phone)
    found: dict[str, Patient] = {}
    for patient in known:
        same_person = (
            same_person_keys(patient.first_name, patient.last_name, patient.date_of_birth) == wanted
        )
        if same_person or (phone and digits(patient.phone) == phone):
            found.setdefault(patient.id, patient)
    return sorted(found.values(), key=lambda p: (p.last_name, p.first_name, p.id))


def duplicate_message(count: int) -> str:
    """The refusal's words: how many, never who."""
    if count == 1:
        return (
            "A patient with the same name and date of birth, or the same phone number, is "
            "already registered. Choose them, or register this patient anyway."
        )
    return (
        f"{count} patients with the same name and date of birth, or the same phone number, are "
        "already registered. Choose one, or register this patient anyway."
    )
