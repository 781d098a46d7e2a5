"""Webhook address rules: this computer by default; public addresses only when allowed."""

from __future__ import annotations

import ipaddress

import pytest

from frontdesk_app.domain.errors import ValidationFailed
from frontdesk_app.sandbox.webhook_targets import TargetRefused, allowed, check_url, pin

NEVER_ON_THE_INTERNET = [
    "127.0.0.1",
    "::1",
    "::ffff:127.0.0.1",  # loopback, mapped
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.10",
    "100.64.0.1",  # shared address space
    "169.254.169.254",  # cloud metadata (link-local)
    "fe80::1",
    "fd00:ec2::254",  # cloud metadata (unique local)
    "100.100.100.200",
    "0.0.0.0",
    "224.0.0.1",
    "::ffff:8.8.8.8",  # a v4 address dressed as v6: refused rather than second-guessed
    "2002:7f00:1::1",  # 6to4 around 127.0.0.1
]


@pytest.mark.parametrize("text", NEVER_ON_THE_INTERNET)
def test_internet_mode_refuses_every_non_public_address(text: str) -> None:
    assert not allowed(ipaddress.ip_address(text), internet=True)


@pytest.mark.parametrize("text", ["8.8.8.8", "2606:4700:4700::1111"])
def test_internet_mode_allows_public_addresses(text: str) -> None:
    assert allowed(ipaddress.ip_address(text), internet=True)


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("8.8.8.8", False),
        ("10.0.0.1", False),
        ("169.254.169.254", False),
    ],
)
def test_by_default_only_this_computer(text: str, ok: bool) -> None:
    assert allowed(ipaddress.ip_address(text), internet=False) is ok


@pytest.mark.parametrize(
    ("url", "internet", "ok"),
    [
        ("http://127.0.0.1:9/x", False, True),
        ("http://localhost:9/x", False, True),
        ("http://[::1]:9/x", False, True),
        ("https://example.com/x", False, False),
        ("http://169.254.169.254/latest/meta-data", False, False),
        ("https://example.com/x", True, True),
        ("http://169.254.169.254/latest/meta-data", True, False),
        ("http://[::ffff:127.0.0.1]/x", True, False),
        ("http://10.0.0.5/x", True, False),
        ("http://localhost/x", True, False),
        ("http://db.localhost/x", True, False),
    ],
)
def test_urls_are_checked_when_registered(url: str, internet: bool, ok: bool) -> None:
    if ok:
        check_url(url, internet=internet)
    else:
        with pytest.raises(ValidationFailed) as refused:
            check_url(url, internet=internet)
        assert refused.value.errors[0].field == "url"


@pytest.mark.asyncio
async def test_the_resolved_address_is_checked_and_pinned_at_connect_time() -> None:
    # `localhost` resolves to loopback: fine by default, refused in internet mode.
    pinned = await pin("http://localhost:8080/hook", internet=False)
    assert ipaddress.ip_address(pinned.url.host).is_loopback
    assert pinned.headers == {"host": "localhost:8080"}
    assert pinned.url.port == 8080 and pinned.url.path == "/hook"
    with pytest.raises(TargetRefused):
        await pin("http://localhost:8080/hook", internet=True)
    with pytest.raises(TargetRefused):
        await pin("http://127.0.0.1:8080/hook", internet=True)
