"""`DeskKeys`: the people who sign in at this computer, and the slots that open its store key.

The store key (32 random bytes, the SQLCipher key of every store on this computer) is made
once, when the first person is set up, and is kept only in slots (see `keyslots`): one per
active person, one for the recovery code shown at set-up, and one whose secret sits in the OS
keyring when the computer has a real one (so syncing can start before anybody signs in).
Deleting the keyring entry closes only that way in (the next sign-in puts a new slot in
place); nothing here ever makes a second key for a desk that has one. Wrong tries are counted
in the desk file per person and for the recovery code (`sign_in_tries`).
"""

from __future__ import annotations

import logging
import secrets as token_source
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from frontdesk_app import secrets as secret_store
from frontdesk_app.domain import clock
from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.store import encryption
from frontdesk_app.store.desk_file import DeskFile, Document
from frontdesk_app.store.keyslots import (
    DEFAULT_PARAMS,
    DamagedSlot,
    KdfParams,
    Slot,
    WrongSecret,
    key_check,
    new_recovery_code,
    normalise_recovery_code,
    open_slot,
    open_with_secret,
    seal,
    seal_with_secret,
)
from frontdesk_app.store.secret_rules import weakness
from frontdesk_app.store.sign_in_tries import (
    HeldOff,
    count_failure,
    wait_after,
    wait_left,
    wait_message,
)

log = logging.getLogger(__name__)

KEYRING_ENTRY: Final = "store-slot"
RECOVERY: Final = "recovery"
Role = Literal["admin", "staff"]


