"""Helpers for sandbox tests: authenticated clients and free slots to book into."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from frontdesk_app.domain import clock
from frontdesk_app.sandbox.server import SandboxServer
from tests.fixtures.clock import NY

UTC_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def client(server: SandboxServer, token: str | None = None, **options: Any) -> httpx.Client:
    headers = bearer(token or server.api_key)
    return httpx.Client(base_url=server.base_url, headers=headers, timeout=30.0, **options)


def async_client(
    server: SandboxServer, token: str | None = None, **options: Any
) -> httpx.AsyncClient:
    headers = bearer(token or server.api_key)
    return httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=30.0, **options)


def patients(c: httpx.Client, count: int = 200) -> list[dict[str, Any]]:
    response = c.get("/v1/patients", params={"limit": count})
    response.raise_for_status()
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def free_slot(
    c: httpx.Client, rng: random.Random, *, duration: int = 30, provider_id: str | None = None
) -> tuple[str, str]:
    """A random free (provider, start) between 3 and 200 days ahead."""
    providers = [p["id"] for p in c.get("/v1/providers").json()["data"]]
    for _ in range(60):
        provider = provider_id or rng.choice(providers)
        day = clock.today(NY) + timedelta(days=rng.randint(3, 200))
        slots = c.get(
            f"/v1/providers/{provider}/availability",
            params={"date": day.isoformat(), "duration_minutes": duration},
        ).json()["slots"]
        if slots:
            return provider, rng.choice(slots)["start_time"]
    raise AssertionError("no free slot found in 60 tries")


def book(
    c: httpx.Client, rng: random.Random, *, duration: int = 30, **extra: Any
) -> dict[str, Any]:
    """Book a random free slot for a random patient (a clash with another test is retried)."""
    people = patients(c)
    for _ in range(10):
        provider, start = free_slot(c, rng, duration=duration)
        body = {
            "patient_id": rng.choice(people)["id"],
            "provider_id": provider,
            "start_time": start,
            "duration_minutes": duration,
            "type": "consultation",
            **extra,
        }
        response = c.post("/v1/appointments", json=body)
        if response.status_code == 201:
            created: dict[str, Any] = response.json()
            return created
        assert response.status_code == 409, response.text
    raise AssertionError("could not book in 10 tries")


def appointment_body(c: httpx.Client, rng: random.Random, duration: int = 30) -> dict[str, Any]:
    provider, start = free_slot(c, rng, duration=duration)
    return {
        "patient_id": rng.choice(patients(c))["id"],
        "provider_id": provider,
        "start_time": start,
        "duration_minutes": duration,
        "type": "follow-up",
    }


def parse_z(text: str) -> datetime:
    assert UTC_Z.match(text), text
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
