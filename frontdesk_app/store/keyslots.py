"""Key slots: the store key is kept only wrapped, once per way in (a person's PIN or password,
the recovery code, the OS keyring), as disk encryption and password managers do.

Each slot holds the store key encrypted with AES-256-GCM under a key-encryption key (KEK):
derived with argon2id from a person's PIN or password or from the recovery code (salt and
cost kept in the slot), or 32 random bytes kept in the OS keyring. The slot's id, kind and
person are bound to it as associated data, so a slot cannot be moved to another person. A
wrong secret fails GCM's authentication: `WrongSecret`, nothing else is learnt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as token_source
import unicodedata
from dataclasses import dataclass
from typing import Any, Final, Literal

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from frontdesk_app.domain.errors import FrontDeskError

SlotKind = Literal["person", "recovery", "keyring"]
SLOT_KINDS: Final[tuple[SlotKind, ...]] = ("person", "recovery", "keyring")
KEY_BYTES: Final = 32
SALT_BYTES: Final = 16
NONCE_BYTES: Final = 12
# Crockford's base32 alphabet: no I, L, O or U, so a code read off paper is not misread.
_CODE_ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE_GROUPS: Final = 6
_CODE_GROUP_LENGTH: Final = 5  # 30 characters of 5 bits: 150 random bits
_CHECK_LABEL: Final = b"frontdesk store key check v1"


class WrongSecret(FrontDeskError):
    """The PIN, password or recovery code does not open this slot."""

    code = "wrong_secret"
    status = 401
    title = "That PIN or password is not right"


class DamagedSlot(FrontDeskError):
    """A slot's fields cannot be read (the file was edited or damaged): other slots still work."""

    code = "damaged_slot"
    status = 423
    title = "A sign-in entry on this computer is damaged"


@dataclass(frozen=True, slots=True)
class KdfParams:
    """argon2id's cost: passes, memory (KiB) and lanes."""

    time_cost: int
    memory_kib: int
    parallelism: int

    def as_dict(self) -> dict[str, int]:
        return {"t": self.time_cost, "m": self.memory_kib, "p": self.parallelism}

    @classmethod
    def from_dict(cls, raw: Any) -> KdfParams:
        try:
            params = cls(int(raw["t"]), int(raw["m"]), int(raw["p"]))
        except (KeyError, TypeError, ValueError):
            raise DamagedSlot("A sign-in entry's key derivation settings are damaged.") from None
        if not (1 <= params.time_cost <= 100 and 8 <= params.memory_kib <= 4_194_304):
            raise DamagedSlot("A sign-in entry's key derivation settings are out of range.")
        if not 1 <= params.parallelism <= 64:
            raise DamagedSlot("A sign-in entry's key derivation settings are out of range.")
        return params


# RFC 9106's second recommended option (argon2id, 3 passes, 64 MiB, 4 lanes): a fifth of a
# second here, and every guess at a copied file costs an attacker as much.
DEFAULT_PARAMS: Final = KdfParams(time_cost=3, memory_kib=65_536, parallelism=4)


@dataclass(frozen=True, slots=True)
class Slot:
    """One wrapped copy of the store key."""

    id: str
    kind: SlotKind
    person_id: str | None
    nonce: bytes
    wrapped: bytes
    salt: bytes | None = None
    params: KdfParams | None = None

    def as_dict(self) -> dict[str, Any]:
        raw: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "person_id": self.person_id,
            "nonce": _b64(self.nonce),
            "wrapped": _b64(self.wrapped),
        }
        if self.salt is not None and self.params is not None:
            raw["kdf"] = {"name": "argon2id", "salt": _b64(self.salt), **self.params.as_dict()}
        return raw

    @classmethod
    def from_dict(cls, raw: Any) -> Slot:
        """A slot read from the desk file; `DamagedSlot` if anything in it is malformed."""
        try:
            kind = raw["kind"]
            if kind not in SLOT_KINDS:
                raise ValueError(kind)
            kdf = raw.get("kdf")
            salt = params = None
            if kdf is not None:
                if kdf.get("name") != "argon2id":
                    raise ValueError("kdf")
                salt, params = _unb64(kdf["salt"]), KdfParams.from_dict(kdf)
            elif kind != "keyring":
                raise ValueError("kdf")
            slot = cls(
                id=str(raw["id"]),
                kind=kind,
                person_id=None if raw.get("person_id") is None else str(raw["person_id"]),
                nonce=_unb64(raw["nonce"]),
                wrapped=_unb64(raw["wrapped"]),
                salt=salt,
                params=params,
            )
        except DamagedSlot:
            raise
        except (KeyError, TypeError, ValueError, AttributeError):
            raise DamagedSlot("A sign-in entry on this computer cannot be read.") from None
        if len(slot.nonce) != NONCE_BYTES or len(slot.wrapped) != KEY_BYTES + 16:
            raise DamagedSlot("A sign-in entry on this computer is truncated.")
        return slot


