"""What makes a PIN or password acceptable at the desk: at least six digits, or a password of
at least eight characters, and not one of the few everybody tries first."""

from __future__ import annotations

import itertools
from typing import Final

MIN_PIN_DIGITS: Final = 6
MIN_PASSWORD_LENGTH: Final = 8
MAX_LENGTH: Final = 128
_EASY: Final = frozenset(
    {
        "password",
        "password1",
        "frontdesk",
        "frontdesk1",
        "qwertyui",
        "qwertyuiop",
        "12345678",
        "87654321",
        "123123123",
        "abcdefgh",
        "letmein1",
        "welcome1",
    }
)
_DIGITS: Final = "0123456789"


def is_pin(secret: str) -> bool:
    return secret.isascii() and secret.isdigit()


def weakness(secret: str) -> str | None:
    """Why `secret` cannot be a PIN or password at this desk (None when it can)."""
    if len(secret) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if is_pin(secret):
        if len(secret) < MIN_PIN_DIGITS:
            return f"A PIN has at least {MIN_PIN_DIGITS} digits."
        if _monotonous(secret):
            return "That PIN is too easy to guess (repeated or consecutive digits)."
        return None
    if len(secret) < MIN_PASSWORD_LENGTH:
        return (
            f"Use a PIN of at least {MIN_PIN_DIGITS} digits or a password of at least "
            f"{MIN_PASSWORD_LENGTH} characters."
        )
    if len(set(secret)) <= 2 or secret.lower() in _EASY:
        return "That password is too easy to guess; choose another."
    return None


def _monotonous(pin: str) -> bool:
    """All one digit, or a run up or down (123456, 987654, 890123)."""
    if len(set(pin)) == 1:
        return True
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    return steps in ({1}, {9})
