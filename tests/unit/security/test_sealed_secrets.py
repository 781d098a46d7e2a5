"""API credentials on a desk without a keyring: sealed under the store key in the desk file.

Many clinic PCs have no GNOME Keyring or KWallet; their stores open at sign-in, and before this
the API key had nowhere to go, so such a desk could not talk to a real server.
"""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from frontdesk_app import secrets
from frontdesk_app.api import (
    ApiKey,
    OAuthClient,
    forget_credentials,
    load_credentials,
    save_credentials,
)
from frontdesk_app.store.desk_file import BACKUP_NAME, FILE_NAME
from frontdesk_app.store.desk_keys import KEYRING_ENTRY, DeskKeys
from frontdesk_app.store.encryption import generate_key as new_key
from frontdesk_app.store.sealed_secrets import SealedSecrets, use_for_credentials
from tests.fixtures.desk import FAST

API_KEY = "fdk_live_7Gq2mXv9LpR4sT1wZ8yB"


def test_sealed_secrets_open_only_with_the_store_key(tmp_path: Path) -> None:
    key = new_key()
    vault = SealedSecrets(tmp_path, key)
    vault.put("production/api_key", API_KEY)
    assert vault.get("production/api_key") == API_KEY
    for name in (FILE_NAME, BACKUP_NAME):  # both copies, neither readable as it is
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert API_KEY not in text and key not in text
    assert SealedSecrets(tmp_path, new_key()).get("production/api_key") is None
    # Bound to its name: a sealed value moved under another name does not open.
    document = json.loads((tmp_path / FILE_NAME).read_text(encoding="utf-8"))
    document["sealed_secrets"]["sandbox/api_key"] = document["sealed_secrets"]["production/api_key"]
    (tmp_path / FILE_NAME).write_text(json.dumps(document), encoding="utf-8")
    assert vault.get("sandbox/api_key") is None
    vault.remove("production/api_key")
    assert vault.get("production/api_key") is None


def test_sealing_keeps_the_desk_files_people_and_slots(tmp_path: Path) -> None:
    desk = DeskKeys(tmp_path, params=FAST)
    key, person, _code = desk.set_up("Dana Reyes", "482913")
    SealedSecrets(tmp_path, key).put("production/api_key", API_KEY)
    assert [p.id for p in desk.people()] == [person.id]
    assert desk.sign_in(person.id, "482913") == key


def test_without_a_keyring_the_api_key_is_kept_sealed_once_the_store_is_open(
    tmp_path: Path, no_keyring: None
) -> None:
    # Before anybody signed in there is nowhere to keep it, and the desk says so.
    with pytest.raises(secrets.SecretStoreUnavailable, match="no password store"):
        save_credentials(ApiKey(API_KEY), environment="production")

    use_for_credentials(tmp_path, new_key())
    save_credentials(ApiKey(API_KEY), environment="production")
    save_credentials(OAuthClient("client_front", "s3cr3t-v4lue"), environment="sandbox")
    assert load_credentials(environment="production", auth_method="api_key") == ApiKey(API_KEY)
    assert load_credentials(
        environment="sandbox", auth_method="oauth", client_id="client_front"
    ) == OAuthClient("client_front", "s3cr3t-v4lue")
    forget_credentials(environment="production")
    assert load_credentials(environment="production", auth_method="api_key") is None


def test_the_keyring_slot_never_goes_to_the_vault(tmp_path: Path, no_keyring: None) -> None:
    """The keyring slot's secret opens the store without a person: sealed under the store key
    it would open nothing, so without a keyring there is simply no such slot."""
    desk = DeskKeys(tmp_path, params=FAST)
    key, _person, _code = desk.set_up("Dana Reyes", "482913")
    use_for_credentials(tmp_path, key)
    assert not desk.add_keyring_slot(key)
    assert desk.keyring_key() is None
    with pytest.raises(secrets.SecretStoreUnavailable):
        secrets.get_secret(KEYRING_ENTRY)


def test_a_keyring_when_there_is_one_comes_first(tmp_path: Path) -> None:
    use_for_credentials(tmp_path, new_key())
    try:
        save_credentials(ApiKey(API_KEY), environment="production")
        assert keyring.get_password(secrets.SERVICE, "production/api_key") == API_KEY
        assert not (tmp_path / FILE_NAME).exists()
    finally:
        secrets.use_vault(None)
