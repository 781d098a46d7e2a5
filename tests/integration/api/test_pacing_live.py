"""Against a sandbox at 60 requests a minute: 100 writes go through in order, without 429s.

The sandbox refills its 60 over 6 s instead of 60 s (`rate_window_seconds`), and the client is
told the same window, so pacing is exercised in about ten seconds rather than two minutes;
the arithmetic is the same at any scale. The bucket holds a burst of 10 only, so the client
has to pace almost every request.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx
import pytest

from frontdesk_app.api import RateBudget
from frontdesk_app.domain import clock
from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.models import Appointment, AppointmentCreate
from frontdesk_app.sandbox.config import SandboxConfig
from tests.fixtures.clock import NY
from tests.integration.api.support import Identifiers, api_for
from tests.integration.conftest import SandboxFactory

pytestmark = pytest.mark.integration

WRITES = 100


async def free_slots(backend: Backend, count: int) -> list[tuple[str, str, datetime]]:
    """`count` distinct (patient, provider, start) bookings that the rules accept."""
    providers = await backend.list_providers()
    patients = (await backend.search_patients(limit=count)).data
    found: list[tuple[str, str, datetime]] = []
    day = clock.today(NY) + timedelta(days=30)
    for _ in range(120):
        for provider in providers:
            slots = (await backend.provider_availability(provider.id, day, 15)).slots
            # Every other 15-minute slot, so no two bookings touch.
            for slot in slots[::2]:
                found.append((patients[len(found)].id, provider.id, slot.start_time))
                if len(found) == count:
                    return found
        day += timedelta(days=1)
    raise AssertionError("the demo calendar has no room for the test's bookings")


@pytest.mark.asyncio
async def test_a_hundred_writes_stay_under_60_a_minute(
    sandbox_factory: SandboxFactory, log_hygiene: Identifiers
) -> None:
    server = sandbox_factory(
        SandboxConfig(rate_limit_per_min=60, rate_burst=10, rate_window_seconds=6.0)
    )
    log_hygiene.secrets.add(server.api_key)
    bookings = server.call(lambda backend: free_slots(backend, WRITES))
    statuses: list[int] = []

    async def count(response: httpx.Response) -> None:
        statuses.append(response.status_code)

    async with api_for(server, rate_window=6.0) as api:
        api.session.client.event_hooks["response"].append(count)
        budgets: list[RateBudget] = []
        api.rate_budget.subscribe(budgets.append)
        created = []
        async with asyncio.timeout(60):
            for patient, provider, start in bookings:
                created.append(
                    await api.create_appointment(
                        AppointmentCreate(
                            patient_id=patient,
                            provider_id=provider,
                            start_time=start,
                            duration_minutes=15,
                            type="follow-up",
                        )
                    )
                )
        events = await api.list_events(after=0, limit=1000)

    assert [(a.patient_id, a.provider_id, a.start_time) for a in created] == bookings
    assert statuses.count(429) <= 2, statuses.count(429)
    assert statuses.count(201) == WRITES
    assert any(b.pacing for b in budgets), "the client never had to pace: the test proves nothing"
    assert budgets[-1].limit == 60
    # The server booked them in the order they were sent.
    booked = [e.data["id"] for e in events.data if e.type == "appointment.created"]
    assert booked == [a.id for a in created]
    stored = server.call(lambda backend: stored_appointments(backend, [a.id for a in created]))
    assert [a.status for a in stored] == ["confirmed"] * WRITES


async def stored_appointments(backend: Backend, ids: list[str]) -> list[Appointment]:
    return [await backend.get_appointment(i) for i in ids]
