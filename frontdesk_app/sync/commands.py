"""What `frontdesk sync …` does: read the queue's counts, push it to the API now."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from frontdesk_app.sync.cli import MIRROR_FILE


@dataclass(frozen=True, slots=True)
class QueueSummary:
    """The queue as `sync status` shows it."""

    pending: int
    conflicts: int
    last_sync: str | None


def mirror_path(db: str | None) -> Path:
    """The mirror database: `--db` if given, else `mirror.sqlite` in the data folder."""
    if db:
        return Path(db)
    from frontdesk_app.config import data_dir

    return data_dir() / MIRROR_FILE


def read_summary(path: Path) -> QueueSummary | None:
    """Counts straight from the file, read-only: a status look never migrates or locks it."""
    if not path.exists():
        return None
    uri = path.resolve().as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=5.0)) as conn:
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if "sync_outbox" not in tables:
            return QueueSummary(pending=0, conflicts=0, last_sync=None)
        counts = dict(
            conn.execute(
                "SELECT state, count(*) FROM sync_outbox "
                "WHERE state IN ('pending', 'conflict') GROUP BY state"
            ).fetchall()
        )
        row = conn.execute("SELECT value FROM sync_meta WHERE key = 'last_sync'").fetchone()
    return QueueSummary(
        pending=int(counts.get("pending", 0)),
        conflicts=int(counts.get("conflict", 0)),
        last_sync=str(row[0]) if row else None,
    )


def print_status(path: Path, *, as_json: bool) -> int:
    """Print the queue; exit 0, or 1 when conflicts wait for a person, 2 with no mirror yet."""
    summary = read_summary(path)
    if summary is None:
        print(f"No offline mirror at {path}: FrontDesk has not synced on this computer yet.")
        return 2
    if as_json:
        print(json.dumps(_as_dict(summary)))
    else:
        print(f"Waiting to send: {summary.pending}")
        print(f"Conflicts needing a person: {summary.conflicts}")
        print(f"Last sync: {_describe_time(summary.last_sync)}")
    return 1 if summary.conflicts else 0


def _as_dict(summary: QueueSummary) -> dict[str, object]:
    return {
        "pending": summary.pending,
        "conflicts": summary.conflicts,
        "last_sync": summary.last_sync,
    }


def _describe_time(value: str | None) -> str:
    if value is None:
        return "never"
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone()
    except ValueError:
        return value
    return when.strftime("%Y-%m-%d %H:%M:%S %Z")
