"""Visits through `OfflineFirstBackend` over the sandbox app: moved online, kept in the mirror,
another desk's moves kept from the stream; offline a move is made here at once, queued and sent
when the server is back (once, whatever the retries), a refused one kept for a person, who can
put it back; a patient checked in after an offline booking follows its server id."""

from __future__ import annotations

import pytest

from frontdesk_app.domain.errors import InvalidState
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
    # Offline the kept visits still read, and a move is made here at once and queued.
    assert [v.state for v in await desk.backend.list_visits(*day)] == ["arrived"]
    roomed = await desk.backend.change_visit(appointment_id, VisitChange(state="in_room", room="2"))
    assert (roomed.state, roomed.room) == ("in_room", "2")
    assert (await desk.backend.get_visit(appointment_id)).state == "in_room"
    assert desk.backend.state.pending == 1
    assert (await desk.server.get_visit(appointment_id)).state == "arrived"
    with pytest.raises(InvalidState):  # the rule holds offline too
        await desk.backend.change_visit(appointment_id, VisitChange(state="no_show"))

    desk.plug_in()
    assert await desk.backend.wait_synced(10)
    on_server = await desk.server.get_visit(appointment_id)
    assert [s.state for s in on_server.history] == ["arrived", "in_room"]
    assert (await desk.backend.get_visit(appointment_id)).room == "2"


async def test_a_move_the_server_refuses_is_kept_for_a_person_who_can_put_it_back(
    desk: Desk,
) -> None:
    appointment_id = await _booked(desk)
    desk.unplug()
    await desk.backend.change_visit(appointment_id, VisitChange(state="arrived"))
    # Meanwhile another desk checked the patient in and out.
    await desk.server.change_visit(appointment_id, VisitChange(state="checked_out"))
    desk.plug_in()
    assert await desk.backend.wait_synced(10)
    [conflict] = await desk.backend.list_conflicts()
    assert conflict.kind == "visit" and not conflict.can_choose_slot
    await desk.backend.resolve_conflict(conflict.id, discard=True)
    assert (await desk.backend.get_visit(appointment_id)).state == "scheduled"
    assert desk.backend.state.conflicts == 0


async def test_a_patient_checked_in_after_an_offline_booking_follows_its_server_id(
    desk: Desk,
) -> None:
    desk.unplug()
    booked = await desk.backend.create_appointment(
        AppointmentCreate(
            patient_id=desk.clinic.bob,
            provider_id=desk.clinic.patel,
            start_time=local(TUESDAY, 11),
            duration_minutes=30,
            type="consultation",
        )
    )
    await desk.backend.change_visit(booked.id, VisitChange(state="arrived", by="Dana Reyes"))
    assert desk.backend.state.pending == 2
    desk.plug_in()
    assert await desk.backend.wait_synced(10)
    [on_server] = await desk.server.list_visits(local(TUESDAY, 0), local(TUESDAY, 23))
    assert on_server.state == "arrived" and on_server.history[0].by == "Dana Reyes"
    # The desk's copy holds it under the server's id, the temporary one still finds it.
    assert (await desk.backend.get_visit(booked.id)).appointment_id == on_server.appointment_id


async def test_another_desks_move_reaches_the_copy_from_the_events(desk: Desk) -> None:
    appointment_id = await _booked(desk)
    await desk.server.change_visit(appointment_id, VisitChange(state="arrived", by="Front 2"))
    events = await desk.server.list_events(after=0, limit=1000)
    assert desk.backend.puller is not None
    await desk.backend.puller.apply_events([e for e in events.data if e.type == VISIT_EVENT])
    desk.unplug()
    visit = await desk.backend.get_visit(appointment_id)
    assert visit.state == "arrived" and visit.history[0].by == "Front 2"
