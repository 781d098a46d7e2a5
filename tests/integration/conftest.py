"""Integration fixtures: a real sandbox (uvicorn on a random loopback port) over a demo store.

- `sandbox` (session): one running `SandboxServer` shared by the run; use `.base_url` and
  `.api_key` (a key with every scope), `.create_client()` / `.create_key(scopes)` for more.
  Do not stop or restart it: take your own from `sandbox_factory` for that.
- `sandbox_factory` (per test): `make(config=SandboxConfig(...), **options)` starts a fresh
  server on a copy of the demo store; it may be stopped and restarted on the same port and
  files (`srv.stop()`, `srv.start()`), and is stopped at the end of the test.
- `sandbox_template` (session): the demo clinic store, built once, around today.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.sandbox.config import SandboxConfig
from frontdesk_app.sandbox.server import SandboxServer

SandboxFactory = Callable[..., SandboxServer]


def copy_store(template: Path, directory: Path) -> Path:
    """A private copy of a store file (and its WAL, if one is left)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / template.name
    for suffix in ("", "-wal"):
        source = Path(f"{template}{suffix}")
        if source.exists():
            shutil.copyfile(source, Path(f"{target}{suffix}"))
    return target


@pytest.fixture(scope="session")
def sandbox_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sandbox-template") / "clinic.sqlite"
    backend = LocalBackend.open(path, demo=True)
    asyncio.run(backend.aclose())
    return path


@pytest.fixture(scope="session")
def sandbox(
    sandbox_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SandboxServer]:
    path = copy_store(sandbox_template, tmp_path_factory.mktemp("sandbox"))
    with SandboxServer(path, demo=False) as server:
        yield server


@pytest.fixture
def sandbox_factory(sandbox_template: Path, tmp_path: Path) -> Iterator[SandboxFactory]:
    started: list[SandboxServer] = []

    def make(config: SandboxConfig | None = None, **options: Any) -> SandboxServer:
        path = copy_store(sandbox_template, tmp_path / f"sandbox-{len(started)}")
        server = SandboxServer(path, demo=False, config=config, **options)
        started.append(server)
        return server.start()

    yield make
    for server in started:
        server.stop()
