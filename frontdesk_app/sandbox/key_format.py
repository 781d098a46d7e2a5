"""What a sandbox API key looks like, and a new one: the standard library only, so that the
desk can make its bundled sandbox's key before that child runs (see `process.py`)."""

from __future__ import annotations

import secrets

API_KEY_PREFIX = "fdk_test_"
KEY_BYTES = 32  # 256 bits of randomness (43 characters of URL-safe base64)


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)


def well_formed(api_key: str) -> bool:
    """A key this format makes: the prefix, then at least 256 bits of URL-safe base64."""
    body = api_key.removeprefix(API_KEY_PREFIX)
    return (
        api_key.startswith(API_KEY_PREFIX)
        and len(body) >= 43
        and all(c.isascii() and (c.isalnum() or c in "-_") for c in body)
    )
