"""Key slots and the desk file: the store key opens with each person's PIN, the recovery code
and the keyring slot, and with nothing else; wrong tries are held off across restarts; a
damaged slot or file copy and a crash while a slot is added lose nothing."""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import keyring
import pytest

from frontdesk_app import secrets
from frontdesk_app.domain import clock
from frontdesk_app.domain.clock import Clock, use_clock
from frontdesk_app.store import encryption
from frontdesk_app.store.desk_file import BACKUP_NAME, FILE_NAME, DeskFileDamaged
from frontdesk_app.store.desk_keys import KEYRING_ENTRY, RECOVERY, DeskKeys, NotAllowed
from frontdesk_app.store.keyslots import WrongSecret, normalise_recovery_code
from frontdesk_app.store.secret_rules import weakness
from frontdesk_app.store.sign_in_tries import FREE_TRIES, HeldOff, wait_after
from tests.fixtures.desk import FAST
from tests.keyrings import MemoryKeyring

PIN = "604729"
OTHER_PIN = "815302"


def desk(folder: Path) -> DeskKeys:
    return DeskKeys(folder, params=FAST)


def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable(*_args: object) -> None:
        raise secrets.SecretStoreUnavailable("This computer has no password store (keyring).")

    for name in ("get_secret", "set_secret", "delete_secret"):
        monkeypatch.setattr(secrets, name, unavailable)


def test_set_up_then_each_way_in_opens_the_same_key(tmp_path: Path) -> None:
    key, admin, code = desk(tmp_path).set_up("Dana Admin", PIN)
    again = desk(tmp_path)  # a restart: a new object reading the same files
    assert encryption.is_valid_key(key)
    assert again.sign_in(admin.id, PIN) == key
    assert again.recover(code.lower().replace("-", " ")) == key
    assert again.keyring_key() == key
    assert [(p.name, p.role) for p in again.people()] == [("Dana Admin", "admin")]
    text = (tmp_path / FILE_NAME).read_text()
    assert key not in text and PIN not in text and code not in text


def test_a_wrong_pin_opens_nothing_and_is_counted(tmp_path: Path) -> None:
    keys = desk(tmp_path)
    _key, admin, _code = keys.set_up("Dana Admin", PIN)
    with pytest.raises(WrongSecret, match="not right"):
        keys.sign_in(admin.id, OTHER_PIN)
    document = json.loads((tmp_path / FILE_NAME).read_text())
    assert document["tries"][admin.id]["count"] == 1
    keys.sign_in(admin.id, PIN)
    assert admin.id not in json.loads((tmp_path / FILE_NAME).read_text())["tries"]


@pytest.mark.instant("monday_morning")
@pytest.mark.frozen
def test_wrong_tries_back_off_exponentially_and_a_restart_does_not_reset_them(
    tmp_path: Path,
) -> None:
    _key, admin, _code = desk(tmp_path).set_up("Dana Admin", PIN)
    for _ in range(FREE_TRIES):
        with pytest.raises(WrongSecret):
            desk(tmp_path).sign_in(admin.id, OTHER_PIN)
    restarted = desk(tmp_path)
    assert restarted.wait_seconds(admin.id) == wait_after(FREE_TRIES) == 5.0
    with pytest.raises(HeldOff):
        restarted.sign_in(admin.id, PIN)  # even the right PIN waits
    start = clock.now()
    with use_clock(Clock.frozen_at(start + timedelta(seconds=6))):
        with pytest.raises(WrongSecret, match="Wait 10 seconds"):
            desk(tmp_path).sign_in(admin.id, OTHER_PIN)
        assert desk(tmp_path).wait_seconds(admin.id) == 10.0
    with use_clock(Clock.frozen_at(start + timedelta(seconds=17))):
        assert encryption.is_valid_key(desk(tmp_path).sign_in(admin.id, PIN))
        assert desk(tmp_path).wait_seconds(admin.id) == 0.0
    assert [wait_after(n) for n in range(FREE_TRIES, FREE_TRIES + 4)] == [5, 10, 20, 40]
    assert wait_after(40) == 900