def new_slot_id() -> str:
    return "slot_" + token_source.token_hex(8)


def derive_kek(secret: str, salt: bytes, params: KdfParams) -> bytes:
    """The key-encryption key for `secret` (NFC-normalised, so the same PIN typed on another
    keyboard layout or input method gives the same key)."""
    if not secret:
        raise WrongSecret("An empty PIN or password opens nothing.")
    normalised = unicodedata.normalize("NFC", secret).encode("utf-8")
    return hash_secret_raw(
        normalised,
        salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def _associated_data(slot_id: str, kind: SlotKind, person_id: str | None) -> bytes:
    return f"frontdesk-slot-v1|{slot_id}|{kind}|{person_id or ''}".encode()


def seal(
    store_key: bytes,
    kek: bytes,
    *,
    kind: SlotKind,
    person_id: str | None = None,
    salt: bytes | None = None,
    params: KdfParams | None = None,
) -> Slot:
    """A new slot holding `store_key` wrapped under `kek`."""
    if len(store_key) != KEY_BYTES or len(kek) != KEY_BYTES:
        raise ValueError("store keys and key-encryption keys are 32 bytes")
    slot_id = new_slot_id()
    nonce = token_source.token_bytes(NONCE_BYTES)
    wrapped = AESGCM(kek).encrypt(nonce, store_key, _associated_data(slot_id, kind, person_id))
    return Slot(slot_id, kind, person_id, nonce, wrapped, salt, params)


def seal_with_secret(
    store_key: bytes,
    secret: str,
    *,
    kind: SlotKind,
    person_id: str | None = None,
    params: KdfParams = DEFAULT_PARAMS,
) -> Slot:
    """A slot opened by a PIN, password or recovery code (argon2id with a fresh salt)."""
    salt = token_source.token_bytes(SALT_BYTES)
    kek = derive_kek(secret, salt, params)
    return seal(store_key, kek, kind=kind, person_id=person_id, salt=salt, params=params)


def open_slot(slot: Slot, kek: bytes) -> bytes:
    """The store key inside `slot`; `WrongSecret` if `kek` is not the slot's."""
    try:
        return AESGCM(kek).decrypt(
            slot.nonce, slot.wrapped, _associated_data(slot.id, slot.kind, slot.person_id)
        )
    except InvalidTag:
        raise WrongSecret("That PIN, password or code does not open this entry.") from None


def open_with_secret(slot: Slot, secret: str) -> bytes:
    """The store key inside a PIN, password or recovery slot."""
    if slot.salt is None or slot.params is None:
        raise DamagedSlot("This sign-in entry has no key derivation settings.")
    return open_slot(slot, derive_kek(secret, slot.salt, slot.params))


def key_check(store_key: bytes) -> str:
    """A value that tells which store key a desk file's slots hold, without revealing it."""
    return hmac.new(store_key, _CHECK_LABEL, hashlib.sha256).hexdigest()[:32]


# --- recovery codes ---------------------------------------------------------------------------


def new_recovery_code() -> str:
    """A fresh recovery code: six groups of five characters, 150 random bits."""
    chars = "".join(
        token_source.choice(_CODE_ALPHABET) for _ in range(_CODE_GROUPS * _CODE_GROUP_LENGTH)
    )
    groups = [chars[i : i + _CODE_GROUP_LENGTH] for i in range(0, len(chars), _CODE_GROUP_LENGTH)]
    return "-".join(groups)


def normalise_recovery_code(typed: str) -> str:
    """The code as it was issued, from what someone typed: case, spaces and dashes do not
    matter, and the letters people confuse with digits (O, I, L) are read as those digits."""
    cleaned = "".join(ch for ch in typed.upper() if ch.isalnum())
    cleaned = cleaned.translate(str.maketrans("OIL", "011"))
    length = _CODE_GROUPS * _CODE_GROUP_LENGTH
    if len(cleaned) != length or any(ch not in _CODE_ALPHABET for ch in cleaned):
        raise WrongSecret(
            f"A recovery code has {_CODE_GROUPS} groups of {_CODE_GROUP_LENGTH} letters and "
            "digits, as printed when this computer was set up."
        )
    return "-".join(
        cleaned[i : i + _CODE_GROUP_LENGTH] for i in range(0, length, _CODE_GROUP_LENGTH)
    )


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _unb64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise ValueError("not base64 text")
    return base64.b64decode(value.encode("ascii"), validate=True)
