"""What `frontdesk sync …` does: read the queue's counts, push it to the API now."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from frontdesk_app.api import ApiBackend

# Exit codes: 0 all sent, 1 conflicts wait for a person, 2 no mirror, 3 writes still waiting.
EXIT_CONFLICTS = 1
EXIT_NO_MIRROR = 2
EXIT_WAITING = 3
API_KEY_VARIABLE = "FRONTDESK_API_KEY"


@dataclass(frozen=True, slots=True)
class QueueSummary:
    """The queue as `sync status` shows it."""

    pending: int
    conflicts: int
    last_sync: str | None


def mirror_path(db: str | None) -> Path:
    """The mirror database: `--db` if given, else the app's mirror for the chosen server."""
    if db:
        return Path(db)
    from frontdesk_app.config import data_dir, load_settings

    return data_dir() / f"mirror-{load_settings().environment}.sqlite"


_KEYS: dict[str, str] = {}


def mirror_key(path: Path) -> str | None:
    """The store key when the mirror is encrypted (the app encrypts it), else None: from the
    keyring slot, or a name and PIN asked once per command (`store.key_prompt`)."""
    from frontdesk_app.config import data_dir
    from frontdesk_app.store import encryption
    from frontdesk_app.store.key_prompt import desk_store_key
    from frontdesk_app.store.sealed_secrets import use_for_credentials

    if encryption.file_state(path) != "encrypted":
        return None
    if "desk" not in _KEYS:
        _KEYS["desk"] = desk_store_key()
        # The API's credentials, on a desk without a keyring, are sealed under this key.
        use_for_credentials(data_dir(), _KEYS["desk"])
    return _KEYS["desk"]


def read_summary(path: Path) -> QueueSummary | None:
    """Counts straight from the file, read-only: a status look never migrates or locks it."""
    if not path.exists():
        return None
    from frontdesk_app.store import encryption

    with encryption.read_only(path, mirror_key(path)) as conn:
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
    """Print the queue; exit 0, 1 when conflicts wait for a person, 2 with no mirror yet."""
    from frontdesk_app.domain.errors import FrontDeskError

    try:
        summary = read_summary(path)
    except FrontDeskError as exc:  # encrypted, and no slot opened for this person
        print(f"The offline copy at {path} cannot be read: {exc.message}")
        return EXIT_NO_MIRROR
    if summary is None:
        print(f"No offline copy at {path}: FrontDesk has not synced on this computer yet.")
        return EXIT_NO_MIRROR
    if as_json:
        print(json.dumps(asdict(summary)))
    else:
        print(f"Waiting to send: {summary.pending}")
        print(f"Conflicts needing a person: {summary.conflicts}")
        print(f"Last sync: {_describe_time(summary.last_sync)}")
    return EXIT_CONFLICTS if summary.conflicts else 0


def _describe_time(value: str | None) -> str:
    if value is None:
        return "never"
    try:
        when = datetime.fromisoformat(value).astimezone()
    except ValueError:
        return value
    return when.strftime("%Y-%m-%d %H:%M:%S %Z")


# --- retry -----------------------------------------------------------------------------------


def retry(path: Path, *, base_url: str | None, timeout: float, as_json: bool) -> int:
    """Send the waiting writes now; report what was sent, what conflicts, what still waits."""
    from frontdesk_app.domain.errors import FrontDeskError

    try:
        found = read_summary(path)
    except FrontDeskError as exc:  # encrypted, and no slot opened for this person
        print(f"The offline copy at {path} cannot be read: {exc.message}")
        return EXIT_NO_MIRROR
    if found is None:
        print(f"No offline copy at {path}: there is nothing to send.")
        return EXIT_NO_MIRROR
    try:
        outcome = asyncio.run(_retry(path, base_url=base_url, within=timeout))
    except FrontDeskError as exc:
        print(f"Could not send: {exc.message}")
        return EXIT_WAITING
    reachable, before, after = outcome
    sent = before.pending - after.pending
    if as_json:
        print(json.dumps({"reachable": reachable, "sent": max(0, sent), **asdict(after)}))
    else:
        if not reachable:
            print("The FrontDeskOS server could not be reached.")
        print(f"Sent: {max(0, sent)}")
        print(f"Still waiting: {after.pending}")
        print(f"Conflicts needing a person: {after.conflicts}")
    if after.pending:
        return EXIT_WAITING
    return EXIT_CONFLICTS if after.conflicts else 0


async def _retry(
    path: Path, *, base_url: str | None, within: float
) -> tuple[bool, QueueSummary, QueueSummary]:
    from frontdesk_app.sync.backend import OfflineFirstBackend

    before = read_summary(path) or QueueSummary(0, 0, None)
    async with _api(base_url) as api:
        key = await asyncio.to_thread(mirror_key, path)
        backend = await OfflineFirstBackend.open(path, api, follow_events=False, key=key)
        try:
            reachable = await backend.monitor.wait_online(within=min(within, 30.0))
            if reachable:
                backend.retry_now()
                await backend.wait_synced(within)
        finally:
            # The backend owns the API client from here: closing it closes both.
            await backend.aclose()
    after = read_summary(path) or before
    return reachable, before, after


@asynccontextmanager
async def _api(base_url: str | None) -> AsyncIterator[ApiBackend]:
    """The API client the settings (or `--base-url` and FRONTDESK_API_KEY) describe.

    The bundled demo server exists only while the app runs: it needs `--base-url`.
    """
    from frontdesk_app.api import ApiBackend, ApiKey, load_credentials, validate_base_url
    from frontdesk_app.config import load_settings
    from frontdesk_app.domain.errors import AuthenticationFailed, Offline

    settings = load_settings()
    key = os.environ.get(API_KEY_VARIABLE)
    if base_url is None and settings.environment == "bundled":
        # The bundled sandbox lives inside the app (sync may not start it: layers point one
        # way), so there is nothing to reach from a terminal unless told where.
        raise Offline(
            "The demo server runs inside the FrontDesk app: open the app to sync, or pass "
            f"--base-url and set {API_KEY_VARIABLE}."
        )
    url = base_url or settings.base_url()
    if not url:
        raise AuthenticationFailed("No FrontDeskOS server is chosen in the settings.")
    credentials = (
        ApiKey(key)
        if key
        else load_credentials(
            environment=settings.environment,
            auth_method=settings.auth_method,
            client_id=settings.client_id,
        )
    )
    if credentials is None:
        raise AuthenticationFailed(
            f"No API key is saved for this server; set {API_KEY_VARIABLE} or add one in Settings."
        )
    yield ApiBackend(base_url=str(validate_base_url(url)), credentials=credentials)