@pytest.mark.instant("monday_morning")
@pytest.mark.frozen
def test_the_recovery_code_is_held_off_like_a_pin(tmp_path: Path) -> None:
    desk(tmp_path).set_up("Dana Admin", PIN)
    wrong = "00000-00000-00000-00000-00000-00000"
    for _ in range(FREE_TRIES):
        with pytest.raises(WrongSecret, match="recovery code"):
            desk(tmp_path).recover(wrong)
    assert desk(tmp_path).wait_seconds(RECOVERY) > 0


def test_a_damaged_slot_loses_only_that_way_in(tmp_path: Path) -> None:
    keys = desk(tmp_path)
    key, admin, code = keys.set_up("Dana Admin", PIN)
    document = json.loads((tmp_path / FILE_NAME).read_text())
    for slot in document["slots"]:
        if slot["kind"] == "person":
            slot["wrapped"] = slot["wrapped"][:-4] + "AAAA"
    for name in (FILE_NAME, BACKUP_NAME):
        (tmp_path / name).write_text(json.dumps(document))
    with pytest.raises(WrongSecret):
        keys.sign_in(admin.id, PIN)
    assert keys.recover(code) == key
    # A slot that is not even well-formed is skipped the same way.
    document["slots"][0] = {"kind": "person", "nonce": 12}
    (tmp_path / FILE_NAME).write_text(json.dumps(document))
    assert keys.recover(code) == key


def test_a_damaged_copy_of_the_file_is_passed_over_for_the_other(tmp_path: Path) -> None:
    key, admin, _code = desk(tmp_path).set_up("Dana Admin", PIN)
    (tmp_path / FILE_NAME).write_text('{"format": "frontdesk-desk-ke')
    assert desk(tmp_path).sign_in(admin.id, PIN) == key
    (tmp_path / BACKUP_NAME).write_text("")
    with pytest.raises(DeskFileDamaged):
        desk(tmp_path).people()


def test_a_crash_while_adding_a_slot_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = desk(tmp_path)
    key, admin, code = keys.set_up("Dana Admin", PIN)
    before = (tmp_path / FILE_NAME).read_bytes()
    real_replace = os.replace

    def crash(_source: object, _target: object) -> None:
        raise OSError("power lost")

    # A crash before the first copy is renamed into place: the old file is whole.
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="power lost"):
        keys.add_person(key, "Sam Staff", OTHER_PIN)
    monkeypatch.setattr(os, "replace", real_replace)
    assert (tmp_path / FILE_NAME).read_bytes() == before
    # The half-written temporary copy is never read, and the next write replaces it.
    assert list(tmp_path.glob(".*.tmp"))
    assert desk(tmp_path).sign_in(admin.id, PIN) == key

    # A crash between the two copies: the new one is read, the old backup is still whole.
    calls: list[object] = []

    def crash_second(source: object, target: object) -> None:
        calls.append(target)
        if len(calls) == 2:
            raise OSError("power lost")
        real_replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", crash_second)
    with pytest.raises(OSError, match="power lost"):
        keys.add_person(key, "Sam Staff", OTHER_PIN)
    monkeypatch.setattr(os, "replace", real_replace)
    after = desk(tmp_path)
    sam = next(p for p in after.people() if p.name == "Sam Staff")
    assert after.sign_in(sam.id, OTHER_PIN) == key
    assert after.sign_in(admin.id, PIN) == key
    assert after.recover(code) == key
    (tmp_path / FILE_NAME).unlink()  # the backup alone still opens the store for the others
    assert desk(tmp_path).sign_in(admin.id, PIN) == key


def test_deleting_the_keyring_entry_never_resets_the_desk(
    tmp_path: Path, empty_keyring: MemoryKeyring
) -> None:
    key, admin, code = desk(tmp_path).set_up("Dana Admin", PIN)
    keyring.delete_password(secrets.SERVICE, KEYRING_ENTRY)
    keys = desk(tmp_path)
    assert keys.keyring_key() is None
    assert keys.has_key()
    with pytest.raises(NotAllowed):
        keys.set_up("Someone New", OTHER_PIN)  # no new key, no new administrator
    with pytest.raises(NotAllowed):
        keys.create_key()
    assert keys.sign_in(admin.id, PIN) == key
    assert keys.add_keyring_slot(key)
    assert desk(tmp_path).keyring_key() == key
    assert desk(tmp_path).recover(code) == key


