"""A keyring for tests only: remembers in memory, forgets at exit.

It lives under `tests/` on purpose: keyring takes any imported `KeyringBackend` subclass as a
candidate, so one in product code would become the keyring of every machine without a real one
(and the clinic's store key would vanish at exit). Tests choose it with
`PYTHON_KEYRING_BACKEND=tests.keyrings.MemoryKeyring` or `keyring.set_keyring(MemoryKeyring())`.
"""

from __future__ import annotations

import keyring.backend
import keyring.errors


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Every instance shares one dict, as a real keyring is shared by the whole session."""

    priority = 1
    _store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._store.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)