class NotAllowed(FrontDeskError):
    """The change would leave the desk without a way in, or names nobody known."""

    code = "not_allowed"
    status = 409
    title = "That change is not possible"


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str
    role: Role
    active: bool

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class DeskKeys:
    """The desk file in `folder` (the data folder, next to the stores)."""

    def __init__(self, folder: Path, *, params: KdfParams = DEFAULT_PARAMS) -> None:
        self.file = DeskFile(folder)
        self.params = params

    # --- reading ------------------------------------------------------------------------------

    def has_key(self) -> bool:
        """A store key exists for this desk (held in at least one slot)."""
        return bool(self.file.read().get("key_check"))

    def people(self, *, include_disabled: bool = False) -> list[Person]:
        found = [_person(raw) for raw in self.file.read()["people"]]
        return [p for p in found if p.active or include_disabled]

    def person(self, person_id: str) -> Person | None:
        return next((p for p in self.people(include_disabled=True) if p.id == person_id), None)

    def wait_seconds(self, who: str) -> float:
        """How long `who` (a person's id, or `RECOVERY`) must wait before trying again."""
        return wait_left(self.file.read(), who)

    # --- signing in ---------------------------------------------------------------------------

    def sign_in(self, person_id: str, secret: str) -> str:
        """The store key, opened with `person_id`'s PIN or password.

        `WrongSecret` (the try is counted first), `HeldOff` while a wait runs, `NotAllowed`
        for a disabled or unknown person."""
        document = self.file.read()
        person = next((p for p in document["people"] if p.get("id") == person_id), None)
        if person is None or not person.get("active"):
            raise NotAllowed("This person cannot sign in at this computer.")
        slots = [s for s in _slots(document) if s.kind == "person" and s.person_id == person_id]
        return self._try(document, person_id, slots, secret)

    def recover(self, code: str) -> str:
        """The store key, opened with the recovery code (counted and held off like a PIN)."""
        document = self.file.read()
        normalised = normalise_recovery_code(code)
        slots = [s for s in _slots(document) if s.kind == "recovery"]
        return self._try(document, RECOVERY, slots, normalised)

    def _try(self, document: Document, who: str, slots: list[Slot], secret: str) -> str:
        wait = wait_left(document, who)
        if wait > 0:
            raise HeldOff(wait_message(wait), retry_after=wait)
        for slot in slots:
            try:
                key = open_with_secret(slot, secret)
            except (WrongSecret, DamagedSlot):
                continue
            if key_check(key) != document.get("key_check"):
                continue
            if who in document.get("tries", {}):
                self.file.update(lambda d: d.get("tries", {}).pop(who, None))
            return key.hex()
        failures = self.file.update(lambda d: count_failure(d, who))
        wait = wait_after(failures)
        message = "That PIN or password is not right."
        if who == RECOVERY:
            message = "That recovery code does not open the clinic's data on this computer."
        if wait > 0:
            message += " " + wait_message(wait)
        raise WrongSecret(message, retry_after=wait or None)

    def keyring_key(self) -> str | None:
        """The store key from the keyring slot, or None (no keyring, no entry, no slot).

        A store key left in the keyring by an older FrontDesk (`store-key`) is moved into a
        desk file with a keyring slot the first time it is found."""
        document = self.file.read()
        if not document.get("key_check"):
            return self._adopt_legacy_key()
        try:
            secret = secret_store.get_secret(KEYRING_ENTRY)
        except secret_store.SecretStoreUnavailable:
            return None
        if not secret or not encryption.is_valid_key(secret):
            return None
        for slot in _slots(document):
            if slot.kind != "keyring":
                continue
            try:
                key = open_slot(slot, bytes.fromhex(secret))
            except WrongSecret:
                continue
            if key_check(key) == document["key_check"]:
                return key.hex()
        return None

    def _adopt_legacy_key(self) -> str | None:
        try:
            legacy = secret_store.get_secret(encryption.KEY_ENTRY)
        except secret_store.SecretStoreUnavailable:
            return None
        if not legacy or not encryption.is_valid_key(legacy):
            return None
        if self._start_desk(bytes.fromhex(legacy)):
            secret_store.delete_secret(encryption.KEY_ENTRY)
            log.info("moved the store key from the keyring into a keyring slot")
        return legacy

    # --- setting up and changing --------------------------------------------------------------

    def create_key(self) -> str:
        """A new store key for a desk that has none, held by a keyring slot only (a desk
        nobody has been set up at yet, such as an installer's smoke run). `KeyringUnavailable`
        without a keyring: then the first person's set-up makes the key."""
        if self.has_key():
            raise NotAllowed("This computer's data already has a key.")
        key = token_source.token_bytes(32)
        if not self._start_desk(key):
            raise encryption.KeyringUnavailable(
                "This computer has no password store (keyring) to keep the clinic's key in "
                "until somebody is set up to sign in."
            )
        return key.hex()

    def _start_desk(self, key: bytes) -> bool:
        """Record `key` as this desk's with a keyring slot, in one write; False (nothing
        written) without a keyring, or when the desk already has a key."""
        slot = _keyring_slot(key)
        if slot is None:
            return False

        def apply(document: Document) -> bool:
            if document.get("key_check"):
                return False
            document["key_check"] = key_check(key)
            document["slots"].append(slot.as_dict())
            return True

        started: bool = self.file.update(apply)
        return started

    def set_up(self, name: str, secret: str, *, key: str | None = None) -> tuple[str, Person, str]:
        """The first administrator (or a new one after recovery): `(store key, person,
        recovery code)`. A desk with a key needs it (`key`); a new desk gets a new key, with
        a keyring slot where there is a keyring. The recovery code is shown once, never kept."""
        _check_secret(secret)
        clean = _clean_name(name)
        if key is None:
            if self.has_key():
                raise NotAllowed("Sign in or use the recovery code first.")
            raw = token_source.token_bytes(32)
        else:
            raw = bytes.fromhex(key)
        person = Person(
            id="per_" + token_source.token_hex(6), name=clean, role="admin", active=True
        )
        code = new_recovery_code()
        person_slot = seal_with_secret(
            raw, secret, kind="person", person_id=person.id, params=self.params
        )
        recovery_slot = seal_with_secret(raw, code, kind="recovery", params=self.params)

        def apply(document: Document) -> None:
            existing = document.get("key_check")
            if existing and existing != key_check(raw):
                raise NotAllowed("That key does not belong to this computer's data.")
            document["key_check"] = key_check(raw)
            document["slots"] = [s for s in document["slots"] if s.get("kind") != "recovery"] + [
                person_slot.as_dict(),
                recovery_slot.as_dict(),
            ]
            document["people"].append(_raw_person(person))
            document.setdefault("tries", {}).pop(RECOVERY, None)

        self.file.update(apply)
        self.add_keyring_slot(raw.hex())
        log.info("set up person %s (administrator) and a new recovery code", person.id)
        return raw.hex(), person, code

    def add_person(self, key: str, name: str, secret: str, role: Role = "staff") -> Person:
        """A new person who signs in with `secret` (the caller has signed in: `key`)."""
        _check_secret(secret)
        raw = self._checked(key)
        person = Person(
            id="per_" + token_source.token_hex(6), name=_clean_name(name), role=role, active=True
        )
        slot = seal_with_secret(raw, secret, kind="person", person_id=person.id, params=self.params)

        def apply(document: Document) -> None:
            names = {p["name"].casefold() for p in document["people"] if p.get("active")}
            if person.name.casefold() in names:
                raise NotAllowed(f"{person.name} already signs in here; choose another name.")
            document["slots"].append(slot.as_dict())
            document["people"].append(_raw_person(person))

        self.file.update(apply)
        log.info("added person %s (%s)", person.id, role)
        return person

    def reset(self, key: str, person_id: str, secret: str) -> None:
        """A new PIN or password for `person_id`; their wrong tries are forgotten."""
        _check_secret(secret)
        raw = self._checked(key)
        slot = seal_with_secret(raw, secret, kind="person", person_id=person_id, params=self.params)

        def apply(document: Document) -> None:
            if not any(p["id"] == person_id and p.get("active") for p in document["people"]):
                raise NotAllowed("Only an active person's PIN can be reset.")
            document["slots"] = [
                s for s in document["slots"] if s.get("person_id") != person_id
            ] + [slot.as_dict()]
            document.setdefault("tries", {}).pop(person_id, None)

        self.file.update(apply)
        log.info("reset the PIN of person %s", person_id)

    def disable(self, person_id: str, *, allow_last_admin: bool = False) -> None:
        """`person_id` can no longer sign in (their slot is removed; the name stays for the
        audit log). The last active administrator is kept unless `allow_last_admin` (IT,
        who then opens the desk with the recovery code)."""

        def apply(document: Document) -> None:
            people = document["people"]
            target = next((p for p in people if p["id"] == person_id and p.get("active")), None)
            if target is None:
                raise NotAllowed("No active person has that id.")
            admins = [p for p in people if p.get("active") and p.get("role") == "admin"]
            if not allow_last_admin and target.get("role") == "admin" and len(admins) == 1:
                raise NotAllowed("Add another administrator before disabling the last one.")
            target["active"] = False
            document["slots"] = [s for s in document["slots"] if s.get("person_id") != person_id]
            document.setdefault("tries", {}).pop(person_id, None)

        self.file.update(apply)
        log.info("disabled person %s", person_id)

    def new_recovery_code(self, key: str) -> str:
        """Replace the recovery code (the old one stops working); shown once, never kept."""
        raw = self._checked(key)
        code = new_recovery_code()
        slot = seal_with_secret(raw, code, kind="recovery", params=self.params)

        def apply(document: Document) -> None:
            document["slots"] = [s for s in document["slots"] if s.get("kind") != "recovery"]
            document["slots"].append(slot.as_dict())

        self.file.update(apply)
        log.info("made a new recovery code")
        return code

    def add_keyring_slot(self, key: str) -> bool:
        """Put (or renew) the slot whose secret the OS keyring keeps; False without a keyring.

        The keyring entry is written before the slot, so a crash in between leaves an entry
        that opens no slot (the next sign-in puts a new one), never a slot nothing opens."""
        raw = self._checked(key)
        if self.keyring_key() == key:
            return True
        slot = _keyring_slot(raw)
        if slot is None:
            return False

        def apply(document: Document) -> None:
            document["slots"] = [s for s in document["slots"] if s.get("kind") != "keyring"]
            document["slots"].append(slot.as_dict())

        self.file.update(apply)
        log.info("the keyring holds a slot of the store key")
        return True

    def _checked(self, key: str) -> bytes:
        if not encryption.is_valid_key(key):
            raise NotAllowed("That is not a store key.")
        raw = bytes.fromhex(key)
        if key_check(raw) != self.file.read().get("key_check"):
            raise NotAllowed("That key does not belong to this computer's data.")
        return raw


