"""Base URLs: TLS everywhere except loopback, no secrets or search terms in a base URL."""

from __future__ import annotations

import pytest

from frontdesk_app.api import (
    PRODUCTION_URL,
    SANDBOX_URL,
    ApiBackend,
    ApiKey,
    InsecureBaseUrl,
    base_url_for,
    bundled_url,
    validate_base_url,
)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.frontdeskos.co",
        "https://sandbox.api.frontdeskos.co/",
        "https://clinic.example.org:8443/frontdesk",
        "http://127.0.0.1:8765",
        "http://127.8.9.10",
        "http://localhost:9000",
        "http://[::1]:8765",
    ],
)
def test_accepted_base_urls(url: str) -> None:
    parsed = validate_base_url(url)
    assert parsed.startswith(("https://", "http://"))
    assert not parsed.endswith("/")


@pytest.mark.parametrize(
    "url",
    [
        "http://api.frontdeskos.co",
        "http://192.168.1.10:8765",
        "http://10.0.0.1",
        "http://[::2]:80",
        "ftp://api.frontdeskos.co",
        "api.frontdeskos.co",
        "https://user:pw@api.frontdeskos.co",
        "https://api.frontdeskos.co/?q=Smith",
        "https://api.frontdeskos.co/#frag",
        "",
    ],
)
def test_refused_base_urls(url: str) -> None:
    with pytest.raises(InsecureBaseUrl) as caught:
        validate_base_url(url)
    message = str(caught.value)
    assert "pw" not in message
    assert "Smith" not in message


def test_api_backend_refuses_plain_http_to_a_remote_host() -> None:
    with pytest.raises(InsecureBaseUrl, match="only allowed for a sandbox on this computer"):
        ApiBackend(base_url="http://api.frontdeskos.co", credentials=ApiKey("fdk_test_x"))


def test_trailing_slash_is_normalised() -> None:
    assert validate_base_url("https://clinic.example.org/api/") == "https://clinic.example.org/api"


def test_named_environments() -> None:
    assert base_url_for("production") == PRODUCTION_URL == "https://api.frontdeskos.co"
    assert base_url_for("sandbox") == SANDBOX_URL == "https://sandbox.api.frontdeskos.co"
    assert base_url_for("bundled", port=9123) == "http://127.0.0.1:9123"
    assert base_url_for("custom", custom_url="https://x.example/") == "https://x.example"
    with pytest.raises(InsecureBaseUrl):
        base_url_for("custom", custom_url="http://x.example")
    with pytest.raises(ValueError, match="unknown environment"):
        base_url_for("staging")


def test_bundled_sandbox_is_loopback_only() -> None:
    assert bundled_url() == "http://127.0.0.1:8765"
    with pytest.raises(InsecureBaseUrl):
        bundled_url(8765, host="0.0.0.0")


@pytest.mark.asyncio
async def test_for_environment_uses_the_public_hosts() -> None:
    api = ApiBackend.for_environment("sandbox", credentials=ApiKey("fdk_test_x"))
    try:
        assert api.base_url == "https://sandbox.api.frontdeskos.co"
        # TLS verification cannot be switched off: the client's transport verifies.
        assert api.session.client.base_url.scheme == "https"
    finally:
        await api.aclose()
    with pytest.raises(ValueError, match="unknown environment"):
        ApiBackend.for_environment("qa", credentials=ApiKey("fdk_test_x"))


@pytest.mark.asyncio
async def test_proxy_settings_apply_to_remote_hosts_only() -> None:
    remote = ApiBackend(base_url="https://api.frontdeskos.co", credentials=ApiKey("fdk_test_x"))
    local = ApiBackend(base_url="http://127.0.0.1:8765", credentials=ApiKey("fdk_test_x"))
    try:
        assert remote.session.client.trust_env is True
        assert local.session.client.trust_env is False
    finally:
        await remote.aclose()
        await local.aclose()
