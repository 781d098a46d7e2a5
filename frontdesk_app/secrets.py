"""Secrets (API keys, OAuth client secrets, the keyring slot's secret) live in the OS keyring.

Where the machine has no keyring backend, `SecretStoreUnavailable` says so in words a person can
act on; nothing ever falls back to a plain file silently. API credentials (`sealed_ok=True`) may
instead go to a vault the app opens once the clinic's store key is known (`use_vault`: the desk
file, sealed under that key, `store.sealed_secrets`), so a desk without a keyring can still
talk to its server after someone signs in.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import keyring
import keyring.backend
import keyring.backends.chainer
import keyring.errors
import keyring.util.platform_

SERVICE = "FrontDesk"


class SecretStoreUnavailable(RuntimeError):
    """No usable keyring: the app must explain the choices instead of saving secrets in a file."""


# keyring ranks plain-text and "fail" backends below 1; it still picks one when nothing better
# exists, which would put secrets in a file in the home folder without telling anyone.
_MIN_SECURE_PRIORITY = 1.0


def _chosen_explicitly() -> bool:
    """An administrator picked the backend (environment or keyringrc.cfg): respect it."""
    if os.environ.get("PYTHON_KEYRING_BACKEND"):
        return True
    config = Path(keyring.util.platform_.config_root()) / "keyringrc.cfg"
    return config.is_file()


def secure_backend() -> keyring.backend.KeyringBackend:
    """The keyring to use, refusing a plain-text fallback nobody chose."""
    backend: keyring.backend.KeyringBackend = keyring.get_keyring()
    if _chosen_explicitly():
        return backend
    if isinstance(backend, keyring.backends.chainer.ChainerBackend):
        candidates = list(backend.backends)
    else:
        candidates = [backend]
    secure = [b for b in candidates if b.priority >= _MIN_SECURE_PRIORITY]
    if not secure:
        raise SecretStoreUnavailable(_explain(keyring.errors.NoKeyringError()))
    best: keyring.backend.KeyringBackend = max(secure, key=lambda b: b.priority)
    return best


class SecretVault(Protocol):
    """Where API credentials go when the OS has no keyring (see the module's docstring)."""

    def get(self, name: str) -> str | None: ...
    def put(self, name: str, value: str) -> None: ...
    def remove(self, name: str) -> None: ...


_vault: list[SecretVault] = []


def use_vault(vault: SecretVault | None) -> None:
    """The vault for API credentials from now on in this process (None: none)."""
    _vault.clear()
    if vault is not None:
        _vault.append(vault)


def _keyring_or_vault(sealed_ok: bool) -> keyring.backend.KeyringBackend | SecretVault:
    try:
        return secure_backend()
    except SecretStoreUnavailable:
        if sealed_ok and _vault:
            return _vault[0]
        raise


def get_secret(name: str, *, sealed_ok: bool = False) -> str | None:
    """The secret saved as `name`; with `sealed_ok`, from the vault when there is no keyring."""
    try:
        place = _keyring_or_vault(sealed_ok)
        if isinstance(place, keyring.backend.KeyringBackend):
            return place.get_password(SERVICE, name)
        return place.get(name)
    except keyring.errors.KeyringError as exc:
        raise SecretStoreUnavailable(_explain(exc)) from None


def set_secret(name: str, value: str, *, sealed_ok: bool = False) -> None:
    try:
        place = _keyring_or_vault(sealed_ok)
        if isinstance(place, keyring.backend.KeyringBackend):
            place.set_password(SERVICE, name, value)
        else:
            place.put(name, value)
    except keyring.errors.KeyringError as exc:
        raise SecretStoreUnavailable(_explain(exc)) from None


def delete_secret(name: str, *, sealed_ok: bool = False) -> None:
    try:
        place = _keyring_or_vault(sealed_ok)
        if isinstance(place, keyring.backend.KeyringBackend):
            place.delete_password(SERVICE, name)
        else:
            place.remove(name)
    except keyring.errors.PasswordDeleteError:
        return
    except keyring.errors.KeyringError as exc:
        raise SecretStoreUnavailable(_explain(exc)) from None


def _explain(exc: Exception) -> str:
    # The exception text of keyring backends never contains the secret itself, only the
    # backend's complaint, but we still describe the problem in our own words.
    return (
        "This computer has no password store (keyring) FrontDesk can use. Install and unlock "
        "one (GNOME Keyring, KWallet, macOS Keychain or Windows Credential Manager), or ask IT "
        f"to configure one. Details: {type(exc).__name__}."
    )