def test_without_a_keyring_the_desk_works_from_the_pin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_keyring(monkeypatch)
    keys = desk(tmp_path)
    with pytest.raises(encryption.KeyringUnavailable):
        keys.create_key()
    assert not keys.has_key()
    key, admin, _code = keys.set_up("Dana Admin", PIN)
    assert keys.keyring_key() is None
    assert desk(tmp_path).sign_in(admin.id, PIN) == key


def test_a_key_an_older_version_kept_in_the_keyring_is_moved_into_a_slot(
    tmp_path: Path, empty_keyring: MemoryKeyring
) -> None:
    legacy = encryption.generate_key()
    secrets.set_secret(encryption.KEY_ENTRY, legacy)
    keys = desk(tmp_path)
    assert keys.keyring_key() == legacy
    assert secrets.get_secret(encryption.KEY_ENTRY) is None
    _key, admin, _code = keys.set_up("Dana Admin", PIN, key=legacy)
    assert desk(tmp_path).sign_in(admin.id, PIN) == legacy


def test_people_are_added_reset_and_disabled(tmp_path: Path) -> None:
    keys = desk(tmp_path)
    key, admin, _code = keys.set_up("Dana Admin", PIN)
    sam = keys.add_person(key, "Sam Staff", "correct horse")
    with pytest.raises(NotAllowed, match="already"):
        keys.add_person(key, "sam  staff", OTHER_PIN)
    assert keys.sign_in(sam.id, "correct horse") == key
    keys.reset(key, sam.id, OTHER_PIN)
    with pytest.raises(WrongSecret):
        keys.sign_in(sam.id, "correct horse")
    assert keys.sign_in(sam.id, OTHER_PIN) == key
    keys.disable(sam.id)
    with pytest.raises(NotAllowed):
        keys.sign_in(sam.id, OTHER_PIN)
    assert [p.name for p in keys.people()] == ["Dana Admin"]
    assert [p.active for p in keys.people(include_disabled=True)] == [True, False]
    with pytest.raises(NotAllowed, match="last"):
        keys.disable(admin.id)
    with pytest.raises(NotAllowed):
        keys.add_person(encryption.generate_key(), "Eve", "246813")


def test_after_everybody_is_removed_the_recovery_code_opens_and_sets_up_again(
    tmp_path: Path,
) -> None:
    keys = desk(tmp_path)
    key, admin, code = keys.set_up("Dana Admin", PIN)
    keys.disable(admin.id, allow_last_admin=True)
    assert keys.people() == []
    opened = desk(tmp_path).recover(code)
    assert opened == key
    again, new_admin, new_code = desk(tmp_path).set_up("Lee Admin", OTHER_PIN, key=opened)
    assert again == key and new_code != code
    with pytest.raises(WrongSecret):
        desk(tmp_path).recover(code)  # the old code was replaced
    assert desk(tmp_path).recover(new_code) == key
    assert desk(tmp_path).sign_in(new_admin.id, OTHER_PIN) == key


def test_the_desk_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    desk(tmp_path).set_up("Dana Admin", PIN)
    for name in (FILE_NAME, BACKUP_NAME):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


def test_recovery_codes_forgive_case_spacing_and_look_alike_letters() -> None:
    assert normalise_recovery_code("abcde fghjk mnpqr stvwx yz012 3456o") == (
        "ABCDE-FGHJK-MNPQR-STVWX-YZ012-34560"
    )
    with pytest.raises(WrongSecret, match="groups"):
        normalise_recovery_code("ABCDE")


@pytest.mark.parametrize(
    ("secret", "ok"),
    [
        ("60472", False),
        ("604729", True),
        ("111111", False),
        ("123456", False),
        ("987654", False),
        ("short", False),
        ("password", False),
        ("correct horse", True),
        ("aaaaaaaaab", False),
    ],
)
def test_pins_have_six_digits_or_are_passwords(secret: str, ok: bool) -> None:
    assert (weakness(secret) is None) is ok
