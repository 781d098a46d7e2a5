"""New patients through `OfflineFirstBackend` over the sandbox app: registered online with the
server's id or flagged as a likely duplicate; registered offline under a temporary id, booked
at once, and remapped with the bookings queued after the registration when the server is back.
"""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from frontdesk_app.domain.errors import NotFound, PossibleDuplicate
from frontdesk_app.domain.ids import is_temporary, is_temporary_patient
from frontdesk_app.domain.models import AppointmentCreate, AppointmentQuery, PatientCreate
from tests.fixtures.store import TUESDAY, local
from tests.unit.sync.conftest import Desk

pytestmark = pytest.mark.asyncio
SETTLE = 10.0


def newcomer(**change: object) -> PatientCreate:
    fields: dict[str, object] = {
        "first_name": "Odile",
        "last_name": "Brennagh",
        "date_of_birth": date(1988, 11, 3),
        "phone": "(555) 014-7781",
        "email": "odile@example.org",
        "address": "4 Mill Street",
    }
    return PatientCreate.model_validate({**fields, **change})


def booking(desk: Desk, patient_id: str, hour: int) -> AppointmentCreate:
    return AppointmentCreate(
        patient_id=patient_id,
        provider_id=desk.clinic.patel,
        start_time=local(TUESDAY, hour),
        duration_minutes=45,
        type="new-patient",
    )


async def test_online_the_server_registers_and_flags_a_likely_duplicate(desk: Desk) -> None:
    made = await desk.backend.create_patient(newcomer())
    assert not is_temporary_patient(made.id)
    assert (await desk.server.get_patient(made.id)).full_name == "Odile Brennagh"
    assert [p.id for p in (await desk.backend.search_patients("Brennagh")).data] == [made.id]

    with pytest.raises(PossibleDuplicate) as flagged:
        await desk.backend.create_patient(newcomer(phone="555 999 0000"))
    assert flagged.value.candidate_ids == (made.id,)
    # Refused while the person waited: nothing is left behind in the mirror or the queue.
    assert [p.id for p in (await desk.backend.search_patients("Brennagh")).data] == [made.id]
    assert desk.backend.state.pending == 0
    assert desk.backend.core.live == set()  # nothing is left waiting for an answer

    anyway = await desk.backend.create_patient(newcomer(phone="555 999 0000", allow_duplicate=True))
    assert anyway.id != made.id and not is_temporary_patient(anyway.id)


async def test_offline_a_new_patient_is_booked_at_once_and_remapped_with_the_booking(
    desk: Desk,
) -> None:
    desk.unplug()
    made = await desk.backend.create_patient(newcomer())
    assert is_temporary_patient(made.id)
    # Offline, the mirror's patients are checked for duplicates as the server would.
    with pytest.raises(PossibleDuplicate):
        await desk.backend.create_patient(newcomer(first_name="Odile", phone="555 999 0000"))
    first = await desk.backend.create_appointment(booking(desk, made.id, 9))
    second = await desk.backend.create_appointment(booking(desk, made.id, 11))
    assert is_temporary(first.id) and first.patient_id == made.id
    assert desk.backend.state.pending == 3

    desk.plug_in()
    assert await desk.backend.wait_synced(SETTLE)

    [registered] = (await desk.server.search_patients("Brennagh")).data
    assert not is_temporary_patient(registered.id)
    on_server = await desk.server.list_appointments(AppointmentQuery(patient_id=registered.id))
    assert sorted(a.start_time for a in on_server.data) == [local(TUESDAY, 9), local(TUESDAY, 11)]
    # The mirror has the server's ids everywhere; the temporary id the UI holds still works.
    assert (await desk.backend.get_patient(made.id)).id == registered.id
    mine = await desk.backend.list_appointments(AppointmentQuery(patient_id=registered.id))
    assert len(mine.data) == 2 and not any(is_temporary(a.id) for a in mine.data)
    assert [p.id for p in (await desk.backend.search_patients("Brennagh")).data] == [registered.id]
    remapped = [e for e in desk.events if e.type == "patient.created" and e.data.get("previous_id")]
    assert [(e.data["previous_id"], e.data["id"]) for e in remapped] == [(made.id, registered.id)]
    # A booking made with the temporary id after the sync goes to the server's patient.
    third = await desk.backend.create_appointment(booking(desk, made.id, 14))
    assert third.patient_id == registered.id
    assert second.id != third.id
    assert desk.backend.state.pending == 0


async def test_an_offline_registration_the_server_refuses_holds_its_bookings(
    desk: Desk,
) -> None:
    desk.unplug()
    made = await desk.backend.create_patient(newcomer())
    await desk.backend.create_appointment(booking(desk, made.id, 9))
    # Meanwhile another desk registered the same person.
    await desk.server.create_patient(newcomer())
    desk.plug_in()
    for _ in range(200):  # bounded: the replayer parks the registration within a moment
        if await desk.backend.list_conflicts():
            break
        await asyncio.sleep(0.05)
    [conflict] = await desk.backend.list_conflicts()
    assert conflict.code == "possible_duplicate"
    assert desk.backend.state.pending == 1  # the booking waits with its patient
    assert (
        await desk.server.list_appointments(AppointmentQuery(start=local(TUESDAY, 0)))
    ).data == []


async def test_discarding_a_refused_registration_takes_its_bookings_back(desk: Desk) -> None:
    desk.unplug()
    made = await desk.backend.create_patient(newcomer())
    booked = await desk.backend.create_appointment(booking(desk, made.id, 9))
    await desk.server.create_patient(newcomer())
    desk.plug_in()
    for _ in range(200):  # bounded: the replayer parks the registration within a moment
        if await desk.backend.list_conflicts():
            break
        await asyncio.sleep(0.05)
    [conflict] = await desk.backend.list_conflicts()
    assert conflict.kind == "patient" and not conflict.can_choose_slot
    assert await desk.backend.resolve_conflict(conflict.id, discard=True) is None
    assert desk.backend.state.pending == 0 and await desk.backend.list_conflicts() == []
    assert made.id not in [p.id for p in (await desk.backend.search_patients("Brennagh")).data]
    with pytest.raises(NotFound):
        await desk.backend.get_appointment(booked.id)
    removed = [e for e in desk.events if e.data.get("appointment_id") == booked.id]
    assert removed and removed[-1].data.get("removed") is True
