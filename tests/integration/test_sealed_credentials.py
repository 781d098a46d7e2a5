"""A desk without a keyring reaches its server: the API key saved after signing in is sealed
under the store key, and the next start, signed in again, connects with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontdesk_app import secrets
from frontdesk_app.api import ApiKey, save_credentials
from frontdesk_app.config import Settings
from frontdesk_app.sandbox.server import SandboxServer
from frontdesk_app.store.desk_file import FILE_NAME
from frontdesk_app.store.desk_keys import DeskKeys
from frontdesk_app.store.sealed_secrets import use_for_credentials
from tests.fixtures.desk import FAST

pytestmark = pytest.mark.integration

PIN = "482913"


@pytest.mark.asyncio
async def test_a_desk_without_a_keyring_connects_with_its_sealed_api_key(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_keyring: None
) -> None:
    from frontdesk_app.app_services import SetupNeeded, start_services

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("FRONTDESK_HOME", str(home))
    monkeypatch.delenv("FRONTDESK_API_KEY", raising=False)
    desk = DeskKeys(home, params=FAST)
    key, person, _code = desk.set_up("Dana Reyes", PIN)
    settings = Settings(environment="custom", custom_url=sandbox.base_url)
    mirror = str(tmp_path / "mirror.sqlite")

    # Signed in, nothing saved yet: Settings is where the key goes.
    with pytest.raises(SetupNeeded):
        await start_services(settings, db=mirror, progress=lambda _a, _b: None, key=key)
    # What the settings dialog does when the person saves the key (no keyring on this desk).
    save_credentials(ApiKey(sandbox.api_key), environment="custom")
    assert sandbox.api_key not in (home / FILE_NAME).read_text(encoding="utf-8")

    # The next start: a new process knows nothing until someone signs in again.
    secrets.use_vault(None)
    with pytest.raises(secrets.SecretStoreUnavailable):
        await start_services(settings, db=mirror, progress=lambda _a, _b: None, key=None)
    signed_in = desk.sign_in(person.id, PIN)
    services = await start_services(
        settings, db=mirror, progress=lambda _a, _b: None, key=signed_in
    )
    try:
        providers = await services.backend.list_providers()
        assert providers
        assert await services.backend.wait_synced(30)  # type: ignore[attr-defined]
    finally:
        await services.aclose()


def test_the_vault_is_only_for_api_credentials(tmp_path: Path, no_keyring: None) -> None:
    use_for_credentials(tmp_path, DeskKeys(tmp_path, params=FAST).set_up("A B", PIN)[0])
    with pytest.raises(secrets.SecretStoreUnavailable):
        secrets.set_secret("anything-else", "value")
