"""`frontdesk sandbox revoke-key` / `revoke-client`: a running sandbox refuses them at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import SandboxFactory
from tests.integration.sandbox.support import bearer

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def _frontdesk(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "frontdesk_app", *args],
        cwd=ROOT,
        env={**os.environ, "FRONTDESK_HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _token(base_url: str, client_id: str, secret: str) -> str:
    answer = httpx.post(
        base_url + "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def test_revoke_key_and_client_from_the_cli_take_effect_on_the_next_request(
    sandbox_factory: SandboxFactory, tmp_path: Path
) -> None:
    server = sandbox_factory()
    state = ["--state", str(server.state_path)]
    key = server.create_key().api_key
    by_id = server.create_key()
    oauth = server.create_client()
    token = _token(server.base_url, oauth.client_id, oauth.client_secret)
    with httpx.Client(base_url=server.base_url) as c:
        # Each credential is used first, so the server has it in its cache.
        for credential in (key, by_id.api_key, token):
            assert c.get("/v1/payers", headers=bearer(credential)).status_code == 200

        revoked = _frontdesk("sandbox", *state, "revoke-key", key, tmp_path=tmp_path)
        assert revoked.returncode == 0, revoked.stderr
        assert json.loads(revoked.stdout)["revoked"] is True
        assert key not in revoked.stdout + revoked.stderr
        assert c.get("/v1/payers", headers=bearer(key)).status_code == 401

        revoked = _frontdesk("sandbox", *state, "revoke-key", by_id.key_id, tmp_path=tmp_path)
        assert json.loads(revoked.stdout) == {"revoked": True, "key_id": by_id.key_id}
        assert c.get("/v1/payers", headers=bearer(by_id.api_key)).status_code == 401

        revoked = _frontdesk("sandbox", *state, "revoke-client", oauth.client_id, tmp_path=tmp_path)
        assert revoked.returncode == 0, revoked.stderr
        assert c.get("/v1/payers", headers=bearer(token)).status_code == 401
        again = httpx.post(
            server.base_url + "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(oauth.client_id, oauth.client_secret),
        )
        assert again.status_code in (400, 401)

        # The development key still works; unknown names say so and exit 1.
        assert c.get("/v1/payers", headers=bearer(server.api_key)).status_code == 200
    missing = _frontdesk("sandbox", *state, "revoke-key", "key_nothing", tmp_path=tmp_path)
    assert missing.returncode == 1
    assert json.loads(missing.stdout)["revoked"] is False
    missing = _frontdesk("sandbox", *state, "revoke-client", "cli_nothing", tmp_path=tmp_path)
    assert missing.returncode == 1


def test_revoking_through_the_server_object_is_immediate_too(
    sandbox_factory: SandboxFactory,
) -> None:
    server = sandbox_factory()
    oauth = server.create_client()
    token = _token(server.base_url, oauth.client_id, oauth.client_secret)
    with httpx.Client(base_url=server.base_url, headers=bearer(token)) as c:
        assert c.get("/v1/payers").status_code == 200
        assert server.revoke_client(oauth.client_id)
        assert c.get("/v1/payers").status_code == 401
        assert not server.revoke_client(oauth.client_id)
