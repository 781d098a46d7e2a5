"""Visits through `OfflineFirstBackend` over the sandbox app: moved online, kept in the mirror
for reading when the server is away, another desk's moves kept from the stream; a move made
offline is refused with a sentence (it is not queued in this version)."""

from __future__ import annotations

import pytest

from frontdesk_app.domain.errors import Offline
from frontdesk_app.domain.models import AppointmentCreate
from frontdesk_app.domain.visits import VISIT_EVENT, VisitChange
from tests.fixtures.store import TUESDAY, local
from tests.unit.sync.conftest import Desk

pytestmark = pytest.mark.asyncio


async def _booked(desk: Desk) -> str:
    booked = await desk.backend.create_appointment(
        AppointmentCreate(
            patient_id=desk.clinic.alice,
            provider_id=desk.clinic.patel,
            start_time=local(TUESDAY, 10),
            duration_minutes=30,
            type="consultation",
        )
    )
    assert await desk.backend.wait_synced(10)
    return booked.id


async def test_a_visit_moves_on_the_server_and_is_kept_here(desk: Desk) -> None:
    appointment_id = await _booked(desk)
    arrived = await desk.backend.change_visit(
        appointment_id, VisitChange(state="arrived", by="Dana Reyes")
    )
    assert arrived.state == "arrived" and arrived.history[0].by == "Dana Reyes"
    assert (await desk.server.get_visit(appointment_id)).state == "arrived"
    assert any(e.type == VISIT_EVENT for e in desk.events)  # the flow board hears of it

    day = (local(TUESDAY, 0), local(TUESDAY, 23))
    assert [v.state for v in await desk.backend.list_visits(*day)] == ["arrived"]
    desk.unplug()
    # Offline the kept visits still read, and a move says why it cannot be made now.
    assert [v.state for v in await desk.backend.list_visits(*day)] == ["arrived"]
    assert (await desk.backend.get_visit(appointment_id)).state == "arrived"
    with pytest.raises(Offline):
        await desk.backend.change_visit(appointment_id, VisitChange(state="in_room"))
    assert (await desk.server.get_visit(appointment_id)).state == "arrived"


async def test_another_desks_move_reaches_the_copy_from_the_events(desk: Desk) -> None:
    appointment_id = await _booked(desk)
    await desk.server.change_visit(appointment_id, VisitChange(state="arrived", by="Front 2"))
    events = await desk.server.list_events(after=0, limit=1000)
    assert desk.backend.puller is not None
    await desk.backend.puller.apply_events([e for e in events.data if e.type == VISIT_EVENT])
    desk.unplug()
    visit = await desk.backend.get_visit(appointment_id)
    assert visit.state == "arrived" and visit.history[0].by == "Front 2"
