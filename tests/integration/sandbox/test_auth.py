"""OAuth 2.0 client credentials (Authlib and raw HTTP), token expiry, API keys, scopes."""

from __future__ import annotations

import base64
import time
import warnings
from typing import Any

import httpx
import pytest

with warnings.catch_warnings():
    # Authlib 1.9 nudges towards the `httpx2` package; the httpx integration still works.
    # Its `deprecate` module installs an "always" filter on import, so ours goes in after.
    import authlib.deprecate  # noqa: F401

    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuth2Client

from frontdesk_app.sandbox.config import SandboxConfig
from frontdesk_app.sandbox.server import SandboxServer
from tests.integration.conftest import SandboxFactory
from tests.integration.sandbox.support import bearer

pytestmark = pytest.mark.integration
ALL_SCOPES = {
    "appointments:read",
    "appointments:write",
    "patients:write",
    "eligibility",
    "prescriptions:read",
    "webhooks",
    "calls",
}


def _token(server: SandboxServer, **form: str) -> httpx.Response:
    return httpx.post(server.base_url + "/oauth/token", data=form, timeout=30)


def _assert_invalid_token(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "invalid_token"
    assert body["request_id"] == response.headers["x-request-id"]


def test_authlib_client_credentials_with_basic_auth(sandbox: SandboxServer) -> None:
    new = sandbox.create_client()
    with OAuth2Client(
        new.client_id,
        new.client_secret,
        token_endpoint=sandbox.base_url + "/oauth/token",
        grant_type="client_credentials",
        token_endpoint_auth_method="client_secret_basic",
    ) as oauth:
        token = oauth.fetch_token()
        assert token["token_type"] == "Bearer"
        assert token["expires_in"] == 3600
        assert set(token["scope"].split()) == ALL_SCOPES
        response = oauth.get(sandbox.base_url + "/v1/providers")
    assert response.status_code == 200
    assert response.json()["data"]


@pytest.mark.asyncio
async def test_authlib_async_client_with_form_auth_renews_before_expiry(
    sandbox_factory: SandboxFactory,
) -> None:
    server = sandbox_factory(SandboxConfig(token_ttl_seconds=2))
    new = server.create_client(["appointments:read"])
    async with AsyncOAuth2Client(
        new.client_id,
        new.client_secret,
        token_endpoint=server.base_url + "/oauth/token",
        grant_type="client_credentials",
        token_endpoint_auth_method="client_secret_post",
        # Renew when less than a second is left, so the second call needs a new token.
        leeway=1,
    ) as oauth:
        first = await oauth.fetch_token()
        assert first["scope"] == "appointments:read"
        assert (await oauth.get(server.base_url + "/v1/payers")).status_code == 200
        time.sleep(1.2)
        assert (await oauth.get(server.base_url + "/v1/payers")).status_code == 200
        assert oauth.token["access_token"] != first["access_token"]


def test_raw_token_request_with_basic_and_form(sandbox: SandboxServer) -> None:
    new = sandbox.create_client()
    basic = base64.b64encode(f"{new.client_id}:{new.client_secret}".encode()).decode()
    by_basic = httpx.post(
        sandbox.base_url + "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    by_form = _token(
        sandbox,
        grant_type="client_credentials",
        client_id=new.client_id,
        client_secret=new.client_secret,
        scope="calls eligibility",
    )
    for response in (by_basic, by_form):
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
        assert body["token_type"] == "Bearer"
        assert isinstance(body["expires_in"], int)
    assert by_form.json()["scope"] == "calls eligibility"
    token = by_form.json()["access_token"]
    calls = httpx.get(sandbox.base_url + "/v1/calls", headers=bearer(token))
    assert calls.status_code == 200
    # The token carries only what it asked for.
    denied = httpx.get(sandbox.base_url + "/v1/providers", headers=bearer(token))
    assert denied.status_code == 403
    assert denied.json()["code"] == "insufficient_scope"
    assert denied.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("form", "auth", "status", "error"),
    [
        ({"grant_type": "client_credentials"}, None, 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, ("cli_nobody", "wrong"), 401, "invalid_client"),
        ({"grant_type": "password"}, "valid", 400, "unsupported_grant_type"),
        ({}, "valid", 400, "invalid_request"),
        ({"grant_type": "client_credentials", "scope": "admin"}, "valid", 400, "invalid_scope"),
    ],
)
def test_token_errors_follow_rfc6749(
    sandbox: SandboxServer, form: dict[str, str], auth: Any, status: int, error: str
) -> None:
    if auth == "valid":
        new = sandbox.create_client()
        auth = (new.client_id, new.client_secret)
    response = httpx.post(sandbox.base_url + "/oauth/token", data=form, auth=auth)
    assert response.status_code == status
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] == error
    assert isinstance(body["error_description"], str)
    if status == 401 and auth is not None:
        assert response.headers["www-authenticate"].startswith("Basic")


