"""Build the one-folder app with packaging/build.sh and run the frozen binary as a clinic would.

One build per module (about two minutes on two cores), into a temporary dist/work folder, then:
`--version` from the package metadata; `--smoke` offscreen (and under Xvfb where installed)
with the bundled sandbox (exit 0 once the calendar shows appointments); the frozen `sandbox`
sub-command serving the API to a second frozen app that reads its key from a keyrings.alt
keyring; and the folder's contents (migrations, resources, metadata, the trimmed Qt plugins,
no test tools).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

ROOT = Path(__file__).resolve().parents[2]
IS_WINDOWS = sys.platform.startswith("win")
BUILD_TIMEOUT = 1200
RUN_TIMEOUT = 240
SMOKE_TIMEOUT = "150"


class Built:
    """Where the build put the app, and the environment its runs get."""

    def __init__(self, dist: Path, tmp: Path) -> None:
        self.folder = dist / "FrontDesk"
        self.internal = self.folder / "_internal"
        # On Windows the GUI executable is windowed (no stdout): runs use the console twin.
        self.exe = self.folder / ("frontdesk-cli.exe" if IS_WINDOWS else "FrontDesk")
        self.tmp = tmp

    def env(self, name: str, *, keyring_backend: str) -> dict[str, str]:
        """A clean environment: temp home and data folders, offscreen Qt, nothing from the
        test run (PYTHONPATH would let the frozen app import the source tree)."""
        home = self.tmp / name
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PYTHON", "QT_", "FRONTDESK_", "XDG_")) and k != "HOME"
        }
        env.update(
            HOME=str(home),
            USERPROFILE=str(home),
            LOCALAPPDATA=str(home / "local"),
            XDG_DATA_HOME=str(home / "data"),
            XDG_CONFIG_HOME=str(home / "config"),
            XDG_CACHE_HOME=str(home / "cache"),
            FRONTDESK_HOME=str(home / "frontdesk"),
            QT_QPA_PLATFORM="offscreen",
            PYTHON_KEYRING_BACKEND=keyring_backend,
        )
        home.mkdir(parents=True, exist_ok=True)
        return env

    def run(
        self, *args: str, env: dict[str, str], timeout: float = RUN_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.exe), *args],
            env=env,
            cwd=self.tmp,  # never the checkout: nothing may come from the source tree
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        pytest.fail("PyInstaller is not installed; run ./packaging/bootstrap.sh --test")
    base = tmp_path_factory.mktemp("packaging")
    dist, work = base / "dist", base / "work"
    if IS_WINDOWS:
        spec = ROOT / "packaging" / "frontdesk.spec"
        command = [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--distpath",
            str(dist),
            "--workpath",
            str(work),
            str(spec),
        ]
        env = dict(os.environ)
    else:
        command = [
            "bash",
            str(ROOT / "packaging" / "build.sh"),
            "--dist",
            str(dist),
            "--work",
            str(work),
        ]
        env = {**os.environ, "PYTHON": sys.executable}
    result = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    app = Built(dist, base)
    assert app.exe.is_file(), result.stdout[-2000:]
    shutil.rmtree(work, ignore_errors=True)  # the work folder is as big as the app
    return app


def test_version_is_the_package_version(built: Built) -> None:
    result = built.run(
        "--version", env=built.env("version", keyring_backend="keyring.backends.fail.Keyring")
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"frontdesk {version('frontdesk')}"


def test_smoke_with_the_bundled_sandbox(built: Built) -> None:
    """The default first start: the in-process sandbox with the demo clinic, migrated by the
    shipped Alembic scripts, and a calendar that shows appointments."""
    env = built.env("smoke", keyring_backend="keyrings.alt.file.PlaintextKeyring")
    result = built.run("--smoke", "--smoke-timeout", SMOKE_TIMEOUT, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "smoke: ok" in result.stdout
    home = Path(env["FRONTDESK_HOME"])
    assert (home / "bundled-sandbox.sqlite").is_file()
    from frontdesk_app.store.migrate import head_revision

    # The sandbox's store reached the newest migration shipped in the source tree; the
    # desk's mirror is encrypted (its key in the file keyring the administrator chose).
    with sqlite3.connect(home / "bundled-sandbox.sqlite") as db:
        (revision,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
    assert revision == head_revision()
    from frontdesk_app.store.encryption import file_state

    assert file_state(home / "mirror-bundled.sqlite") == "encrypted"
    assert list((home / "logs").glob("*.log")), "the app writes its log under FRONTDESK_HOME"


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs Xvfb (packaging/bootstrap.sh)")
def test_smoke_under_x11(built: Built) -> None:
    """The xcb platform plugin and the X11 libraries it needs are in the folder."""
    env = built.env("x11", keyring_backend="keyrings.alt.file.PlaintextKeyring")
    env["QT_QPA_PLATFORM"] = "xcb"
    xvfb = shutil.which("xvfb-run")
    assert xvfb is not None
    result = subprocess.run(
        [xvfb, "-a", str(built.exe), "--smoke", "--smoke-timeout", SMOKE_TIMEOUT],
        env=env,
        cwd=built.tmp,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "smoke: ok" in result.stdout


@pytest.fixture
def frozen_sandbox(built: Built) -> Iterator[dict[str, str]]:
    """`FrontDesk sandbox …` as its own process: the frozen executable re-invoked with the
    sub-command, as IT would run a shared demo server."""
    env = built.env("sandbox", keyring_backend="keyrings.alt.file.PlaintextKeyring")
    db = Path(env["FRONTDESK_HOME"]) / "sandbox.sqlite"
    errors = (built.tmp / "sandbox-stderr.txt").open("w", encoding="utf-8")
    proc = subprocess.Popen(
        [
            str(built.exe),
            "sandbox",
            "--port",
            "0",
            "--db",
            str(db),
            "--demo-data",
            "--print-credentials",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=built.tmp,
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
    )
    assert proc.stdout is not None
    stdout = proc.stdout
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in stdout:
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        try:
            first = lines.get(timeout=RUN_TIMEOUT)
        except queue.Empty:
            pytest.fail("the frozen sandbox printed no credentials")
        yield json.loads(first)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
        reader.join(timeout=30)
        stdout.close()
        errors.close()


def test_frozen_sandbox_serves_a_frozen_app_with_a_keyring_key(
    built: Built, frozen_sandbox: dict[str, str]
) -> None:
    """The API key is saved (by the source tree's code) in a keyrings.alt plain-text keyring in
    a temp home; the frozen app finds that backend and reads the key. Plain text is for this
    test only: it proves keyrings.alt is bundled, without a secret service on the CI box."""
    env = built.env("api", keyring_backend="keyrings.alt.file.PlaintextKeyring")
    save = (
        "import sys\n"
        "from frontdesk_app.api.auth import ApiKey, save_credentials\n"
        "save_credentials(ApiKey(sys.argv[1]), environment='custom')\n"
    )
    saved = subprocess.run(
        [sys.executable, "-c", save, frozen_sandbox["api_key"]],
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert saved.returncode == 0, saved.stderr
    result = built.run(
        "--api-url",
        frozen_sandbox["base_url"],
        "--smoke",
        "--smoke-timeout",
        SMOKE_TIMEOUT,
        env=env,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "smoke: ok" in result.stdout


def _pyz_modules(exe: Path) -> set[str]:
    from PyInstaller.archive.readers import CArchiveReader

    archive = CArchiveReader(str(exe))
    names: set[str] = set()
    for name, entry in archive.toc.items():
        if entry[-1] == "z":  # the PYZ holding the pure-Python modules
            names.update(archive.open_embedded_archive(name).toc)
    return names


def test_the_folder_holds_what_runs_need_and_not_more(built: Built) -> None:
    modules = _pyz_modules(built.exe)
    needed = {
        "frontdesk_app.secrets",
        "frontdesk_app.sandbox.server",
        "frontdesk_app.store.tables",
        "keyring.backends.SecretService",
        "keyring.backends.fail",
        "keyrings.alt.file",
        "uvicorn.loops.auto",
        "uvicorn.protocols.http.auto",
        "uvicorn.protocols.http.httptools_impl",
        "uvicorn.protocols.http.h11_impl",
        "uvicorn.lifespan.on",
        "sqlalchemy.dialects.sqlite.pysqlite",
        "alembic.op",
        "alembic.context",
        "alembic.ddl.sqlite",
        "fastapi",
        "standardwebhooks",
    }
    assert needed - modules == set()
    unwanted = {
        "pytest",
        "_pytest",
        "hypothesis",
        "schemathesis",
        "tkinter",
        "PyInstaller",
        "mypy",
        "watchfiles",
        "PIL",
    }
    assert {m.split(".")[0] for m in modules} & unwanted == set()

    # Alembic runs the migration scripts from files: every one in the source tree ships.
    source = ROOT / "frontdesk_app" / "store" / "migrations"
    bundled = built.internal / "frontdesk_app" / "store" / "migrations"
    assert (bundled / "env.py").is_file()
    assert {p.name for p in (source / "versions").glob("*.py")} == {
        p.name for p in (bundled / "versions").glob("*.py")
    }
    for name in (
        "icons/app.svg",
        "icons/app.png",
        "icons/calls.svg",
        "frontdesk.qss",
        "sounds/urgent.wav",
    ):
        assert (built.internal / "resources" / name).is_file(), name
    for dist in ("frontdesk", "keyring", "keyrings.alt"):
        found = list(built.internal.glob(f"{dist}-*.dist-info")) + list(
            built.internal.glob(f"{dist}.egg-info")
        )
        assert found, f"no metadata for {dist}"
    alt = next(built.internal.glob("keyrings.alt-*.dist-info"))
    assert "keyring.backends" in (alt / "entry_points.txt").read_text(encoding="utf-8")

    plugins = built.internal / "PySide6" / "Qt" / "plugins"
    if not plugins.is_dir():  # Windows wheels put plugins beside the Qt DLLs
        plugins = built.internal / "PySide6" / "plugins"
    assert any(plugins.glob("platforms/*offscreen*"))
    assert any(plugins.glob("imageformats/*svg*"))
    assert any(plugins.glob("iconengines/*svg*"))
    if sys.platform.startswith("linux"):
        assert any(plugins.glob("platforms/*xcb*"))
    assert not (plugins / "multimedia").exists()  # FFmpeg playback, ~60 MB the desk never uses
    assert not list(built.folder.rglob("*WebEngine*"))


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or not shutil.which("ldd"), reason="ldd is Linux's"
)
def test_every_bundled_qt_library_resolves(built: Built) -> None:
    """The spec drops Qt plugins by name: no library left behind may need a dropped one."""
    missing: dict[str, list[str]] = {}
    for path in built.internal.rglob("*.so*"):
        if path.is_symlink() or not path.is_file():
            continue
        out = subprocess.run(
            ["ldd", str(path)], capture_output=True, text=True, timeout=60, check=False
        ).stdout
        gone = [
            line.split()[0] for line in out.splitlines() if "not found" in line and "Qt6" in line
        ]
        if gone:
            missing[str(path.relative_to(built.folder))] = gone
    assert missing == {}
