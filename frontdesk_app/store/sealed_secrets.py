"""API credentials on a computer without a password store: sealed under the clinic's store key.

Many clinic PCs run Linux with no GNOME Keyring or KWallet. Their stores open once a person
signs in (key slots, `store.desk_keys`), but an API key or OAuth client secret had nowhere to
go, so such a desk could not talk to a real server. `SealedSecrets` keeps them in the desk file
(written atomically, with a second copy), each encrypted with AES-256-GCM under a key derived
from the store key (HKDF-SHA256, its own purpose label, so the store key itself never encrypts
anything else) and bound to its name. It opens only with the store key, that is after someone
signed in, or with the keyring slot where there is one (and then the keyring is used anyway).

`secrets.use_vault(SealedSecrets(folder, key))` makes it the place for credentials when the OS
has no keyring; the keyring, when there is one, always comes first.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from frontdesk_app import secrets
from frontdesk_app.store.desk_file import DeskFile, Document

log = logging.getLogger(__name__)

FIELD: Final = "sealed_secrets"
_PURPOSE: Final = b"frontdesk sealed secrets v1"
_NONCE_BYTES: Final = 12


def _sealing_key(store_key: str) -> bytes:
    raw = bytes.fromhex(store_key)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(raw)


def _entries(document: Document) -> dict[str, Any]:
    entries = document.get(FIELD)
    if not isinstance(entries, dict):
        entries = {}
        document[FIELD] = entries
    return entries


class SealedSecrets:
    """Named secrets in the desk file of `folder`, readable only with `store_key`."""

    def __init__(self, folder: Path, store_key: str) -> None:
        self._file = DeskFile(folder)
        self._aead = AESGCM(_sealing_key(store_key))

    def get(self, name: str) -> str | None:
        """The secret saved as `name`; None when there is none or it cannot be opened (sealed
        under another store key, or damaged: logged by name only, never by content)."""
        raw = _entries(self._file.read()).get(name)
        if not isinstance(raw, dict):
            return None
        try:
            nonce = base64.b64decode(str(raw["nonce"]), validate=True)
            sealed = base64.b64decode(str(raw["data"]), validate=True)
            return self._aead.decrypt(nonce, sealed, name.encode("utf-8")).decode("utf-8")
        except (KeyError, ValueError, binascii.Error, InvalidTag):
            log.warning("the sealed secret %s cannot be opened with this desk's key", name)
            return None

    def put(self, name: str, value: str) -> None:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), name.encode("utf-8"))
        entry = {
            "nonce": base64.b64encode(nonce).decode("ascii"),
            "data": base64.b64encode(sealed).decode("ascii"),
        }
        self._file.update(lambda document: _entries(document).__setitem__(name, entry))

    def remove(self, name: str) -> None:
        self._file.update(lambda document: _entries(document).pop(name, None))


def use_for_credentials(folder: Path, store_key: str | None) -> None:
    """From now on in this process, API credentials go to (and come from) the desk file in
    `folder`, sealed under `store_key`, whenever the OS has no keyring (None: nowhere)."""
    secrets.use_vault(SealedSecrets(folder, store_key) if store_key is not None else None)
