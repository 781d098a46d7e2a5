"""Token-bucket rate limits per credential: headers on every answer, 429, Retry-After, recovery."""

from __future__ import annotations

import time

import httpx
import pytest

from frontdesk_app.domain import clock
from frontdesk_app.sandbox.config import SandboxConfig
from tests.integration.conftest import SandboxFactory
from tests.integration.sandbox.support import bearer

pytestmark = pytest.mark.integration


def test_budget_runs_out_then_recovers(sandbox_factory: SandboxFactory) -> None:
    server = sandbox_factory(SandboxConfig(rate_limit_per_min=60, rate_burst=3))
    key = server.create_key().api_key
    other = server.create_key().api_key
    with httpx.Client(base_url=server.base_url, headers=bearer(key), timeout=30) as c:
        remaining = []
        for _ in range(3):
            response = c.get("/v1/payers")
            assert response.status_code == 200
            assert response.headers["x-ratelimit-limit"] == "60"
            assert int(response.headers["x-ratelimit-reset"]) >= int(clock.now_timestamp())
            remaining.append(int(response.headers["x-ratelimit-remaining"]))
        assert remaining == sorted(remaining, reverse=True)
        assert remaining[-1] == 0

        refused = c.get("/v1/payers")
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "rate_limited"
        assert refused.headers["x-ratelimit-remaining"] == "0"
        retry_after = int(refused.headers["retry-after"])
        assert 1 <= retry_after <= 2

        # Another credential has its own budget.
        assert httpx.get(server.base_url + "/v1/payers", headers=bearer(other)).status_code == 200

        time.sleep(retry_after)
        for _ in range(20):  # bounded: the bucket refills one token a second
            recovered = c.get("/v1/payers")
            if recovered.status_code == 200:
                break
            time.sleep(float(recovered.headers["retry-after"]))
        assert recovered.status_code == 200


def test_rate_limit_headers_on_errors_too(sandbox_factory: SandboxFactory) -> None:
    server = sandbox_factory(SandboxConfig(rate_limit_per_min=600))
    key = server.create_key().api_key
    with httpx.Client(base_url=server.base_url, headers=bearer(key), timeout=30) as c:
        for response in (
            c.get("/v1/appointments/apt_doesnotexist"),
            c.post("/v1/appointments", json={"nonsense": True}),
            c.get("/v1/no-such-route"),
            httpx.get(server.base_url + "/v1/payers"),
            httpx.post(server.base_url + "/oauth/token", data={}),
        ):
            assert response.status_code >= 400
            for name in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"):
                assert name in response.headers
            assert response.headers["x-request-id"].startswith("req_")
