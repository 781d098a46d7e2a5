"""A bundled desk launches its sandbox before its window (`app._launch_bundled_sandbox`), and
the services use that one — no second child — and stop it when they close."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontdesk_app.config import Settings
from frontdesk_app.sandbox import process
from frontdesk_app.sandbox.process import BUNDLED_DB, SandboxProcess, bundled_sandbox

pytestmark = pytest.mark.integration


@pytest.mark.asyncio
async def test_the_services_take_the_sandbox_started_with_the_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from frontdesk_app.app_services import start_services

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("FRONTDESK_HOME", str(home))
    early = bundled_sandbox(home).launch()
    assert early.db == home / BUNDLED_DB

    def a_second_one(_data: Path) -> SandboxProcess:
        raise AssertionError("a second sandbox was started")

    monkeypatch.setattr(process, "bundled_sandbox", a_second_one)
    services = await start_services(
        Settings(environment="bundled"),
        db=str(tmp_path / "mirror.sqlite"),
        progress=lambda _a, _b: None,
        key=None,
        sandbox=early,
    )
    try:
        assert early.running
        assert await services.backend.list_providers()
    finally:
        await services.aclose()
    assert not early.running
