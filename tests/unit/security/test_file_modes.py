"""Files FrontDesk creates are its user's only: 0600 files, 0700 folders, older ones tightened."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from frontdesk_app.config import data_dir, keep_files_private
from frontdesk_app.store.db import Store

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX modes")


@pytest.fixture
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    monkeypatch.setenv("FRONTDESK_HOME", str(home))
    previous = os.umask(0o022)  # a typical desktop umask: others may read
    try:
        yield home
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_files_and_folders_are_private_and_old_ones_are_tightened(private_home: Path) -> None:
    private_home.mkdir(mode=0o755)
    older = private_home / "mirror-bundled.sqlite"
    older.write_text("left by an older version")
    older.chmod(0o644)
    (private_home / "logs").mkdir(mode=0o755)
    keep_files_private()
    assert mode(private_home) == 0o700 and mode(private_home / "logs") == 0o700
    assert mode(older) == 0o600
    with Store.open(data_dir() / "standalone.sqlite"):
        pass
    made = list(private_home.rglob("*"))
    assert private_home / "standalone.sqlite" in made
    for path in made:
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path
