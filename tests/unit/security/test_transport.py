"""Transport: the API client refuses http:// to anything but this computer, verifies TLS
certificates and never follows a redirect; the sandbox binds loopback unless told otherwise,
and says loudly when it is told otherwise."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from frontdesk_app.api import ApiBackend, ApiKey, InsecureBaseUrl, RetryPolicy
from frontdesk_app.api.errors import ProtocolError
from frontdesk_app.api.http import tls_verification
from frontdesk_app.cli import build_parser
from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.sandbox.server import SandboxServer, is_loopback

ROOT = Path(__file__).resolve().parents[3]
KEY = ApiKey("fdk_test_transportcheck0000000000000000")
ONCE = RetryPolicy(attempts=1, deadline=10.0)


class Counting(httpx.AsyncBaseTransport):
    """Answers every request with `response` and counts them."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.response


@pytest.mark.parametrize(
    "url",
    [
        "http://api.frontdeskos.co",
        "http://sandbox.api.frontdeskos.co/v1",
        "http://192.168.1.20:8000",
        "http://10.0.0.5",
        "http://[2001:db8::1]:8080",
        "http://localhost.example.com",
        "http://127.0.0.1.example.com",
    ],
)
def test_plain_http_to_another_computer_is_refused_before_anything_is_sent(url: str) -> None:
    transport = Counting(httpx.Response(200, json=[]))
    with pytest.raises(InsecureBaseUrl, match="https://") as refused:
        ApiBackend(base_url=url, credentials=KEY, transport=transport)
    assert KEY.key not in str(refused.value)
    assert transport.requests == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8765", "http://localhost:8765", "http://[::1]:8765"]
)
async def test_plain_http_to_this_computer_is_allowed(url: str) -> None:
    page = {"data": [{"id": "payer_x", "name": "X"}], "next_cursor": None}
    transport = Counting(httpx.Response(200, json=page))
    api = ApiBackend(base_url=url, credentials=KEY, transport=transport, retry=ONCE)
    try:
        assert [p.id for p in await api.list_payers()] == ["payer_x"]
    finally:
        await api.aclose()
    assert len(transport.requests) == 1


@pytest.mark.asyncio
async def test_a_redirect_is_never_followed() -> None:
    """A 30x to http:// would downgrade the connection; the client stops instead."""
    transport = Counting(
        httpx.Response(301, headers={"Location": "http://api.frontdeskos.co/v1/payers"})
    )
    api = ApiBackend(
        base_url="https://api.frontdeskos.co", credentials=KEY, transport=transport, retry=ONCE
    )
    try:
        assert api.session.client.follow_redirects is False
        with pytest.raises((ProtocolError, FrontDeskError)):
            await api.list_payers()
    finally:
        await api.aclose()
    assert [str(r.url) for r in transport.requests] == ["https://api.frontdeskos.co/v1/payers"]


# --- certificates are verified ------------------------------------------------------------------


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _Payers(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'[{"id": "payer_tls", "name": "TLS"}]'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS server on loopback whose certificate no authority signed."""
    cert, key = _self_signed(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Payers)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", cert
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.asyncio
async def test_tls_certificates_are_verified(tls_server: tuple[str, Path]) -> None:
    url, cert = tls_server
    api = ApiBackend(base_url=url, credentials=KEY, retry=ONCE)
    try:
        with pytest.raises(FrontDeskError) as refused:
            await api.list_payers()
    finally:
        await api.aclose()
    assert KEY.key not in refused.value.message
    # The same server answers a client that trusts its certificate: it was the verification
    # that refused, not a broken server.
    trusting = ssl.create_default_context(cafile=str(cert))
    async with httpx.AsyncClient(verify=trusting) as client:
        response = await client.get(f"{url}/v1/payers")
    assert response.json() == [{"id": "payer_tls", "name": "TLS"}]


@pytest.mark.asyncio
async def test_a_plain_http_client_would_trust_no_certificate(
    tls_server: tuple[str, Path],
) -> None:
    """A client for http:// on this computer skips loading the system's certificates (it never
    makes a TLS connection); were it ever to make one, it verifies and trusts nothing."""
    url, _cert = tls_server
    context = tls_verification("http://127.0.0.1:8000")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.get_ca_certs() == []
    assert tls_verification("https://api.frontdeskos.co") is True
    async with httpx.AsyncClient(verify=context) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"{url}/v1/payers")


# --- the sandbox listens on loopback --------------------------------------------------------


def test_the_sandbox_binds_loopback_by_default(migrated_template: Path, tmp_path: Path) -> None:
    args = build_parser().parse_args(["sandbox"])
    assert args.host == "127.0.0.1"
    db = tmp_path / "sandbox.sqlite"
    db.write_bytes(migrated_template.read_bytes())
    server = SandboxServer(db, demo=False)
    assert server.host == "127.0.0.1"
    with server:
        host = httpx.URL(server.base_url).host
        assert is_loopback(host) and server.base_url.startswith("http://127.0.0.1:")


def test_the_sandbox_warns_when_told_to_listen_beyond_this_computer(
    migrated_template: Path, tmp_path: Path
) -> None:
    """192.0.2.1 (TEST-NET-1) is not an address of this machine: binding fails after the
    warning, and no packet leaves the computer."""
    db = tmp_path / "sandbox.sqlite"
    db.write_bytes(migrated_template.read_bytes())
    home = tmp_path / "home"
    result = subprocess.run(
        [sys.executable, "-m", "frontdesk_app", "sandbox", "--host", "192.0.2.1", "--db", str(db)],
        cwd=ROOT,
        env={**os.environ, "FRONTDESK_HOME": str(home), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "WARNING: the sandbox listens on 192.0.2.1" in result.stderr
    assert result.returncode == 2, result.stderr[-2000:]
    log = (home / "logs" / "frontdesk-sandbox.log").read_text(encoding="utf-8")
    assert "listening on 192.0.2.1, which other machines can reach" in log
