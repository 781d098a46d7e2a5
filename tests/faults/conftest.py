"""Fault fixtures: the demo clinic built once, and a sandbox subprocess per test on a copy."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from frontdesk_app.local.backend import LocalBackend
from tests.faults.support import SandboxProcess


@pytest.fixture(scope="session")
def clinic_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo clinic around the test run's "now" (the sandbox subprocess inherits its clock)."""
    path = tmp_path_factory.mktemp("fault-clinic") / "clinic.sqlite"
    backend = LocalBackend.open(path, demo=True)
    asyncio.run(backend.aclose())
    return path


@pytest.fixture
def sandbox(clinic_template: Path, tmp_path: Path) -> Iterator[SandboxProcess]:
    home = tmp_path / "home"
    home.mkdir()
    db = tmp_path / "server" / "clinic.sqlite"
    db.parent.mkdir()
    for suffix in ("", "-wal"):
        source = Path(f"{clinic_template}{suffix}")
        if source.exists():
            shutil.copyfile(source, Path(f"{db}{suffix}"))
    process = SandboxProcess(db, home)
    yield process
    process.stop()
