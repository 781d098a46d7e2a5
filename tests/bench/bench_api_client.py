"""Benchmark 7: ApiBackend's sequential requests/s against a bare httpx loop on the same server.

The sandbox runs as its own process (as the bundled one does), so client and server do not
share a GIL. Both clients ask for the same provider over one keep-alive connection, one request
at a time; the bare loop decodes the JSON, ApiBackend also authenticates, paces, applies the
retry policy and validates the answer into a model. Rounds alternate between the two so that
drift in a noisy machine hits both; each figure is the median of its rounds.

    .venv/bin/python -m tests.bench.bench_api_client [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from frontdesk_app.api import ApiBackend, ApiKey
from tests.bench.harness import Result

NUMBERS = (7,)
TARGET_RATIO = 0.8


@contextmanager
def sandbox_process() -> Iterator[tuple[str, str]]:
    """A sandbox subprocess on a free loopback port with the demo clinic; (base_url, key)."""
    with tempfile.TemporaryDirectory(prefix="bench-api-") as folder:
        command = [
            sys.executable,
            "-m",
            "frontdesk_app",
            "sandbox",
            "--port",
            "0",
            "--db",
            str(Path(folder) / "clinic.sqlite"),
            "--demo-data",
            "--print-credentials",
            "--rate-limit",
            "100000000",  # measure the client, not the budget
            "--log-level",
            "warning",
        ]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            if not line:
                raise RuntimeError("the sandbox did not start")
            ready = json.loads(line)
            yield ready["base_url"], ready["api_key"]
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def bare_loop(base_url: str, key: str, provider_id: str, count: int) -> float:
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers) as client:
        (await client.get(f"/v1/providers/{provider_id}")).raise_for_status()  # warm up
        started = time.perf_counter()
        for _ in range(count):
            response = await client.get(f"/v1/providers/{provider_id}")
            response.raise_for_status()
            response.json()
        return count / (time.perf_counter() - started)


async def sdk_loop(base_url: str, key: str, provider_id: str, count: int) -> float:
    async with ApiBackend(base_url=base_url, credentials=ApiKey(key)) as api:
        await api.get_provider(provider_id)  # warm up
        started = time.perf_counter()
        for _ in range(count):
            await api.get_provider(provider_id)
        return count / (time.perf_counter() - started)


async def measure(base_url: str, key: str, *, rounds: int, count: int) -> tuple[float, float]:
    async with ApiBackend(base_url=base_url, credentials=ApiKey(key)) as api:
        provider_id = (await api.list_providers())[0].id
    bare: list[float] = []
    sdk: list[float] = []
    for _ in range(rounds):
        bare.append(await bare_loop(base_url, key, provider_id, count))
        sdk.append(await sdk_loop(base_url, key, provider_id, count))
    return statistics.median(bare), statistics.median(sdk)


PROVIDER = {
    "id": "prov_bench",
    "name": "Dr. Bench",
    "specialty": "Family medicine",
    "timezone": "America/New_York",
    "weekly_hours": {"0": [{"start": "08:00:00", "end": "12:00:00"}]},
    "blocked": [],
}


async def overhead(rounds: int, count: int) -> tuple[float, float]:
    """Seconds per request of each client with no network at all (an in-memory transport):
    what ApiBackend itself adds, which a slow or loaded server would otherwise hide."""
    body = json.dumps(PROVIDER).encode()

    def answer(request: httpx.Request) -> httpx.Response:
        headers = {
            "content-type": "application/json",
            "x-ratelimit-limit": "10000",
            "x-ratelimit-remaining": "9999",
            "x-ratelimit-reset": str(int(time.time()) + 1),
        }
        return httpx.Response(200, content=body, headers=headers)

    transport = httpx.MockTransport(answer)
    base = "https://bench.invalid"
    bare: list[float] = []
    sdk: list[float] = []
    async with (
        httpx.AsyncClient(base_url=base, transport=transport) as client,
        ApiBackend(base_url=base, credentials=ApiKey("fdk_test_bench"), transport=transport) as api,
    ):
        for _ in range(rounds):
            started = time.perf_counter()
            for _ in range(count):
                (await client.get("/v1/providers/prov_bench")).json()
            bare.append((time.perf_counter() - started) / count)
            started = time.perf_counter()
            for _ in range(count):
                await api.get_provider("prov_bench")
            sdk.append((time.perf_counter() - started) / count)
    return statistics.median(bare), statistics.median(sdk)


def run(quick: bool = False) -> list[Result]:
    rounds, count = (2, 50) if quick else (7, 400)
    with sandbox_process() as (base_url, key):
        bare, sdk = asyncio.run(measure(base_url, key, rounds=rounds, count=count))
    ratio = sdk / bare
    bare_alone, sdk_alone = asyncio.run(overhead(rounds * 3, count))
    return [
        Result(
            number=7,
            name="API client sequential requests/s",
            value=sdk,
            unit="req/s",
            target=f"≥ {TARGET_RATIO} × bare httpx",
            met=ratio >= TARGET_RATIO,
            floor=bare,
            floor_name="bare httpx loop",
            ratio=ratio,
            runs=rounds,
            details={"requests_per_round": count, "request": "GET /v1/providers/{id}"},
        ),
        Result(
            number=7,
            name="API client overhead per request (no network)",
            value=(sdk_alone - bare_alone) * 1e6,
            unit="µs",
            target="reported",
            met=None,
            floor=bare_alone * 1e6,
            floor_name="bare httpx, µs per request",
            ratio=bare_alone / sdk_alone,
            runs=rounds * 3,
            details={"requests_per_round": count},
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    result, alone = run(quick=args.quick)
    print(
        f"ApiBackend {result.value:.0f} req/s, bare httpx {result.floor:.0f} req/s, "
        f"ratio {result.ratio:.2f} (target ≥ {TARGET_RATIO}); without a network the client "
        f"adds {alone.value:.0f} µs to httpx's {alone.floor:.0f} µs per request"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