# --- helpers ----------------------------------------------------------------------------------


def _keyring_slot(key: bytes) -> Slot | None:
    """A slot for `key` whose secret is put in the keyring first (so no slot is ever written
    that nothing can open); None without a usable keyring."""
    secret = token_source.token_bytes(32)
    try:
        secret_store.set_secret(KEYRING_ENTRY, secret.hex())
    except secret_store.SecretStoreUnavailable:
        return None
    return seal(key, secret, kind="keyring")


def _check_secret(secret: str) -> None:
    problem = weakness(secret)
    if problem is not None:
        raise WrongSecret(problem)


def _clean_name(name: str) -> str:
    clean = " ".join(name.split())[:80]
    if not clean:
        raise NotAllowed("Enter the person's name.")
    return clean


def _person(raw: Any) -> Person:
    role: Role = "admin" if raw.get("role") == "admin" else "staff"
    return Person(str(raw["id"]), str(raw.get("name", "")), role, bool(raw.get("active")))


def _raw_person(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "role": person.role,
        "active": person.active,
        "added_at": clock.now().isoformat(),
    }


def _slots(document: Document) -> list[Slot]:
    found = []
    for raw in document["slots"]:
        try:
            found.append(Slot.from_dict(raw))
        except DamagedSlot:
            log.warning("skipping a damaged key slot")
    return found
