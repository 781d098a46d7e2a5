"""Where FrontDesk keeps its files and which API it talks to; never secrets (see `secrets`).

Settings are a small JSON file in the platform's config directory so that the command-line
tools (`frontdesk sync status`) read the same choices as the desktop app.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Literal

import platformdirs

APP_NAME = "FrontDesk"
Environment = Literal["bundled", "sandbox", "production", "custom", "standalone"]
ENVIRONMENTS: tuple[Environment, ...] = ("bundled", "sandbox", "production", "custom", "standalone")
BASE_URLS: dict[str, str] = {
    "production": "https://api.frontdeskos.co",
    "sandbox": "https://sandbox.api.frontdeskos.co",
}
DEFAULT_TIMEZONE = "America/New_York"


def data_dir() -> Path:
    """The per-user data folder (stores, outbox, logs); `FRONTDESK_HOME` overrides it."""
    override = os.environ.get("FRONTDESK_HOME")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    override = os.environ.get("FRONTDESK_HOME")
    path = Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME, False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    override = os.environ.get("FRONTDESK_HOME")
    base = Path(override) / "logs" if override else Path(platformdirs.user_log_dir(APP_NAME, False))
    base.mkdir(parents=True, exist_ok=True)
    return base


def keep_files_private() -> int:
    """From now on every file this process creates is readable by this user only (0600) and
    every folder is theirs only (0700); FrontDesk's own folders, and files an older version
    left readable by others, are tightened. Returns the previous umask (POSIX; nothing on
    Windows, where a profile's folders are private already)."""
    if os.name == "nt":
        return 0
    previous = os.umask(0o077)
    for folder in {data_dir(), config_dir(), log_dir()}:
        _tighten(folder, 0o700)
        for path in folder.iterdir():
            _tighten(path, 0o700 if path.is_dir() else 0o600)
    return previous


def _tighten(path: Path, mode: int) -> None:
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(mode)
    except OSError:  # another user's file, or gone meanwhile: leave it
        return


@dataclass
class Settings:
    """What a person chooses in the settings dialog."""

    # "bundled" starts the sandbox shipped with the app on loopback: a fresh install just works.
    environment: Environment = "bundled"
    custom_url: str = ""
    # "oauth" (client id here, secret in the keyring) or "api_key" (key in the keyring).
    auth_method: Literal["oauth", "api_key"] = "api_key"
    client_id: str = ""
    clinic_timezone: str = DEFAULT_TIMEZONE
    agent_id: str = ""
    workstation_name: str = ""
    sync_window_days: int = 14
    # Minutes without keyboard or mouse input before the window hides patient data behind
    # the lock screen (HIPAA's automatic logoff); see `ui.lock`.
    idle_lock_minutes: int = 5
    # Minutes after an appointment's start before the flow board offers a no-show.
    no_show_grace_minutes: int = 15
    providers_shown: list[str] = field(default_factory=list)

    def base_url(self) -> str | None:
        """The API's base URL, or None for the bundled sandbox and standalone modes."""
        if self.environment in BASE_URLS:
            return BASE_URLS[self.environment]
        if self.environment == "custom":
            return self.custom_url.rstrip("/") or None
        return None


def settings_path() -> Path:
    return config_dir() / "settings.json"


def load_settings(path: Path | None = None) -> Settings:
    """The saved settings; unknown or malformed entries fall back to defaults."""
    target = path or settings_path()
    try:
        raw = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Settings()
    known = {f.name for f in fields(Settings)}
    values = {k: v for k, v in raw.items() if k in known} if isinstance(raw, dict) else {}
    try:
        settings = Settings(**values)
    except TypeError:
        return Settings()
    if settings.environment not in ENVIRONMENTS:
        settings.environment = "bundled"
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write atomically so a crash never leaves half a file."""
    target = path or settings_path()
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(settings), indent=2), encoding="utf-8")
    os.replace(tmp, target)
