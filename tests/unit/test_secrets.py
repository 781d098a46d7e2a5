"""Secrets go to a real keyring; a plain-text fallback nobody chose is refused with advice."""

from __future__ import annotations

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring

from frontdesk_app import secrets
from tests.keyrings import MemoryKeyring


def test_memory_keyring_round_trip() -> None:
    secrets.set_secret("unit-test", "value")
    assert secrets.get_secret("unit-test") == "value"
    secrets.delete_secret("unit-test")
    assert secrets.get_secret("unit-test") is None
    secrets.delete_secret("unit-test")  # deleting twice is harmless


def test_plain_text_fallback_is_refused_unless_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setattr(secrets, "_chosen_explicitly", lambda: False)
    previous = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())
    try:
        with pytest.raises(secrets.SecretStoreUnavailable, match="no password store"):
            secrets.set_secret("unit-test", "value")
        monkeypatch.setattr(secrets, "_chosen_explicitly", lambda: True)
        assert isinstance(secrets.secure_backend(), PlaintextKeyring)
    finally:
        keyring.set_keyring(previous)


def test_secure_backend_is_used_as_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets, "_chosen_explicitly", lambda: False)
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        assert isinstance(secrets.secure_backend(), MemoryKeyring)
    finally:
        keyring.set_keyring(previous)
