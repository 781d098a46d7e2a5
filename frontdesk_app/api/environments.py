"""Where the API lives (production, hosted sandbox, bundled sandbox, custom); which URLs are safe.

Health data and credentials travel only over TLS, with certificate verification always on. The
one exception is plain `http://` to this machine's loopback interface, where the bundled sandbox
runs and nothing leaves the computer.
"""

from __future__ import annotations

import ipaddress

import httpx

from frontdesk_app.api.errors import InsecureBaseUrl

PRODUCTION_URL = "https://api.frontdeskos.co"
SANDBOX_URL = "https://sandbox.api.frontdeskos.co"
BUNDLED_DEFAULT_PORT = 8765

ENVIRONMENT_URLS: dict[str, str] = {"production": PRODUCTION_URL, "sandbox": SANDBOX_URL}


def bundled_url(port: int = BUNDLED_DEFAULT_PORT, host: str = "127.0.0.1") -> str:
    """The base URL of the sandbox bundled with the app, on loopback."""
    if not is_loopback_host(host):
        raise InsecureBaseUrl("The bundled sandbox only runs on this computer (127.0.0.1).")
    return f"http://{host}:{port}"


def is_loopback_host(host: str) -> bool:
    """True for `localhost` and loopback addresses (127.0.0.0/8, ::1)."""
    bare = host.strip("[]").lower()
    if bare == "localhost" or bare.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(bare).is_loopback
    except ValueError:
        return False


def validate_base_url(url: str) -> str:
    """The base URL, normalised without a trailing slash; refuses anything unsafe or malformed.

    Only `https://` is accepted, except `http://` to a loopback host. User info, query strings
    and fragments are refused: a base URL must not carry secrets or search terms.
    """
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise InsecureBaseUrl(
            "The API address is not a valid URL. Use e.g. https://api.frontdeskos.co."
        ) from exc
    if parsed.scheme not in ("https", "http") or not parsed.host:
        raise InsecureBaseUrl(
            "The API address must start with https:// (e.g. https://api.frontdeskos.co)."
        )
    if parsed.scheme == "http" and not is_loopback_host(parsed.host):
        raise InsecureBaseUrl(
            "Plain http:// is only allowed for a sandbox on this computer (127.0.0.1). "
            "Use https:// for any other address so that patient data stays encrypted."
        )
    if parsed.userinfo or parsed.query or parsed.fragment:
        raise InsecureBaseUrl(
            "The API address must not contain a user name, password, query or fragment."
        )
    return str(parsed).rstrip("/")


def base_url_for(environment: str, *, custom_url: str = "", port: int | None = None) -> str:
    """The base URL of a named environment: production, sandbox, bundled or custom."""
    if environment in ENVIRONMENT_URLS:
        return ENVIRONMENT_URLS[environment]
    if environment == "bundled":
        return bundled_url(port or BUNDLED_DEFAULT_PORT)
    if environment == "custom":
        return str(validate_base_url(custom_url))
    raise ValueError(f"unknown environment {environment!r}")
