"""The audit log's hash chain: each entry holds the hash of the one before it and its own hash
over its fields, so a changed, removed or reordered entry breaks the chain where it happened.

The triggers of migration 0003 already refuse UPDATE and DELETE through SQLite; the chain
also shows an edit made behind SQLite's back (a hex editor on a copy, a restored old page).
`verify` walks the log in order and names the first entry whose link does not hold.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Final

import sqlalchemy as sa
from sqlalchemy.orm import Session

from frontdesk_app.store.tables import timestamp_text

GENESIS: Final = "0" * 64
HASHED: Final = (
    "at",
    "user",
    "workstation",
    "person_id",
    "person",
    "action",
    "patient_id",
    "object_id",
    "linked_id",
)


def entry_hash(previous: str, fields: dict[str, object]) -> str:
    """SHA-256 over the previous entry's hash and this entry's fields (canonical JSON)."""
    values = [fields.get(name) for name in HASHED]
    canonical = json.dumps([previous, *values], separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What `verify` found: how many entries, and the first broken link (None: intact)."""

    entries: int
    broken_seq: int | None = None
    broken_at: str | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_seq is None


def last_hash(session: Session, table: sa.Table) -> str:
    """The newest entry's hash (the chain's start for an empty log)."""
    found = session.execute(
        sa.select(table.c.hash).order_by(table.c.seq.desc()).limit(1)
    ).scalar_one_or_none()
    return str(found) if found else GENESIS


def verify(session: Session, table: sa.Table) -> ChainReport:
    """Walk the log in order; the first entry whose link or own hash does not hold."""
    previous = GENESIS
    count = 0
    rows = session.execute(sa.select(table).order_by(table.c.seq))
    for row in rows:
        count += 1
        fields = dict(row._mapping)
        fields["at"] = timestamp_text(row.at)
        if row.prev_hash != previous:
            return ChainReport(
                count,
                row.seq,
                fields["at"],
                "it does not follow the entry before it (an entry was removed or reordered)",
            )
        expected = entry_hash(previous, fields)
        if row.hash != expected:
            return ChainReport(count, row.seq, fields["at"], "its content was changed")
        previous = expected
    return ChainReport(count)
