"""The app's composition root opens the desk's stores encrypted and audited, with the key a
person's sign-in (or the keyring slot) opened: standalone, and the offline copy in bundled mode
(whose sandbox store, synthetic data only, stays plain). With no key yet a real clinic refuses
to open; only the demo clinic's copy may stay plain, until the desk has a key."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from frontdesk_app import app_services as app
from frontdesk_app import secrets
from frontdesk_app.config import Settings
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.store import audit
from frontdesk_app.store.desk_keys import DeskKeys
from frontdesk_app.store.encryption import KeyringUnavailable, file_state
from frontdesk_app.store.key_prompt import unattended_key
from frontdesk_app.sync.facade import EngineBackend
from tests.fixtures.desk import FAST, set_up_desk

pytestmark = pytest.mark.asyncio


def _no_progress(_title: str, _detail: str) -> None:
    return


def _no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable(*_args: object, **_options: object) -> None:
        raise secrets.SecretStoreUnavailable("This computer has no password store (keyring).")

    monkeypatch.setattr(secrets, "get_secret", unavailable)
    monkeypatch.setattr(secrets, "set_secret", unavailable)


async def test_standalone_store_is_encrypted_and_audited(tmp_path: Path) -> None:
    path = tmp_path / "standalone.sqlite"
    settings = Settings(environment="standalone", workstation_name="Front desk 3")
    key = unattended_key(DeskKeys(tmp_path, params=FAST), create=True)
    assert key is not None
    services = await app.start_services(settings, db=str(path), progress=_no_progress, key=key)
    try:
        backend = services.backend
        assert isinstance(backend, LocalBackend) and services.store is backend.store
        assert backend.store.encrypted
        patient = (await backend.search_patients(None, limit=1)).data[0]
        await backend.list_prescriptions(patient.id)
        with backend.store.read() as session:
            found = audit.search(session, audit.AuditQuery())
    finally:
        await services.aclose()
    assert file_state(path) == "encrypted"
    assert [(e.action, e.patient_id, e.user, e.workstation) for e in found] == [
        ("prescription.list", patient.id, getpass.getuser(), "Front desk 3")
    ]


async def test_without_a_keyring_a_real_clinic_refuses_to_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_keyring(monkeypatch)
    path = tmp_path / "standalone.sqlite"
    assert unattended_key(DeskKeys(tmp_path, params=FAST), create=True) is None
    with pytest.raises(KeyringUnavailable, match="password store"):
        await app.start_services(
            Settings(environment="standalone"), db=str(path), progress=_no_progress, key=None
        )
    assert not path.exists()


async def test_without_a_keyring_the_demo_clinic_still_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRONTDESK_HOME", str(tmp_path / "home"))
    _no_keyring(monkeypatch)
    mirror = tmp_path / "mirror.sqlite"
    services = await app.start_services(
        Settings(environment="bundled"), db=str(mirror), progress=_no_progress, key=None
    )
    try:
        assert isinstance(services.backend, EngineBackend)
        assert services.store is not None and not services.store.encrypted
    finally:
        await services.aclose()
    assert file_state(mirror) == "plain"
    assert file_state(tmp_path / "home" / "bundled-sandbox.sqlite") == "plain"
    # Once somebody is set up, the copy is encrypted with the desk's key (and stays so).
    _desk, key, _admin, _code = set_up_desk(tmp_path / "home")
    services = await app.start_services(
        Settings(environment="bundled"), db=str(mirror), progress=_no_progress, key=key
    )
    await services.aclose()
    assert file_state(mirror) == "encrypted"
    with pytest.raises(KeyringUnavailable):
        await app.start_services(
            Settings(environment="bundled"), db=str(mirror), progress=_no_progress, key=None
        )
