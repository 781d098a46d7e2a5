"""The waitlist through `OfflineFirstBackend` over the sandbox app: saved online and kept here;
offline saved here at once, queued and sent once when the server is back; a booking from the
list made offline claims its slot when it syncs — or, when another desk booked that slot
first, becomes a conflict whose discard puts the patient back on the list."""

from __future__ import annotations

import pytest

from frontdesk_app.domain.errors import InvalidState, NotFound
from frontdesk_app.domain.ids import is_temporary
from frontdesk_app.domain.models import AppointmentCreate
from frontdesk_app.domain.waitlist import WAITLIST_EVENT, WaitlistRequest
from tests.fixtures.store import TUESDAY, local
from tests.unit.sync.conftest import Desk

pytestmark = pytest.mark.asyncio


def _wish(patient_id: str, provider_id: str | None, **change: object) -> WaitlistRequest:
    fields: dict[str, object] = {
        "patient_id": patient_id,
        "provider_id": provider_id,
        "type": "consultation",
        "duration_minutes": 30,
        "notes": "any earlier morning",
    }
    return WaitlistRequest.model_validate({**fields, **change})


def _booking(desk: Desk, patient_id: str, entry_id: str | None, hour: int) -> AppointmentCreate:
    return AppointmentCreate(
        patient_id=patient_id,
        provider_id=desk.clinic.patel,
        start_time=local(TUESDAY, hour),
        duration_minutes=30,
        type="consultation",
        waitlist_entry_id=entry_id,
    )


async def test_entries_save_on_the_server_and_offline_are_queued_and_sent_once(
    desk: Desk,
) -> None:
    saved = await desk.backend.save_waitlist_entry(
        "wl_alice000001", _wish(desk.clinic.alice, desk.clinic.patel)
    )
    assert saved.status == "waiting"
    assert (await desk.server.get_waitlist_entry("wl_alice000001")).notes == "any earlier morning"
    assert any(e.type == WAITLIST_EVENT for e in desk.events)
    assert desk.backend.core.live == set()  # answered: nothing left waiting for an answer

    desk.unplug()
    await desk.backend.save_waitlist_entry("wl_bob00000001", _wish(desk.clinic.bob, None))
    removed = _wish(desk.clinic.alice, desk.clinic.patel, status="removed")
    await desk.backend.save_waitlist_entry("wl_alice000001", removed)
    # The copy has both changes at once; the server has neither yet.
    assert [e.id for e in await desk.backend.list_waitlist()] == ["wl_bob00000001"]
    assert desk.backend.state.pending == 2
    with pytest.raises(NotFound):
        await desk.server.get_waitlist_entry("wl_bob00000001")
    with pytest.raises(NotFound):  # the rules hold offline: the patient must be known
        await desk.backend.save_waitlist_entry("wl_x0000000001", _wish("pat_nobody", None))

    desk.plug_in()
    assert await desk.backend.wait_synced(10)
    on_server = {e.id: e.status for e in await desk.server.list_waitlist(None)}
    assert on_server == {"wl_alice000001": "removed", "wl_bob00000001": "waiting"}
    events = (await desk.server.list_events(after=0, limit=1000)).data
    acted = [e for e in events if e.type == WAITLIST_EVENT and e.data["id"] == "wl_bob00000001"]
    assert len(acted) == 1  # the server acted once


async def test_a_booking_from_the_list_made_offline_claims_its_slot_when_it_syncs(
    desk: Desk,
) -> None:
    await desk.backend.save_waitlist_entry("wl_carol00001", _wish(desk.clinic.carol, None))
    assert await desk.backend.wait_synced(10)
    desk.unplug()
    booked = await desk.backend.create_appointment(
        _booking(desk, desk.clinic.carol, "wl_carol00001", 10)
    )
    assert is_temporary(booked.id)
    # Off the list here at once, and the rule holds: the entry cannot be booked twice.
    assert await desk.backend.list_waitlist() == []
    with pytest.raises(InvalidState):
        await desk.backend.create_appointment(
            _booking(desk, desk.clinic.carol, "wl_carol00001", 14)
        )

    desk.plug_in()
    assert await desk.backend.wait_synced(10)
    on_server = await desk.server.get_waitlist_entry("wl_carol00001")
    assert on_server.status == "booked" and on_server.appointment_id is not None
    assert not is_temporary(on_server.appointment_id)
    kept = await desk.backend.get_waitlist_entry("wl_carol00001")
    assert kept.appointment_id == on_server.appointment_id  # the copy follows the server's id


async def test_a_slot_another_desk_booked_first_is_a_conflict_and_the_patient_waits_again(
    desk: Desk,
) -> None:
    await desk.backend.save_waitlist_entry("wl_carol00002", _wish(desk.clinic.carol, None))
    assert await desk.backend.wait_synced(10)
    desk.unplug()
    await desk.backend.create_appointment(_booking(desk, desk.clinic.carol, "wl_carol00002", 10))
    # Meanwhile another desk gave the same freed slot to someone else.
    await desk.server.create_appointment(_booking(desk, desk.clinic.bob, None, 10))
    desk.plug_in()
    assert await desk.backend.wait_synced(10)
    [conflict] = await desk.backend.list_conflicts()
    assert conflict.kind == "create" and conflict.code == "slot_unavailable"
    assert (await desk.server.get_waitlist_entry("wl_carol00002")).status == "waiting"

    await desk.backend.resolve_conflict(conflict.id, discard=True)
    [back] = await desk.backend.list_waitlist()
    assert (back.id, back.status, back.appointment_id) == ("wl_carol00002", "waiting", None)
    assert any(e.type == WAITLIST_EVENT and e.data.get("status") == "waiting" for e in desk.events)


async def test_another_desks_save_reaches_the_copy_from_the_events(desk: Desk) -> None:
    await desk.server.save_waitlist_entry("wl_bob00000002", _wish(desk.clinic.bob, None))
    events = await desk.server.list_events(after=0, limit=1000)
    assert desk.backend.puller is not None
    await desk.backend.puller.apply_events([e for e in events.data if e.type == WAITLIST_EVENT])
    desk.unplug()
    [entry] = await desk.backend.list_waitlist()
    assert entry.id == "wl_bob00000002"
