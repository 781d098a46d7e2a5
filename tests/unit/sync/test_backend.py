"""`OfflineFirstBackend` over the sandbox app in process: the one write path, online and off."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from frontdesk_app.domain.errors import NotFound, Offline, SlotUnavailable
from frontdesk_app.domain.ids import is_temporary
from frontdesk_app.domain.models import (
    AppointmentCancel,
    AppointmentCreate,
    AppointmentQuery,
    AppointmentReschedule,
    EligibilityRequest,
    TransferRequest,
)
from frontdesk_app.sync.commands import print_status
from tests.fixtures.store import NOW, TUESDAY, local
from tests.unit.sync.conftest import Desk

pytestmark = pytest.mark.asyncio
SETTLE = 10.0


def booking(desk: Desk, start: datetime, *, patient: str | None = None) -> AppointmentCreate:
    return AppointmentCreate(
        patient_id=patient or desk.clinic.alice,
        provider_id=desk.clinic.patel,
        start_time=start,
        duration_minutes=30,
        type="consultation",
    )


async def on_server(desk: Desk) -> list[tuple[str, str, datetime]]:
    page = await desk.server.list_appointments(AppointmentQuery(start=local(TUESDAY, 0)))
    return [(a.patient_id, a.status, a.start_time) for a in page.data]


async def test_the_first_pull_fills_the_mirror_with_the_directory(desk: Desk) -> None:
    providers = await desk.backend.list_providers()
    assert {p.id for p in providers} == {desk.clinic.patel, desk.clinic.nguyen}
    found = await desk.backend.search_patients("Ashdown")
    assert [p.id for p in found.data] == [desk.clinic.alice]
    assert desk.backend.state.connection == "online"


async def test_online_a_write_waits_for_the_servers_answer(desk: Desk) -> None:
    made = await desk.backend.create_appointment(booking(desk, local(TUESDAY, 9)))
    assert not is_temporary(made.id)
    assert desk.backend.sync_status(made.id) == "synced"
    assert await on_server(desk) == [(desk.clinic.alice, "confirmed", local(TUESDAY, 9))]
    assert (await desk.backend.get_appointment(made.id)).id == made.id
    moved = await desk.backend.reschedule_appointment(
        made.id, AppointmentReschedule(new_start_time=local(TUESDAY, 10))
    )
    assert moved.new_start_time == local(TUESDAY, 10)
    assert desk.backend.state.last_sync is not None


async def test_online_a_refusal_is_raised_and_leaves_nothing_behind(desk: Desk) -> None:
    # Another desk books Dr. Patel's 09:00; this desk's mirror has not heard of it yet.
    await desk.server.create_appointment(booking(desk, local(TUESDAY, 9), patient=desk.clinic.bob))
    with pytest.raises(SlotUnavailable) as refused:
        await desk.backend.create_appointment(booking(desk, local(TUESDAY, 9)))
    assert "Dr. Patel already has" in refused.value.message
    mine = await desk.backend.list_appointments(AppointmentQuery(patient_id=desk.clinic.alice))
    assert mine.data == []
    assert await desk.backend.list_conflicts() == []
    assert desk.backend.state.pending == 0


async def test_offline_writes_return_at_once_as_pending_and_sync_later(desk: Desk) -> None:
    desk.unplug()
    made = await desk.backend.create_appointment(booking(desk, local(TUESDAY, 9)))
    assert is_temporary(made.id)
    assert desk.backend.sync_status(made.id) == "pending"
    await desk.backend.reschedule_appointment(
        made.id, AppointmentReschedule(new_start_time=local(TUESDAY, 11))
    )
    state = desk.backend.state
    assert (state.connection, state.pending) == ("offline", 2)
    assert await on_server(desk) == []

    desk.plug_in()
    assert await desk.backend.wait_synced(SETTLE)
    assert await on_server(desk) == [(desk.clinic.alice, "rescheduled", local(TUESDAY, 11))]
    mine = await desk.backend.list_appointments(AppointmentQuery(patient_id=desk.clinic.alice))
    [synced] = mine.data
    assert not is_temporary(synced.id)
    assert desk.backend.sync_status(synced.id) == "synced"
    # The temporary id the UI may still hold keeps working.
    assert (await desk.backend.get_appointment(made.id)).id == synced.id
    remaps = [e for e in desk.events if e.data.get("previous_id") == made.id]
    assert [e.data["appointment_id"] for e in remaps] == [synced.id]
    assert desk.backend.state.connection == "online"


async def test_an_offline_booking_refused_later_becomes_a_conflict_to_move(desk: Desk) -> None:
    desk.unplug()
    made = await desk.backend.create_appointment(booking(desk, local(TUESDAY, 9)))
    await desk.server.create_appointment(booking(desk, local(TUESDAY, 9), patient=desk.clinic.bob))
    desk.plug_in()
    assert await desk.backend.wait_synced(SETTLE)

    [conflict] = await desk.backend.list_conflicts()
    assert conflict.appointment_id == made.id
    assert conflict.code == "slot_unavailable"
    assert "Dr. Patel already has" in conflict.reason
    assert conflict.local is not None and conflict.local.start_time == local(TUESDAY, 9)
    assert desk.backend.state.connection == "conflicts"
    assert desk.backend.sync_status(made.id) == "conflict"
    slots = await desk.backend.suggest_slots(conflict.id)
    assert local(TUESDAY, 9) not in {s.start_time for s in slots}
    assert local(TUESDAY, 9, 30) in {s.start_time for s in slots}

    resolved = await desk.backend.resolve_conflict(
        conflict.id, new_start_time=local(TUESDAY, 9, 30)
    )
    assert resolved is not None and not is_temporary(resolved.id)
    assert sorted(await on_server(desk)) == sorted(
        [
            (desk.clinic.bob, "confirmed", local(TUESDAY, 9)),
            (desk.clinic.alice, "confirmed", local(TUESDAY, 9, 30)),
        ]
    )
    assert await desk.backend.list_conflicts() == []
    assert desk.backend.state.connection == "online"


async def test_discarding_a_conflict_takes_the_booking_back(desk: Desk) -> None:
    desk.unplug()
    made = await desk.backend.create_appointment(booking(desk, local(TUESDAY, 9)))
    await desk.backend.cancel_appointment(made.id, AppointmentCancel(reason_code="other"))
    await desk.server.create_appointment(booking(desk, local(TUESDAY, 9), patient=desk.clinic.bob))
    desk.plug_in()
    assert await desk.backend.wait_synced(SETTLE)
    assert desk.backend.state.pending == 1  # the cancel waits behind its booking's conflict

    [conflict] = await desk.backend.list_conflicts()
    assert await desk.backend.resolve_conflict(conflict.id) is None
    with pytest.raises(NotFound):
        await desk.backend.get_appointment(made.id)
    assert (desk.backend.state.pending, desk.backend.state.conflicts) == (0, 0)
    assert await on_server(desk) == [(desk.clinic.bob, "confirmed", local(TUESDAY, 9))]
    with pytest.raises(NotFound):
        await desk.backend.resolve_conflict(conflict.id)


async def test_eligibility_offline_is_the_last_answer_with_its_age(desk: Desk) -> None:
    request = EligibilityRequest(
        patient_id=desk.clinic.alice,
        payer_id=desk.clinic.payer,
        member_id=desk.clinic.member,
        date_of_service=TUESDAY,
    )
    live = await desk.backend.check_eligibility(request)
    desk.unplug()
    cached = await desk.backend.check_eligibility(request)
    assert cached.id == live.id and cached.verified_at == live.verified_at
    kept = await desk.backend.cached_eligibility(request)
    assert kept is not None and kept.fetched_at == NOW
    other = request.model_copy(update={"patient_id": desk.clinic.bob, "member_id": "X1"})
    with pytest.raises(Offline) as none_yet:
        await desk.backend.check_eligibility(other)
    assert "checked as soon as the connection is back" in none_yet.value.message


async def test_transfers_need_the_network_and_say_so(desk: Desk) -> None:
    desk.unplug()
    with pytest.raises(Offline) as offline:
        await desk.backend.transfer_call("call_x", TransferRequest())
    assert "cannot be reached" in offline.value.message
    with pytest.raises(Offline):
        await desk.backend.list_calls()


async def test_sync_status_command_reads_the_queue(
    desk: Desk, capsys: pytest.CaptureFixture[str]
) -> None:
    desk.unplug()
    await desk.backend.create_appointment(booking(desk, local(TUESDAY, 9)))
    assert print_status(desk.mirror_path, as_json=True) == 0
    assert '"pending": 1' in capsys.readouterr().out


async def test_a_week_beyond_the_pulled_window_is_fetched_when_asked_for(desk: Desk) -> None:
    far = TUESDAY + timedelta(days=35)
    theirs = await desk.server.create_appointment(booking(desk, local(far, 10)))
    week = AppointmentQuery(start=local(far, 0), end=local(far + timedelta(days=7), 0))
    assert [a.id for a in (await desk.backend.list_appointments(week)).data] == [theirs.id]
    desk.unplug()  # once fetched, the mirror has it offline too
    assert [a.id for a in (await desk.backend.list_appointments(week)).data] == [theirs.id]


async def test_a_check_answered_offline_is_asked_again_and_announced_when_back(
    desk: Desk,
) -> None:
    request = EligibilityRequest(
        patient_id=desk.clinic.alice,
        payer_id=desk.clinic.payer,
        member_id=desk.clinic.member,
        date_of_service=TUESDAY,
    )
    live = await desk.backend.check_eligibility(request)
    desk.unplug()
    await desk.backend.check_eligibility(request)  # the cached answer, marked to ask again
    desk.clock.advance(minutes=10)
    desk.plug_in()
    rechecked: list[dict[str, object]] = []
    for _ in range(200):  # bounded: the re-check runs as soon as the desk is back online
        rechecked = [e.data for e in desk.events if e.type == "eligibility.rechecked"]
        if rechecked:
            break
        await asyncio.sleep(0.05)
    [fresh] = rechecked
    assert fresh["patient_id"] == desk.clinic.alice and fresh["id"] != live.id
