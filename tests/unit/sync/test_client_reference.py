"""A create whose answer was lost, resent after the server forgot its key, never books twice.

The sandbox runs in process with its Idempotency-Key retention cut to nothing, so every resend
is new to it: only the create's `client_reference` (the outbox entry's id) lets the desk find
the booking its first attempt made.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from frontdesk_app.api import ApiBackend, ApiKey, RetryPolicy
from frontdesk_app.domain.models import AppointmentCancel, AppointmentCreate, AppointmentQuery
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.sandbox.app import create_app
from frontdesk_app.sandbox.config import SandboxConfig
from frontdesk_app.sandbox.credentials import create_key
from frontdesk_app.sandbox.state import StateDB
from frontdesk_app.store.db import Store
from frontdesk_app.sync import outbox
from frontdesk_app.sync.backend import OfflineFirstBackend
from tests.fixtures.store import TUESDAY, Clock, build_small_clinic, local
from tests.unit.sync.conftest import FAST, Desk, Switch, copy_database

pytestmark = pytest.mark.asyncio
SETTLE = 10.0


class LosingSwitch(Switch):
    """The network, which can deliver the next booking and then lose its answer and go down."""

    lose_next_booking = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        booking = request.method == "POST" and request.url.path == "/v1/appointments"
        if self.lose_next_booking and booking:
            self.lose_next_booking = False
            self.offline = True
            await response.aread()
            raise httpx.ReadError("connection reset after the request", request=request)
        return response


@pytest_asyncio.fixture
async def forgetful(
    migrated_template: Path, tmp_path: Path, clock: Clock
) -> AsyncIterator[tuple[Desk, LosingSwitch]]:
    server_store = Store.open(copy_database(migrated_template, tmp_path / "server.sqlite"))
    clinic = build_small_clinic(server_store)
    server = LocalBackend(server_store, clock=clock)
    state_path = tmp_path / "sandbox-state.sqlite"
    key = create_key(StateDB(state_path), name="desk").api_key
    config = replace(SandboxConfig(), idempotency_ttl_seconds=0)
    app = create_app(server, state_path=state_path, config=config)
    network = LosingSwitch(httpx.ASGITransport(app=app))
    api = ApiBackend(
        base_url="http://127.0.0.1:8765",
        credentials=ApiKey(key),
        transport=network,
        retry=RetryPolicy(attempts=2, deadline=5.0, initial_wait=0.01, max_wait=0.02, jitter=0),
    )
    mirror_path = copy_database(migrated_template, tmp_path / "mirror.sqlite")
    mirror = LocalBackend(Store.open(mirror_path, synchronous_full=True), clock=clock)
    backend = OfflineFirstBackend(
        mirror,
        api,
        clock=clock,
        replay_clock=clock,  # the desk's one clock, which the test moves a day on
        follow_events=False,
        probe_backoff=FAST,
        write_deadline=0.5,
    )
    await backend.start()
    assert backend.puller is not None
    assert await backend.puller.wait_pulled(10.0)
    yield Desk(clinic, clock, backend, server, network, mirror_path), network
    await backend.aclose()
    app.state.sandbox.db.close()
    await server.aclose()


def _booking(desk: Desk) -> AppointmentCreate:
    return AppointmentCreate(
        patient_id=desk.clinic.alice,
        provider_id=desk.clinic.patel,
        start_time=local(TUESDAY, 9),
        duration_minutes=30,
        type="consultation",
    )


async def _lose_the_answer_of_a_booking(desk: Desk, network: LosingSwitch) -> str:
    """Book online; the server books it, the answer is lost and the desk goes offline."""
    network.lose_next_booking = True
    pending = await desk.backend.create_appointment(_booking(desk))
    # The desk stops waiting after its write deadline (0.5 s here), which a busy machine can
    # pass before the server has answered: the loss is awaited, bounded, not assumed.
    deadline = asyncio.get_running_loop().time() + SETTLE
    while not network.offline and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    assert network.offline  # the booking reached the server and the answer was lost
    entries = desk.backend.replayer.entries() if desk.backend.replayer else []
    assert [e.appointment_id for e in entries] == [pending.id]
    reference = entries[0].payload["client_reference"]
    assert reference == entries[0].id
    return str(reference)


async def _on_server(desk: Desk, reference: str) -> list[tuple[str, str]]:
    page = await desk.server.list_appointments(AppointmentQuery(client_reference=reference))
    return [(a.id, a.status) for a in page.data]


async def test_the_reference_is_stored_and_searchable_on_the_server(
    forgetful: tuple[Desk, LosingSwitch],
) -> None:
    desk, _network = forgetful
    booked = await desk.backend.create_appointment(_booking(desk))
    shown = await desk.server.get_appointment(booked.id)
    assert shown.client_reference is not None
    assert await _on_server(desk, shown.client_reference) == [(booked.id, "confirmed")]
    assert await _on_server(desk, "no-such-reference") == []


async def test_a_resend_refused_by_its_own_booking_is_settled_by_the_reference(
    forgetful: tuple[Desk, LosingSwitch],
) -> None:
    desk, network = forgetful
    reference = await _lose_the_answer_of_a_booking(desk, network)
    [(server_id, _status)] = await _on_server(desk, reference)

    desk.plug_in()  # the resend is new to the server, and its own booking holds the slot
    assert desk.backend.replayer is not None
    assert await desk.backend.replayer.wait_idle(SETTLE)

    assert desk.backend.replayer.conflicts == 0
    assert await _on_server(desk, reference) == [(server_id, "confirmed")]
    mirrored = await desk.backend.get_appointment(server_id)
    assert mirrored.status == "confirmed"


async def test_after_the_retention_the_desk_looks_first_and_never_books_twice(
    forgetful: tuple[Desk, LosingSwitch],
) -> None:
    desk, network = forgetful
    reference = await _lose_the_answer_of_a_booking(desk, network)
    [(server_id, _status)] = await _on_server(desk, reference)
    # Meanwhile another desk cancels it: the slot is free, so a blind resend would book again.
    await desk.server.cancel_appointment(server_id, AppointmentCancel(reason_code="clinic"))
    desk.clock.advance(hours=25)  # the desk was offline for a day

    desk.plug_in()
    assert desk.backend.replayer is not None
    assert await desk.backend.replayer.wait_idle(SETTLE)

    assert await _on_server(desk, reference) == [(server_id, "cancelled")]
    assert desk.backend.replayer.conflicts == 0
    states = await desk.backend._db.read(lambda s: outbox.result_of(s, reference))
    assert states[0] == "done"
    mirrored = await desk.backend.get_appointment(server_id)
    assert mirrored.status == "cancelled"
