"""Where webhooks may go: this computer only, unless the sandbox was started to reach further.

By default (`frontdesk sandbox`) an endpoint's URL must name this computer (`localhost`, a
loopback address), and every delivery connects only to a loopback address. Started with
`--webhooks-to-internet`, the sandbox delivers to public addresses and never to private,
shared, link-local (cloud metadata services live there), loopback, IPv4-mapped or otherwise
non-global ones. The name is resolved when the delivery connects and the request goes to the
address that was checked (the `Host` header and TLS name stay the URL's), so a name that
resolves elsewhere later, or differently on each lookup, cannot slip past the check.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field
from typing import Any

import httpx

from frontdesk_app.domain.errors import FieldError, ValidationFailed

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services, named even where the ranges above already exclude them.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192")
)


class TargetRefused(Exception):
    """The URL's host is, or resolves to, an address deliveries may not go to."""


@dataclass(frozen=True, slots=True)
class Pinned:
    """A delivery's request, aimed at the checked address."""

    url: httpx.URL
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)


def _embedded_v4(address: Address) -> ipaddress.IPv4Address | None:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address.teredo is not None:
            return address.teredo[1]
    return None


def allowed(address: Address, *, internet: bool) -> bool:
    """May a delivery connect to `address`? (see the module docstring)"""
    if not internet:
        inner = _embedded_v4(address)
        return address.is_loopback or (inner is not None and inner.is_loopback)
    if address in METADATA_ADDRESSES or address.is_multicast:
        return False
    if isinstance(address, ipaddress.IPv6Address) and _embedded_v4(address) is not None:
        return False  # a v4 address in v6 clothing: refused rather than second-guessed
    return address.is_global


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_url(url: str, *, internet: bool) -> None:
    """Refuse, when it is registered, a URL that could never be delivered to."""
    host = (httpx.URL(url).host or "").lower().rstrip(".")
    literal = _literal(host)
    if not internet:
        if host == "localhost" or (literal is not None and allowed(literal, internet=False)):
            return
        raise ValidationFailed(
            "This sandbox only delivers webhooks to this computer.",
            errors=[FieldError("url", "Use a 127.0.0.1, [::1] or localhost address.")],
        )
    if (
        host == "localhost"
        or host.endswith(".localhost")
        or (literal is not None and not allowed(literal, internet=True))
    ):
        raise ValidationFailed(
            "Webhooks go to public internet addresses only.",
            errors=[FieldError("url", "Use a public address, not a private or local one.")],
        )


async def _resolve(host: str, port: int) -> list[Address]:
    literal = _literal(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise TargetRefused from exc
    found: list[Address] = []
    for info in infos:
        text = str(info[4][0]).partition("%")[0]
        address = _literal(text)
        if address is not None and address not in found:
            found.append(address)
    return found


async def pin(url: str, *, internet: bool) -> Pinned:
    """Resolve the URL's host now, check every address, and aim the request at the first."""
    parsed = httpx.URL(url)
    host = parsed.host
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = await _resolve(host, port)
    if not addresses or not all(allowed(a, internet=internet) for a in addresses):
        raise TargetRefused
    chosen = addresses[0]
    if _literal(host) is not None:
        return Pinned(parsed)
    netloc = host if parsed.port is None else f"{host}:{parsed.port}"
    extensions: dict[str, Any] = {"sni_hostname": host} if parsed.scheme == "https" else {}
    return Pinned(parsed.copy_with(host=str(chosen)), {"host": netloc}, extensions)
