"""Encryption at rest: the stores' SQLCipher key, the checks on opening, encrypting a plain store.

A store opened with a key is a SQLCipher database (AES-256, every page authenticated; the WAL
is encrypted too). The key is 32 random bytes, given to SQLCipher as a raw key (`x'…'`) in 64
hex digits, so opening costs no key derivation: the key is already as strong as a derived one
would be. It is kept only wrapped, in key slots (`desk_keys`).

Opening never changes a file it cannot read: a missing or wrong key raises `StoreLocked` /
`WrongStoreKey` and leaves the data as it is. A plain store (created before encryption, or by
an older version) is encrypted in place by `encrypt_in_place`: an encrypted copy is written
next to it, flushed to disk and checked table by table, and only then atomically renamed over
the original. A crash at any point leaves either the complete plain file or the complete
encrypted one, and a half-written copy is discarded on the next try.
"""

from __future__ import annotations

import logging
import os
import re
import secrets as token_source
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from frontdesk_app.domain.errors import FrontDeskError

log = logging.getLogger(__name__)

# The keyring entry (service "FrontDesk") where versions before key slots kept the store key;
# `desk_keys` moves a key found there into a slot.
KEY_ENTRY = "store-key"
ENCRYPTING_SUFFIX = ".encrypting"
_PLAIN_HEADER = b"SQLite format 3\x00"
_KEY_FORMAT = re.compile(r"[0-9a-f]{64}")
FileState = Literal["missing", "plain", "encrypted"]


class StoreLocked(FrontDeskError):
    """The store is encrypted and this computer has no key for it: nothing was changed."""

    code = "store_locked"
    status = 423
    title = "The clinic's data on this computer is locked"


class WrongStoreKey(StoreLocked):
    """The key does not open the store (another key, or a damaged file): nothing was changed."""

    code = "wrong_store_key"
    title = "The clinic's data on this computer cannot be opened"


class KeyringUnavailable(StoreLocked):
    """This computer has no usable keyring to keep the store key in."""

    code = "keyring_unavailable"


class StoreInUse(FrontDeskError):
    """Encrypting a plain store needs it to be closed everywhere else first."""

    code = "store_in_use"
    status = 409
    title = "The clinic's data is in use"


class EncryptionFailed(RuntimeError):
    """The encrypted copy did not match the original; the original is kept untouched."""


def dbapi() -> ModuleType:
    """The SQLCipher DB-API module (a drop-in for `sqlite3`), imported only when needed."""
    import sqlcipher3

    module: ModuleType = sqlcipher3
    return module


def generate_key() -> str:
    """A new random store key: 256 bits as 64 lowercase hex digits."""
    return token_source.token_hex(32)


def is_valid_key(key: str) -> bool:
    return _KEY_FORMAT.fullmatch(key) is not None


def key_pragma(key: str) -> str:
    """The statement that unlocks a connection (the key is checked, never interpolated raw)."""
    if not is_valid_key(key):
        # The message never repeats the value: it may be a secret typed in the wrong place.
        raise ValueError("a store key is 64 lowercase hexadecimal digits")
    return f"PRAGMA key = \"x'{key}'\""


def apply_key(dbapi_connection: Any, key: str | None) -> None:
    """Unlock a fresh SQLCipher connection; must run before anything reads the file."""
    cursor = dbapi_connection.cursor()
    try:
        # SQLCipher prints decryption failures on stderr by default; a wrong key is reported
        # as an exception, once, by `check_key`.
        cursor.execute("PRAGMA cipher_log_level = NONE")
        if key is not None:
            cursor.execute(key_pragma(key))
    finally:
        cursor.close()


def connect(path: Path | str, key: str | None, **options: Any) -> Any:
    """A SQLCipher connection to `path`, unlocked with `key` (None: read it as plain SQLite)."""
    connection = dbapi().connect(str(path), **options)
    try:
        apply_key(connection, key)
    except BaseException:
        connection.close()
        raise
    return connection


def file_state(path: Path) -> FileState:
    """`missing` (absent or empty: SQLite would start a new database), `plain` or `encrypted`.

    A plain SQLite file starts with a fixed header; an encrypted one starts with its random
    salt, so anything else is taken as encrypted (and a damaged file fails the key check).
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(len(_PLAIN_HEADER))
    except FileNotFoundError:
        return "missing"
    if not head:
        return "missing"
    return "plain" if head == _PLAIN_HEADER else "encrypted"


def encrypting_path(path: Path) -> Path:
    """Where `encrypt_in_place` writes the encrypted copy before it replaces the original."""
    return path.with_name(path.name + ENCRYPTING_SUFFIX)


def require_plain(path: Path) -> None:
    """Before opening without a key: an encrypted file must not be mistaken for a broken one."""
    if file_state(path) == "encrypted":
        raise StoreLocked(
            f"The clinic's data file {path.name} is encrypted, and FrontDesk was asked to open "
            "it without its key. Nothing was changed."
        )


def check_key(path: Path, key: str) -> None:
    """Raise `WrongStoreKey` unless `key` opens the existing store at `path`."""
    module = dbapi()
    with closing(connect(path, key)) as connection:
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except module.OperationalError:
            raise  # busy, locked, out of disk: not a question of the key
        except module.DatabaseError:
            raise WrongStoreKey(
                f"The clinic's data file {path.name} could not be opened with this computer's "
                "key: it was encrypted with another key, or it is damaged. Nothing was changed "
                "and the file is kept as it is."
            ) from None


def prepare(path: Path, key: str) -> None:
    """Get the store at `path` ready to open with `key`: encrypt it if it is still plain,
    check the key if it is encrypted, nothing if it does not exist yet."""
    discard_partial_copy(path)
    state = file_state(path)
    if state == "plain":
        encrypt_in_place(path, key)
    elif state == "encrypted":
        check_key(path, key)


def discard_partial_copy(path: Path) -> None:
    """Remove what an interrupted `encrypt_in_place` left: never the only copy of anything,
    because the copy replaces the original in a single rename."""
    copy = encrypting_path(path)
    for leftover in (copy, Path(f"{copy}-journal")):
        if leftover.exists():
            log.warning("discarding an unfinished encrypted copy: %s", leftover.name)
            leftover.unlink()


# --- encrypting a plain store in place --------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """What must survive the copy: the schema, each table's row count, the user version."""

    schema: tuple[tuple[str, str, str], ...]
    counts: tuple[tuple[str, int], ...]
    user_version: int


