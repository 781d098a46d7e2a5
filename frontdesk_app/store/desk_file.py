"""The desk file: this computer's key slots, people and sign-in tries, next to its stores.

Nothing in it is secret on its own (the store key is only there wrapped, the people's PINs
not at all), but losing it would lock the clinic's data away, so it is written the careful way:
a complete new copy is written to a temporary file, flushed to disk and renamed over the old
one (atomic), the folder is flushed, and a second copy (`desk-keys.backup.json`) is then
written the same way. A crash at any moment leaves at least one complete copy, and a damaged
or half-edited copy is passed over for the other when read. Readable by this user only (0600).

Changes are read-modify-write under an exclusive lock on a side file, so the app and a
`frontdesk` command in a terminal never undo each other's changes (POSIX; on Windows the
file is opened by one FrontDesk at a time in practice).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.store.encryption import fsync_folder

log = logging.getLogger(__name__)

FILE_NAME: Final = "desk-keys.json"
BACKUP_NAME: Final = "desk-keys.backup.json"
LOCK_NAME: Final = "desk-keys.lock"
FORMAT: Final = "frontdesk-desk-keys"
VERSION: Final = 1
Document = dict[str, Any]


class DeskFileDamaged(FrontDeskError):
    """Both copies of the desk file exist but neither can be read: nothing is overwritten."""

    code = "desk_file_damaged"
    status = 423
    title = "The sign-in data on this computer is damaged"


def empty_document() -> Document:
    return {"format": FORMAT, "version": VERSION, "key_check": None, "slots": [], "people": []}


def _valid(raw: Any) -> bool:
    return (
        isinstance(raw, dict)
        and raw.get("format") == FORMAT
        and raw.get("version") == VERSION
        and isinstance(raw.get("slots"), list)
        and isinstance(raw.get("people"), list)
    )


class DeskFile:
    """The two copies of the desk file in `folder`; `read()` and `update(change)`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / FILE_NAME
        self.backup = folder / BACKUP_NAME

    def exists(self) -> bool:
        return self.path.exists() or self.backup.exists()

    def read(self) -> Document:
        """The newest readable copy; an empty document when neither exists."""
        found: list[Path] = []
        for candidate in (self.path, self.backup):
            try:
                text = candidate.read_text(encoding="utf-8")
            except FileNotFoundError:
                continue
            found.append(candidate)
            try:
                raw = json.loads(text)
            except ValueError:
                log.warning("desk file %s cannot be read; trying the other copy", candidate.name)
                continue
            if _valid(raw):
                document: Document = raw
                return document
            log.warning("desk file %s is not in the expected form", candidate.name)
        if found:
            raise DeskFileDamaged(
                f"The files {FILE_NAME} and {BACKUP_NAME} in {self.folder} are damaged. Nothing "
                "was changed. Ask IT to restore them from a backup of this computer."
            )
        return empty_document()

    def update(self, change: Callable[[Document], Any]) -> Any:
        """Read, let `change` edit the document in place, write both copies; returns what
        `change` returned. Nothing is written if `change` raises."""
        with self._locked():
            document = self.read()
            result = change(document)
            self._write(document)
        return result

    def _write(self, document: Document) -> None:
        text = json.dumps(document, indent=1, sort_keys=True)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for target in (self.path, self.backup):
            write_atomically(target, text)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(self.folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                import fcntl
            except ImportError:  # Windows
                yield
                return
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
        finally:
            os.close(descriptor)


def write_atomically(target: Path, text: str) -> None:
    """Replace `target` by a file holding `text`, readable by this user only: a temporary file
    is written, flushed and renamed over it, then the folder is flushed."""
    temporary = target.with_name(f".{target.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    os.replace(temporary, target)
    fsync_folder(target.parent)
