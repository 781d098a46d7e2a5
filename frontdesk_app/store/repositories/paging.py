"""Opaque cursors for keyset paging: the last row's sort key, base64-encoded JSON."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from frontdesk_app.domain.errors import FieldError, ValidationFailed

MAX_LIMIT = 1000


def encode_cursor(kind: str, key: list[Any]) -> str:
    """A cursor that resumes after `key` in a listing of `kind`."""
    raw = json.dumps([kind, *key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str, size: int | None = None) -> list[Any]:
    """The sort key a cursor carries (`size` strings when given); a cursor from another listing
    or garbage is refused."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise bad_cursor() from exc
    if not isinstance(value, list) or not value or value[0] != kind:
        raise bad_cursor()
    key = value[1:]
    if (size is not None and len(key) != size) or not all(isinstance(k, str) for k in key):
        raise bad_cursor()
    return key


def check_limit(limit: int) -> int:
    """A page size between 1 and `MAX_LIMIT`."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(
            f"Page size must be between 1 and {MAX_LIMIT}.",
            errors=[FieldError("limit", f"Must be between 1 and {MAX_LIMIT}.")],
        )
    return limit


def bad_cursor() -> ValidationFailed:
    return ValidationFailed(
        "The page cursor is not valid; start again from the first page.",
        errors=[FieldError("cursor", "Not a cursor of this listing.")],
    )
