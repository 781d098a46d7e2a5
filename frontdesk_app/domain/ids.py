"""Prefixed identifiers (`apt_…`, `pat_…`) as the FrontDeskOS API spells them."""

from __future__ import annotations

import secrets
from typing import Final

APPOINTMENT: Final = "apt"
PATIENT: Final = "pat"
PROVIDER: Final = "prov"
PRESCRIPTION: Final = "rx"
CALL: Final = "call"
TRANSFER: Final = "xfr"
AGENT: Final = "agt"
EVENT: Final = "evt"
PAYER: Final = "payer"
ELIGIBILITY: Final = "elig"
NOTIFICATION: Final = "ntf"
REQUEST: Final = "req"
WEBHOOK_ENDPOINT: Final = "we"
DELIVERY: Final = "dlv"
CLIENT: Final = "cli"
# A waitlist entry: the desk chooses its id, so saving it is a repeatable `PUT`.
WAITLIST: Final = "wl"
# A recurring series: the desk chooses its id too, so booking one is a repeatable `PUT`.
SERIES: Final = "ser"
# An appointment booked while offline carries a temporary id until the server assigns one.
TEMPORARY_APPOINTMENT: Final = "tmp_apt"
# A patient registered while offline, likewise, until the server has registered them.
TEMPORARY_PATIENT: Final = "tmp_pat"

_ALPHABET: Final = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_id(prefix: str, length: int = 12) -> str:
    """A fresh random id such as `apt_3k9x0m2q7d1c`."""
    # One draw from the OS for the whole id: a draw per character cost a system call each,
    # which showed up as a fifth of the sandbox's time per request.
    number = secrets.randbelow(len(_ALPHABET) ** length)
    chars = []
    for _ in range(length):
        number, digit = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return f"{prefix}_{''.join(chars)}"


def has_prefix(value: str, prefix: str) -> bool:
    """True when `value` looks like an id of that kind (`has_prefix("apt_x", "apt")`)."""
    head, sep, tail = value.partition("_")
    if prefix in (TEMPORARY_APPOINTMENT, TEMPORARY_PATIENT):
        return value.startswith(prefix + "_") and len(value) > len(prefix) + 1
    return bool(sep) and head == prefix and bool(tail) and tail.isalnum()


def is_temporary(appointment_id: str) -> bool:
    """True for an id given to an appointment booked offline and not yet synced."""
    return appointment_id.startswith(TEMPORARY_APPOINTMENT + "_")


def is_temporary_patient(patient_id: str) -> bool:
    """True for the id of a patient registered offline and not yet synced."""
    return patient_id.startswith(TEMPORARY_PATIENT + "_")
