"""The workstation PIN or password: kept only as an argon2 hash, in the OS keyring.

The hash is not a secret in itself (it only lets someone test guesses, slowly), but in the
keyring it is out of reach of a copy of the home folder. A computer with no usable keyring
keeps it in a file in the config folder instead, and says so in the log.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Final, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from frontdesk_app import secrets
from frontdesk_app.config import config_dir

log = logging.getLogger(__name__)

LOCK_ENTRY: Final = "workstation-lock"
MIN_LENGTH: Final = 4
MAX_LENGTH: Final = 128
_EASY: Final = frozenset(
    {"1234", "12345", "123456", "1234567", "12345678", "0123", "4321", "password", "frontdesk"}
)


class HashStore(Protocol):
    """Where the hash lives."""

    def load(self) -> str | None: ...

    def save(self, value: str) -> None: ...


class KeyringHashStore:
    """The keyring entry `FrontDesk / workstation-lock`; a file where there is no keyring."""

    def __init__(self, fallback: Path | None = None) -> None:
        self._fallback = fallback

    @property
    def fallback(self) -> Path:
        return self._fallback or config_dir() / "workstation-lock.hash"

    def load(self) -> str | None:
        try:
            return secrets.get_secret(LOCK_ENTRY)
        except secrets.SecretStoreUnavailable:
            try:
                return self.fallback.read_text(encoding="utf-8").strip() or None
            except FileNotFoundError:
                return None

    def save(self, value: str) -> None:
        try:
            secrets.set_secret(LOCK_ENTRY, value)
            return
        except secrets.SecretStoreUnavailable:
            log.warning("no keyring: the workstation PIN's hash is kept in the config folder")
        target = self.fallback
        tmp = target.with_suffix(".tmp")
        tmp.write_text(value, encoding="utf-8")
        if os.name != "nt":
            tmp.chmod(0o600)
        os.replace(tmp, target)


class MemoryHashStore:
    """For tests and throw-away sessions."""

    def __init__(self, value: str | None = None) -> None:
        self.value = value

    def load(self) -> str | None:
        return self.value

    def save(self, value: str) -> None:
        self.value = value


def weakness(secret: str) -> str | None:
    """Why `secret` is not acceptable as the workstation PIN or password (None if it is)."""
    if len(secret) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} digits or characters."
    if len(secret) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if len(set(secret)) == 1 or secret.lower() in _EASY:
        return "That one is too easy to guess; choose another."
    return None


class WorkstationLock:
    """Checks the PIN against its hash. `verify` and `set` take about half a second on
    purpose (argon2id): run them off the GUI thread."""

    def __init__(self, store: HashStore, hasher: PasswordHasher | None = None) -> None:
        self._store = store
        self._hasher = hasher or PasswordHasher()

    def is_set(self) -> bool:
        try:
            return bool(self._store.load())
        except secrets.SecretStoreUnavailable:
            return False

    def set(self, secret: str) -> None:
        """Save a new PIN (as its hash); `ValueError` with the reason if it is too weak."""
        problem = weakness(secret)
        if problem is not None:
            raise ValueError(problem)
        self._store.save(self._hasher.hash(secret))

    def verify(self, secret: str) -> bool:
        stored = self._store.load()
        if not stored or not secret:
            return False
        try:
            self._hasher.verify(stored, secret)
        except (VerificationError, InvalidHashError):
            return False
        if self._hasher.check_needs_rehash(stored):
            # Stronger parameters since it was set: upgrade while the PIN is at hand.
            self._store.save(self._hasher.hash(secret))
        return True
