"""`frontdesk --smoke`: the real app in a subprocess opens, shows the calendar with data, and
exits 0 — on a fresh machine (the bundled sandbox with the demo clinic) and standalone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.ui


def smoke(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "FRONTDESK_HOME": str(tmp_path / "home"),  # nothing configured: a fresh machine
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHON_KEYRING_BACKEND": "tests.keyrings.MemoryKeyring",
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--smoke", "--smoke-timeout", "150", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_smoke_on_a_fresh_machine_uses_the_bundled_sandbox(tmp_path: Path) -> None:
    result = smoke(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke: ok" in result.stdout
    home = tmp_path / "home"
    assert (home / "bundled-sandbox.sqlite").exists() and (home / "mirror-bundled.sqlite").exists()


def test_smoke_standalone(tmp_path: Path) -> None:
    result = smoke(tmp_path, "--standalone")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "home" / "standalone.sqlite").exists()