def encrypt_in_place(path: Path, key: str) -> None:
    """Replace the plain store at `path` by an encrypted copy with the same content.

    Steps: export into `<name>.encrypting`, fsync it, verify it against the original, rename
    it over the original (atomic), fsync the folder. The original is never written to except
    to fold its write-ahead log in, and it stays whole until the rename.
    """
    copy = encrypting_path(path)
    discard_partial_copy(path)
    try:
        expected = export_encrypted(path, copy, key)
        fsync_file(copy)
        verify_copy(copy, key, expected)
    except BaseException:
        # The copy is useless once anything went wrong; the original is untouched.
        _unlink_quietly(copy)
        raise
    os.replace(copy, path)
    fsync_folder(path.parent)
    log.info("encrypted the store %s in place", path.name)


def export_encrypted(source: Path, target: Path, key: str) -> Snapshot:
    """Write an encrypted copy of the plain store `source` to `target`; what it should hold."""
    with closing(connect(source, None, isolation_level=None, timeout=2.0)) as connection:
        # Fold the write-ahead log into the file and leave WAL mode, so that no -wal file of
        # the plain store can ever be replayed onto the encrypted one that takes its place.
        # SQLite refuses (busy, or answers "wal") while another process has the store open.
        try:
            (mode,) = connection.execute("PRAGMA journal_mode=DELETE").fetchone()
        except dbapi().OperationalError:
            mode = "busy"
        if str(mode).lower() != "delete":
            raise StoreInUse(
                f"The clinic's data file {source.name} is open in another FrontDesk window or "
                "tool. Close it, then start FrontDesk again to encrypt the file."
            )
        expected = snapshot(connection)
        connection.execute("ATTACH DATABASE ? AS encrypted KEY ?", (str(target), f"x'{key}'"))
        try:
            # The copy is thrown away unless it is complete, flushed and verified: no need for
            # a journal and an fsync per statement while it is written (20x faster).
            connection.execute("PRAGMA encrypted.synchronous = OFF")
            connection.execute("PRAGMA encrypted.journal_mode = MEMORY").fetchall()
            connection.execute("SELECT sqlcipher_export('encrypted')").fetchall()
            connection.execute(f"PRAGMA encrypted.user_version = {expected.user_version:d}")
        finally:
            connection.execute("DETACH DATABASE encrypted")
    return expected


def verify_copy(copy: Path, key: str, expected: Snapshot) -> None:
    """Raise `EncryptionFailed` unless `copy` opens with `key` and holds what `expected` says."""
    with closing(connect(copy, key)) as connection:
        damaged = connection.execute("PRAGMA cipher_integrity_check").fetchall()
        (integrity,) = connection.execute("PRAGMA integrity_check").fetchone()
        found = snapshot(connection)
    if damaged or integrity != "ok":
        raise EncryptionFailed("the encrypted copy failed its integrity check")
    if found != expected:
        raise EncryptionFailed("the encrypted copy does not hold the same tables and rows")


def snapshot(connection: Any) -> Snapshot:
    rows = connection.execute(
        "SELECT type, name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name"
    ).fetchall()
    schema = tuple((str(t), str(n), str(s)) for t, n, s in rows)
    counts = tuple(
        (name, int(connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]))
        for kind, name, _sql in schema
        if kind == "table"
    )
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    return Snapshot(schema=schema, counts=counts, user_version=int(version))


def fsync_file(path: Path) -> None:
    """Flush a file's content to the disk (a rename must never publish unwritten pages)."""
    descriptor = os.open(path, os.O_RDWR)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX; Windows has no directory handles for this)."""
    if os.name == "nt":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _unlink_quietly(path: Path) -> None:
    for leftover in (path, Path(f"{path}-journal")):
        leftover.unlink(missing_ok=True)


@contextmanager
def read_only(path: Path, key: str | None) -> Iterator[Any]:
    """A read-only connection to a plain (`key` None) or encrypted store, for tools that only
    look (`frontdesk sync status`): it never migrates, encrypts or locks the file."""
    uri = path.resolve().as_uri() + "?mode=ro"
    with closing(connect(uri, key, uri=True, timeout=5.0)) as connection:
        yield connection
