"""Encryption at rest: encrypted stores, wrong or missing keys, and encrypting a plain store in
place with a crash at every step (nothing is ever lost, and the next start finishes the job)."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from frontdesk_app import secrets
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.store import encryption
from frontdesk_app.store.db import Store
from frontdesk_app.store.desk_keys import KEYRING_ENTRY, DeskKeys
from frontdesk_app.store.encryption import (
    EncryptionFailed,
    StoreInUse,
    StoreLocked,
    WrongStoreKey,
    encrypting_path,
    file_state,
    generate_key,
)
from frontdesk_app.store.migrate import current_revision, head_revision
from frontdesk_app.store.tables import AppointmentRow, PatientRow
from tests.fixtures.desk import FAST
from tests.fixtures.store import NOW, TUESDAY, SmallClinic, build_small_clinic, local


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def plain_store(migrated_template: Path) -> Callable[[Path], SmallClinic]:
    """Makes a plain store with the small clinic and one appointment, closed (checkpointed)."""

    def make(path: Path) -> SmallClinic:
        shutil.copyfile(migrated_template, path)
        return fill(path)

    return make


def fill(path: Path) -> SmallClinic:
    with Store.open(path) as store:
        ids = build_small_clinic(store)
        add_appointment(store, "apt_plain_one", ids)
    return ids


def add_appointment(store: Store, appointment_id: str, ids: SmallClinic) -> None:
    with store.write() as session:
        session.add(
            AppointmentRow(
                id=appointment_id,
                status="scheduled",
                patient_id=ids.alice,
                provider_id=ids.patel,
                start_time=local(TUESDAY, 9),
                end_time=local(TUESDAY, 9, 30),
                duration_minutes=30,
                type="checkup",
                created_at=NOW,
                updated_at=NOW,
            )
        )


def contents(store: Store) -> tuple[list[str], list[str], str | None]:
    with store.read() as session:
        patients = sorted(session.scalars(sa.select(PatientRow.id)))
        appointments = sorted(session.scalars(sa.select(AppointmentRow.id)))
    return patients, appointments, current_revision(store)


def expected_contents(ids: SmallClinic, *appointments: str) -> tuple[list[str], list[str], str]:
    revision = head_revision()
    assert revision is not None
    return sorted([ids.alice, ids.bob, ids.carol]), sorted(appointments), revision


# --- encrypted stores -------------------------------------------------------------------------


def test_a_new_store_with_a_key_is_encrypted_and_works(tmp_path: Path) -> None:
    path = tmp_path / "mirror.sqlite"
    key = generate_key()
    with Store.open(path, key=key, synchronous_full=True) as store:
        assert store.encrypted
        ids = build_small_clinic(store)
        add_appointment(store, "apt_enc_one", ids)
        with store.read() as session:
            assert session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert session.execute(sa.text("PRAGMA synchronous")).scalar() == 2
    assert file_state(path) == "encrypted"
    with Store.open(path, key=key) as again:
        assert contents(again) == expected_contents(ids, "apt_enc_one")


def test_a_copy_of_the_store_file_is_unreadable_with_plain_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "mirror.sqlite"
    with Store.open(path, key=generate_key()) as store:
        build_small_clinic(store)
        # Open and written: the newest pages sit in the (also encrypted) write-ahead log.
        copy = tmp_path / "stolen.sqlite"
        shutil.copyfile(path, copy)
        if Path(f"{path}-wal").exists():
            shutil.copyfile(f"{path}-wal", f"{copy}-wal")
    with closing(sqlite3.connect(copy)) as stolen, pytest.raises(sqlite3.DatabaseError):
        stolen.execute("SELECT count(*) FROM patients").fetchone()
    raw = b"".join(p.read_bytes() for p in (copy, Path(f"{copy}-wal")) if p.exists())
    # No trace of the clinic's text in the bytes (names, member ids, table names).
    for needle in (b"SQLite format 3", b"Alice", b"ACM000000001", b"patients", b"Dr. Patel"):
        assert needle not in raw


def test_a_wrong_key_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "mirror.sqlite"
    key = generate_key()
    with Store.open(path, key=key) as store:
        build_small_clinic(store)
    before = digest(path)
    wrong = generate_key()
    with pytest.raises(WrongStoreKey) as raised:
        Store.open(path, key=wrong)
    assert wrong not in str(raised.value) and key not in str(raised.value)
    assert "Nothing was changed" in raised.value.message
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mirror.sqlite"]
    with Store.open(path, key=key) as store:
        assert len(contents(store)[0]) == 3


def test_opening_an_encrypted_store_without_a_key_is_refused_and_changes_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mirror.sqlite"
    with Store.open(path, key=generate_key()) as store:
        build_small_clinic(store)
    before = digest(path)
    with pytest.raises(StoreLocked) as raised:
        Store.open(path)
    assert not isinstance(raised.value, WrongStoreKey)
    with pytest.raises(StoreLocked):
        LocalBackend.open(path, demo=True)
    assert digest(path) == before


def test_a_malformed_key_is_refused_without_echoing_it(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="64 lowercase") as raised:
        Store.open(tmp_path / "x.sqlite", key="hunter2'; DROP TABLE patients; --")
    assert "hunter2" not in str(raised.value)


# --- encrypting a plain store in place --------------------------------------------------------


def test_a_plain_store_is_encrypted_in_place_with_everything_in_it(
    tmp_path: Path, plain_store: Callable[[Path], SmallClinic]
) -> None:
    path = tmp_path / "standalone.sqlite"
    ids = plain_store(path)
    key = generate_key()
    with Store.open(path, key=key) as store:
        assert contents(store) == expected_contents(ids, "apt_plain_one")
    assert file_state(path) == "encrypted"
    assert not encrypting_path(path).exists()
    with closing(sqlite3.connect(path)) as plain, pytest.raises(sqlite3.DatabaseError):
        plain.execute("SELECT count(*) FROM patients").fetchone()


def test_rows_still_in_the_write_ahead_log_are_kept(
    tmp_path: Path, plain_store: Callable[[Path], SmallClinic]
) -> None:
    """A plain store left by a crash: committed rows only in its -wal file."""
    path = tmp_path / "standalone.sqlite"
    ids = plain_store(path)
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute(
        "INSERT INTO appointments (id, status, patient_id, provider_id, start_time, end_time,"
        " duration_minutes, type, created_at, updated_at) SELECT 'apt_in_wal', status,"
        " patient_id, provider_id, start_time, end_time, duration_minutes, type, created_at,"
        " updated_at FROM appointments WHERE id = 'apt_plain_one'"
    )
    writer.commit()
    # Simulate the crash: copy the file and its log while the writer still holds them.
    crashed = tmp_path / "crashed.sqlite"
    shutil.copyfile(path, crashed)
    shutil.copyfile(f"{path}-wal", f"{crashed}-wal")
    writer.close()
    key = generate_key()
    with Store.open(crashed, key=key) as store:
        assert contents(store) == expected_contents(ids, "apt_plain_one", "apt_in_wal")


def test_a_store_open_in_another_process_is_not_encrypted_under_its_feet(
    tmp_path: Path, plain_store: Callable[[Path], SmallClinic]
) -> None:
    path = tmp_path / "standalone.sqlite"
    plain_store(path)
    # Another process: SQLite's locks are per process, so the other window must be one.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
            " c.execute('PRAGMA journal_mode=WAL'); c.execute('BEGIN');"
            " c.execute('SELECT count(*) FROM patients').fetchone();"
            " print('open', flush=True); sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreInUse):
            Store.open(path, key=generate_key())
    finally:
        holder.communicate("", timeout=30)
    assert file_state(path) == "plain"
    assert not encrypting_path(path).exists()


def _boom(*_args: Any, **_kwargs: Any) -> Any:
    raise OSError("simulated crash")


def _half_export(real: Callable[..., Any]) -> Callable[..., Any]:
    """The export dies after writing part of the copy (power cut during the copy)."""

    def export(source: Path, target: Path, key: str) -> Any:
        real(source, target, key)
        with target.open("r+b") as handle:
            handle.truncate(target.stat().st_size // 2)
        raise OSError("simulated crash")

    return export


CRASH_POINTS: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "during the export": lambda mp: mp.setattr(
        encryption, "export_encrypted", _half_export(encryption.export_encrypted)
    ),
    "before the copy reaches the disk": lambda mp: mp.setattr(encryption, "fsync_file", _boom),
    "while verifying the copy": lambda mp: mp.setattr(encryption, "verify_copy", _boom),
    "at the rename": lambda mp: mp.setattr(encryption.os, "replace", _boom),
    "after the rename": lambda mp: mp.setattr(encryption, "fsync_folder", _boom),
}


@pytest.mark.parametrize("where", list(CRASH_POINTS))
def test_a_crash_at_any_step_loses_nothing_and_the_next_start_finishes(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
    plain_store: Callable[[Path], SmallClinic],
) -> None:
    path = tmp_path / "standalone.sqlite"
    ids = plain_store(path)
    key = generate_key()
    with monkeypatch.context() as patched:
        CRASH_POINTS[where](patched)
        with pytest.raises(OSError, match="simulated crash"):
            Store.open(path, key=key)
    # Whatever step it died at, one complete store is at `path`: the plain original (before
    # the rename) or the verified encrypted copy (after it).
    state = file_state(path)
    assert state == ("encrypted" if where == "after the rename" else "plain")
    if state == "plain":
        with Store.open(path) as store:
            assert contents(store) == expected_contents(ids, "apt_plain_one")
    with Store.open(path, key=key) as store:
        assert contents(store) == expected_contents(ids, "apt_plain_one")
    assert file_state(path) == "encrypted"
    assert not encrypting_path(path).exists()


def test_a_leftover_half_copy_is_discarded_not_trusted(
    tmp_path: Path, plain_store: Callable[[Path], SmallClinic]
) -> None:
    path = tmp_path / "standalone.sqlite"
    ids = plain_store(path)
    leftover = encrypting_path(path)
    leftover.write_bytes(os.urandom(4096))
    key = generate_key()
    with Store.open(path, key=key) as store:
        assert contents(store) == expected_contents(ids, "apt_plain_one")
    assert not leftover.exists()


def test_a_copy_that_differs_from_the_original_is_never_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plain_store: Callable[[Path], SmallClinic]
) -> None:
    path = tmp_path / "standalone.sqlite"
    plain_store(path)
    real = encryption.export_encrypted

    def lossy(source: Path, target: Path, key: str) -> Any:
        expected = real(source, target, key)
        with closing(encryption.connect(target, key)) as copy:
            copy.execute("DELETE FROM appointments")
            copy.commit()
        return expected

    monkeypatch.setattr(encryption, "export_encrypted", lossy)
    with pytest.raises(EncryptionFailed, match="same tables and rows"):
        Store.open(path, key=generate_key())
    assert file_state(path) == "plain"
    assert not encrypting_path(path).exists()
    # The original was only switched out of WAL mode (its content is the same).
    with Store.open(path) as store:
        assert contents(store)[1] == ["apt_plain_one"]


def test_local_backend_opens_encrypted(tmp_path: Path) -> None:
    import asyncio

    path = tmp_path / "standalone.sqlite"
    key = generate_key()
    backend = LocalBackend.open(path, key=key)
    try:
        assert backend.store.encrypted
    finally:
        asyncio.run(backend.aclose())
    assert file_state(path) == "encrypted"


def test_sync_status_opens_the_encrypted_mirror_with_the_keyring_slot_or_a_pin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from frontdesk_app.sync import commands

    monkeypatch.setenv("FRONTDESK_HOME", str(tmp_path))
    monkeypatch.setattr(commands, "_KEYS", {})
    key, _admin, _code = DeskKeys(tmp_path, params=FAST).set_up("Dana Admin", "604729")
    path = tmp_path / "mirror-sandbox.sqlite"
    with Store.open(path, key=key, synchronous_full=True):
        pass
    assert file_state(path) == "encrypted"
    summary = commands.read_summary(path)
    assert summary is not None and (summary.pending, summary.conflicts) == (0, 0)
    assert commands.print_status(path, as_json=True) == 0

    # Without the keyring slot the command asks for a name and PIN (here on standard input).
    secrets.delete_secret(KEYRING_ENTRY)
    monkeypatch.setattr(commands, "_KEYS", {})
    monkeypatch.setattr("sys.stdin", io.StringIO("dana admin\n111222\n"))
    capsys.readouterr()
    assert commands.print_status(path, as_json=False) == commands.EXIT_NO_MIRROR
    assert "not right" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("Dana Admin\n604729\n"))
    assert commands.print_status(path, as_json=True) == 0
    assert '"pending": 0' in capsys.readouterr().out
