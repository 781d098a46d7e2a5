"""Another desk and the phone system, as a process of their own: they cause the live events.

    python -m tests.bench.event_source transfers BASE_URL KEY AGENT_ID COUNT INTERVAL
    python -m tests.bench.event_source events BASE_URL KEY RATE SECONDS

`transfers`: makes COUNT AI-handled calls, then transfers them one by one to AGENT_ID,
printing `SENT call_id monotonic` just before each POST (the clock is the system's monotonic
one, which the desk reads too); INTERVAL seconds later the agent accepts and completes it (an
agent takes one call at a time, so the next transfer waits for that).
`events`: RATE events a second for SECONDS seconds — bookings in this week's free slots, each
cancelled again a moment later (both are events), and every fifth a transferred call — then
prints `DONE events seconds`. Sends on a fixed schedule; if the server falls behind, the
achieved rate is what it printed.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

ZONE = ZoneInfo("America/New_York")


def _client(base_url: str, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=60
    )


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


async def transfers(base_url: str, key: str, agent_id: str, count: int, interval: float) -> None:
    async with _client(base_url, key) as client:
        calls = [(await _post(client, "/v1/sandbox/calls", {}))["id"] for _ in range(count)]
        print("READY", flush=True)
        for call_id in calls:
            print(f"SENT {call_id} {time.monotonic():.6f}", flush=True)
            transfer = await _post(
                client, f"/v1/calls/{call_id}/transfer", {"target_agent_id": agent_id}
            )
            # An agent takes one call at a time: this one is answered before the next rings.
            await asyncio.sleep(interval)
            done = transfer["transfer_id"]
            await _post(client, f"/v1/transfers/{done}/accept", {"agent_id": agent_id})
            await _post(client, f"/v1/transfers/{done}/complete", {"disposition": "resolved"})


async def _free_slots(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    """This week's free half hours (today onwards), one booking request each."""
    providers = (await client.get("/v1/providers")).json()["data"]
    patients = (await client.get("/v1/patients", params={"limit": 200})).json()["data"]
    today = date.today()
    slots: list[dict[str, Any]] = []
    for offset in range(7):
        day = today + timedelta(days=offset)
        for provider in providers:
            answer = await client.get(
                f"/v1/providers/{provider['id']}/availability",
                params={"date": day.isoformat(), "duration_minutes": 30},
            )
            for slot in answer.json().get("slots", [])[::2]:
                slots.append(
                    {
                        "patient_id": patients[len(slots) % len(patients)]["id"],
                        "provider_id": provider["id"],
                        "start_time": slot["start_time"],
                        "duration_minutes": 30,
                        "type": "consultation",
                    }
                )
        if len(slots) > 200:
            break
    return slots


async def events(base_url: str, key: str, rate: float, seconds: float) -> None:
    async with _client(base_url, key) as client:
        slots = await _free_slots(client)
        if not slots:
            raise SystemExit("no free slot this week")
        print("READY", flush=True)
        sent = 0
        booked: list[str] = []
        started = next_at = time.monotonic()
        while time.monotonic() - started < seconds:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += 1 / rate
            if sent % 5 == 4:
                await _post(client, "/v1/sandbox/calls", {"transfer": True})
            elif booked:
                await _post(client, f"/v1/appointments/{booked.pop()}/cancel", {})
            else:
                slot = slots[(sent // 2) % len(slots)]
                response = await client.post(
                    "/v1/appointments", json=slot, headers={"Idempotency-Key": uuid.uuid4().hex}
                )
                if response.status_code == 201:
                    booked.append(response.json()["id"])
            sent += 1
        print(f"DONE {sent} {time.monotonic() - started:.3f}", flush=True)


def main(argv: list[str]) -> int:
    mode, base_url, key = argv[0], argv[1], argv[2]
    if mode == "transfers":
        asyncio.run(transfers(base_url, key, argv[3], int(argv[4]), float(argv[5])))
    else:
        asyncio.run(events(base_url, key, float(argv[3]), float(argv[4])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
