"""Against a sandbox that fails on purpose (500/503, cut connections, delays): every write
lands exactly once, which the server's own records prove."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

import pytest

from frontdesk_app.domain import clock
from frontdesk_app.domain import errors as E
from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.models import (
    Appointment,
    AppointmentCancel,
    AppointmentCreate,
    AppointmentQuery,
    Event,
)
from frontdesk_app.sandbox.config import ChaosSpec, SandboxConfig
from tests.fixtures.clock import NY
from tests.integration.api.support import CountingTransport, Identifiers, api_for
from tests.integration.conftest import SandboxFactory

pytestmark = pytest.mark.integration

WRITES = 30
# What a caller such as the sync outbox does after the client's own policy gave up: try again
# later with the same idempotency key. Bounded, so a broken server fails the test.
CALLER_TRIES = 12
T = TypeVar("T")


async def plan(backend: Backend) -> tuple[str, list[tuple[str, datetime]]]:
    """One provider and `WRITES` (patient, start) pairs on free, non-touching slots."""
    provider = (await backend.list_providers())[0]
    patients = (await backend.search_patients(limit=WRITES)).data
    pairs: list[tuple[str, datetime]] = []
    day = clock.today(NY) + timedelta(days=40)
    for _ in range(60):
        for slot in (await backend.provider_availability(provider.id, day, 15)).slots[::2]:
            pairs.append((patients[len(pairs)].id, slot.start_time))
            if len(pairs) == WRITES:
                return provider.id, pairs
        day += timedelta(days=1)
    raise AssertionError("no room in the demo calendar")


async def until_done(what: str, attempt: Callable[[], Awaitable[T]]) -> T:
    for _ in range(CALLER_TRIES):
        try:
            return await attempt()
        except (E.ServiceUnavailable, E.Offline, E.RateLimited):
            await asyncio.sleep(0.05)
    raise AssertionError(f"{what} never succeeded")


async def records(
    backend: Backend, provider: str, since: datetime
) -> tuple[list[Appointment], list[Event]]:
    appointments = await backend.list_appointments(
        AppointmentQuery(provider_id=provider, start=since, limit=1000)
    )
    events = await backend.list_events(after=0, limit=1000)
    return appointments.data, events.data


@pytest.mark.asyncio
async def test_every_write_lands_exactly_once_under_chaos(
    sandbox_factory: SandboxFactory, log_hygiene: Identifiers
) -> None:
    chaos = ChaosSpec(error=0.15, drop=0.15, delay=0.1, delay_seconds=0.3, phase="both", seed=4)
    server = sandbox_factory(SandboxConfig(chaos=chaos))
    log_hygiene.secrets.add(server.api_key)
    # Set-up and checks read the store directly: the chaos is for the client under test.
    provider, pairs = server.call(plan)
    since = min(start for _, start in pairs)
    transport = CountingTransport()
    async with api_for(server, timeout=5.0, transport=transport) as api:
        created: list[Appointment] = []
        for n, (patient, start) in enumerate(pairs):
            key = f"chaos-create-{n}"
            request = AppointmentCreate(
                patient_id=patient,
                provider_id=provider,
                start_time=start,
                duration_minutes=15,
                type="consultation",
            )
            created.append(
                await until_done(
                    key, lambda r=request, k=key: api.create_appointment(r, idempotency_key=k)
                )
            )
        # Cancel every third one under the same chaos: a cancel must not run twice either.
        for n, appointment in enumerate(created[::3]):
            key = f"chaos-cancel-{n}"
            await until_done(
                key,
                lambda a=appointment, k=key: api.cancel_appointment(
                    a.id, AppointmentCancel(reason_code="other"), idempotency_key=k
                ),
            )

    stored, events = server.call(lambda backend: records(backend, provider, since))
    ours = [a for a in stored if (a.patient_id, a.start_time) in set(pairs)]
    # Exactly one appointment per intended booking, and it is the one the client was told of.
    assert Counter((a.patient_id, a.start_time) for a in ours) == Counter(pairs)
    assert {a.id for a in ours} == {a.id for a in created}
    cancelled = {a.id for a in created[::3]}
    assert {a.id for a in ours if a.status == "cancelled"} == cancelled
    # The event log agrees: one `created` per booking, one `cancelled` per cancel.
    per_type = Counter(
        (e.type, e.data.get("id")) for e in events if e.data.get("id") in {a.id for a in ours}
    )
    assert all(per_type[("appointment.created", a.id)] == 1 for a in created)
    assert sum(per_type[("appointment.cancelled", i)] for i in cancelled) == len(cancelled)
    # The chaos really happened, and lost answers were replayed rather than redone.
    assert transport.statuses[500] > 0 and transport.statuses[503] > 0
    assert transport.failures["RemoteProtocolError"] > 0  # connections cut mid-answer
    assert transport.replayed > 0