def test_token_endpoint_refuses_json_and_a_wrong_secret(sandbox: SandboxServer) -> None:
    new = sandbox.create_client()
    as_json = httpx.post(
        sandbox.base_url + "/oauth/token",
        json={"grant_type": "client_credentials"},
        auth=(new.client_id, new.client_secret),
    )
    assert as_json.status_code == 400
    assert as_json.json()["error"] == "invalid_request"
    wrong = _token(
        sandbox, grant_type="client_credentials", client_id=new.client_id, client_secret="x" * 40
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"


def test_expired_token_is_refused(sandbox_factory: SandboxFactory) -> None:
    server = sandbox_factory(SandboxConfig(token_ttl_seconds=1))
    new = server.create_client()
    issued = _token(
        server,
        grant_type="client_credentials",
        client_id=new.client_id,
        client_secret=new.client_secret,
    ).json()
    assert issued["expires_in"] == 1
    headers = bearer(issued["access_token"])
    assert httpx.get(server.base_url + "/v1/payers", headers=headers).status_code == 200
    deadline = time.monotonic() + 10
    response = httpx.get(server.base_url + "/v1/payers", headers=headers)
    while response.status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.25)
        response = httpx.get(server.base_url + "/v1/payers", headers=headers)
    _assert_invalid_token(response)


def test_api_keys_scopes_and_revocation(sandbox: SandboxServer) -> None:
    key = sandbox.create_key(["prescriptions:read"]).api_key
    assert key.startswith("fdk_test_")
    headers = bearer(key)
    assert httpx.get(
        sandbox.base_url + "/v1/prescriptions?patient_id=pat_x", headers=headers
    ).is_success
    denied = httpx.get(sandbox.base_url + "/v1/appointments", headers=headers)
    assert denied.status_code == 403
    assert denied.headers["www-authenticate"] == 'Bearer error="insufficient_scope"'
    assert sandbox.revoke_key(key)
    _assert_invalid_token(httpx.get(sandbox.base_url + "/v1/payers", headers=headers))


def test_credentials_are_stored_only_as_hashes(sandbox: SandboxServer) -> None:
    key = sandbox.create_key().api_key
    client = sandbox.create_client()
    data = sandbox.state_path.read_bytes()
    wal = sandbox.state_path.with_name(sandbox.state_path.name + "-wal")
    if wal.exists():
        data += wal.read_bytes()
    assert key.encode() not in data
    assert client.client_secret.encode() not in data
    assert client.client_id.encode() in data


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Basic Zm9vOmJhcg==",
        "Bearer fdk_test_unknownunknownunknown",
        "Bearer a b c",
        "Bearer {}",
    ],
)
def test_every_v1_route_refuses_bad_credentials(
    sandbox: SandboxServer, authorization: str | None
) -> None:
    schema = httpx.get(sandbox.base_url + "/openapi.json").json()
    operations = [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        if path.startswith("/v1/")
        for method in item
        if method in ("get", "post", "put", "delete", "patch")
    ]
    assert len(operations) >= 25
    headers = {} if authorization is None else {"Authorization": authorization}
    with httpx.Client(base_url=sandbox.base_url, timeout=30) as c:
        for method, path in operations:
            url = path.replace("{", "x_").replace("}", "")
            response = c.request(method, url, headers=headers, json={})
            _assert_invalid_token(response)
            assert "x-ratelimit-remaining" in response.headers
