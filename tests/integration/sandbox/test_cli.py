"""`frontdesk sandbox` as a subprocess: credentials on stdout when ready, keys, clean stop."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from frontdesk_app.sandbox.server import is_loopback
from tests.integration.conftest import copy_store

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def _frontdesk(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "frontdesk_app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_sandbox_command_prints_credentials_and_serves(
    sandbox_template: Path, tmp_path: Path
) -> None:
    db = copy_store(sandbox_template, tmp_path / "store")
    env = {**os.environ, "FRONTDESK_HOME": str(tmp_path / "home")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "frontdesk_app",
            "sandbox",
            "--port",
            "0",
            "--db",
            str(db),
            "--demo-data",
            "--print-credentials",
            "--log-level",
            "info",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()  # type: ignore[union-attr]
    try:
        ready = json.loads(lines.get(timeout=120))
        assert set(ready) == {"base_url", "api_key"}
        assert ready["base_url"].startswith("http://127.0.0.1:")
        headers = {"Authorization": f"Bearer {ready['api_key']}"}
        assert httpx.get(ready["base_url"] + "/v1/providers", headers=headers).status_code == 200

        # Keys and clients made by the CLI while the server runs work at once.
        key = json.loads(_frontdesk("sandbox", "create-key", "--db", str(db), env=env).stdout)
        assert key["api_key"].startswith("fdk_test_")
        made = _frontdesk("sandbox", "--db", str(db), "create-client", "--scope", "calls", env=env)
        oauth = json.loads(made.stdout)
        assert oauth["scope"] == "calls"
        token = httpx.post(
            ready["base_url"] + "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(oauth["client_id"], oauth["client_secret"]),
        )
        assert token.status_code == 200
        new_key = {"Authorization": f"Bearer {key['api_key']}"}
        assert httpx.get(ready["base_url"] + "/v1/payers", headers=new_key).status_code == 200
        httpx.get(ready["base_url"] + "/v1/patients", params={"q": "Smith"}, headers=headers)
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=60)
    assert process.returncode == 0
    assert "GET /v1/providers 200" in errors
    # The request log names routes, never query strings or credentials.
    assert "Smith" not in errors
    assert ready["api_key"] not in errors
    assert key["api_key"] not in errors


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("192.168.1.10")
    assert not is_loopback("example.com")
