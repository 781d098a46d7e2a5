"""A desk as a clinic has one: `main.py` started as the README starts it, as its own process, in
a fresh home folder, under one of the keyring conditions clinics meet.

- `none`: no keyring at all (no Secret Service, nothing configured) — many clinic PCs;
- `secret_service`: a real GNOME Keyring in a private D-Bus session, unlocked with a password
  (Debian packages `gnome-keyring` and `dbus`, installed by `bootstrap.sh --test`);
- `file`: a file keyring an administrator chose (`PYTHON_KEYRING_BACKEND`).

The same home folder is used start after start, so what one start leaves (stores, keyring
entries, settings) is what the next one finds.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONDITIONS = ("none", "secret_service", "file")
# Generous: two cores shared with the rest of the suite, and the first start builds the clinic.
START_TIMEOUT = 240
# gnome-keyring's password for the test's own login keyring (a throw-away home folder).
KEYRING_PASSWORD = "acceptance-test-keyring"

_UNLOCK_AND_RUN = (
    'mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR" && '
    'printf %s "$KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets '
    '>/dev/null && exec "$@"'
)


def secret_service_missing() -> str | None:
    """Why a real Secret Service cannot be started here, or None when it can."""
    for tool in ("dbus-run-session", "gnome-keyring-daemon"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (./packaging/bootstrap.sh --test installs it)"
    return None


@dataclass
class Desk:
    """One workstation: its home folder and keyring condition, started as often as a test likes."""

    folder: Path
    condition: str
    # Added to every start's environment (a test's choice, such as the clock's offset).
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def frontdesk_home(self) -> Path:
        return self.folder / "frontdesk"

    def env(self) -> dict[str, str]:
        keep = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PYTHON_KEYRING", "FRONTDESK_", "XDG_", "DBUS_", "QT_"))
            and k not in {"HOME", "USERPROFILE"}
        }
        home = self.folder / "home"
        env = {
            **keep,
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_RUNTIME_DIR": str(self.folder / "run"),
            "FRONTDESK_HOME": str(self.frontdesk_home),
            "QT_QPA_PLATFORM": "offscreen",
            "PYTHONUNBUFFERED": "1",
        }
        if self.condition == "file":
            env["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
        elif self.condition == "secret_service":
            env["KEYRING_PASSWORD"] = KEYRING_PASSWORD
        home.mkdir(parents=True, exist_ok=True)
        env.update(self.extra_env)
        return env

    def command(self, *args: str) -> list[str]:
        app = [sys.executable, str(ROOT / "main.py"), *args]
        if self.condition == "secret_service":
            return ["dbus-run-session", "--", "sh", "-c", _UNLOCK_AND_RUN, "sh", *app]
        return app

    def smoke(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Start, wait until the calendar shows appointments, quit (as `--smoke` does);
        `stdin` goes to its standard input (`--sign-in-stdin`)."""
        return subprocess.run(
            self.command("--smoke", "--smoke-timeout", str(START_TIMEOUT - 30), *args),
            cwd=self.folder,
            env=self.env(),
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
            check=False,
        )

    def run(
        self, *args: str, stdin: str = "", timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """A `frontdesk` command (`main.py ARGS`) at this desk, answers on standard input."""
        return subprocess.run(
            self.command(*args),
            cwd=self.folder,
            env=self.env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def python(self, code: str) -> subprocess.CompletedProcess[str]:
        """Python code run at this desk, under its keyring condition (its own D-Bus too)."""
        command = [sys.executable, "-c", code]
        if self.condition == "secret_service":
            command = ["dbus-run-session", "--", "sh", "-c", _UNLOCK_AND_RUN, "sh", *command]
        return subprocess.run(
            command,
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def start(self, *args: str, stdin: str | None = None) -> subprocess.Popen[str]:
        """Start the app as a person does (no `--smoke`), in its own process group; `stdin`
        goes to its standard input (`--sign-in-stdin`)."""
        with (self.folder / "app-output.txt").open("a", encoding="utf-8") as output:
            proc = subprocess.Popen(
                self.command(*args),
                cwd=self.folder,
                env=self.env(),
                stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
        if stdin is not None and proc.stdin is not None:
            proc.stdin.write(stdin)
            proc.stdin.close()
        return proc

    def log_text(self) -> str:
        logs = self.frontdesk_home / "logs"
        return "".join(p.read_text("utf-8", "replace") for p in sorted(logs.glob("*.log*")))

    def wait_for_log(
        self, needle: str, proc: subprocess.Popen[str], timeout: float, *, count: int = 1
    ) -> None:
        """Until `needle` is in the logs `count` times (all starts of this desk together)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log_text().count(needle) >= count:
                return
            if proc.poll() is not None:
                raise AssertionError(f"the app exited ({proc.returncode}) before {needle!r}")
            time.sleep(0.25)
        raise AssertionError(f"{needle!r} not logged within {timeout} s")


def kill_hard(proc: subprocess.Popen[str]) -> None:
    """`kill -9` the app and everything it started (the private D-Bus and keyring too)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def explain(result: subprocess.CompletedProcess[str]) -> str:
    return (
        f"exit {result.returncode}\n--- stdout\n{result.stdout[-4000:]}\n"
        f"--- stderr\n{result.stderr[-4000:]}"
    )
