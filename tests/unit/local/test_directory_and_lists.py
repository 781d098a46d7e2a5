"""Directory look-ups, free slots, patient search, cursor paging and recorded notifications."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from frontdesk_app.domain import errors
from frontdesk_app.domain.models import (
    AppointmentCancel,
    AppointmentCreate,
    AppointmentQuery,
    AppointmentReschedule,
)
from frontdesk_app.local.backend import LocalBackend
from tests.fixtures.store import TUESDAY, Clock, SmallClinic, local

pytestmark = pytest.mark.asyncio


def booking(
    clinic: SmallClinic, start_hour: int, minute: int = 0, **kw: object
) -> AppointmentCreate:
    fields: dict[str, object] = {
        "patient_id": clinic.alice,
        "provider_id": clinic.patel,
        "start_time": local(TUESDAY, start_hour, minute),
        "duration_minutes": 30,
        "type": "follow-up",
    }
    fields.update(kw)
    return AppointmentCreate.model_validate(fields)


async def test_providers_with_hours_and_blocks(backend: LocalBackend, clinic: SmallClinic) -> None:
    providers = await backend.list_providers()
    assert [p.name for p in providers] == ["Dr. Nguyen", "Dr. Patel"]
    patel = await backend.get_provider(clinic.patel)
    assert patel.timezone == "America/New_York"
    assert [(r.start, r.end) for r in patel.weekly_hours[1]] == [
        (time(8), time(12)),
        (time(13), time(17)),
    ]
    assert 5 not in patel.weekly_hours
    assert [b.reason for b in patel.blocked] == ["staff meeting"]
    with pytest.raises(errors.NotFound):
        await backend.get_provider("prov_nobody")
    payers = await backend.list_payers()
    assert {(p.id, p.available) for p in payers} == {
        (clinic.payer, True),
        (clinic.down_payer, False),
    }


async def test_free_slots_skip_bookings_blocks_and_the_past(
    backend: LocalBackend, clinic: SmallClinic, clock: Clock
) -> None:
    tuesday = await backend.provider_availability(clinic.patel, TUESDAY, 30)
    assert len(tuesday.slots) == 2 * 15  # two 4-hour windows, a start every 15 minutes
    await backend.create_appointment(booking(clinic, 10))
    after = await backend.provider_availability(clinic.patel, TUESDAY, 30)
    starts = {s.start_time for s in after.slots}
    assert local(TUESDAY, 9, 30) in starts and local(TUESDAY, 10, 30) in starts
    assert not {local(TUESDAY, 9, 45), local(TUESDAY, 10), local(TUESDAY, 10, 15)} & starts
    wednesday = await backend.provider_availability(clinic.patel, date(2026, 3, 4), 30)
    assert local(date(2026, 3, 4), 10) not in {s.start_time for s in wednesday.slots}
    clock.now = local(TUESDAY, 16)
    late = await backend.provider_availability(clinic.patel, TUESDAY, 30)
    assert [s.start_time for s in late.slots] == [
        local(TUESDAY, 16),
        local(TUESDAY, 16, 15),
        local(TUESDAY, 16, 30),
    ]
    with pytest.raises(errors.ValidationFailed):
        await backend.provider_availability(clinic.patel, TUESDAY, 4)
    with pytest.raises(errors.NotFound):
        await backend.provider_availability("prov_nobody", TUESDAY, 30)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ali", ["pat_alice"]),
        ("ALICE", ["pat_alice"]),
        ("ashdown", ["pat_alice"]),
        ("alice ash", ["pat_alice"]),
        ("Ashdown, Alice", ["pat_alice"]),
        ("alice bright", []),
        ("r", ["pat_bob", "pat_carol"]),  # Brightwater, Carol Calloway; no r in Alice Ashdown
        ("1980-05-17", ["pat_alice"]),
        ("1980-05-18", []),
        ("(555) 010-2002", ["pat_bob"]),
        ("555-010-3003", ["pat_carol"]),
        ("0103003", ["pat_carol"]),
        ("010", ["pat_alice", "pat_bob", "pat_carol"]),
        ("%", []),
        ("_", []),
        ("", ["pat_alice", "pat_bob", "pat_carol"]),
    ],
)
async def test_patient_search(
    backend: LocalBackend, clinic: SmallClinic, q: str, expected: list[str]
) -> None:
    page = await backend.search_patients(q)
    assert [p.id for p in page.data] == expected


async def test_patient_details_and_paging(backend: LocalBackend, clinic: SmallClinic) -> None:
    alice = await backend.get_patient(clinic.alice)
    assert alice.insurance is not None and alice.insurance.member_id == clinic.member
    assert (await backend.get_patient(clinic.bob)).insurance is None
    with pytest.raises(errors.NotFound):
        await backend.get_patient("pat_nobody")
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = await backend.search_patients(None, limit=2, cursor=cursor)
        seen += [p.id for p in page.data]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [clinic.alice, clinic.bob, clinic.carol]
    with pytest.raises(errors.ValidationFailed):
        await backend.search_patients(None, cursor="not-a-cursor")
    with pytest.raises(errors.ValidationFailed):
        await backend.search_patients(None, limit=0)


async def test_appointment_paging_and_filters(backend: LocalBackend, clinic: SmallClinic) -> None:
    ids = []
    for hour in (8, 9, 10, 11, 13):
        ids.append((await backend.create_appointment(booking(clinic, hour))).id)
    await backend.cancel_appointment(ids[2], AppointmentCancel())
    collected: list[str] = []
    query = AppointmentQuery(provider_id=clinic.patel, limit=2)
    for _ in range(5):
        page = await backend.list_appointments(query)
        collected += [a.id for a in page.data]
        if page.next_cursor is None:
            break
        query = query.model_copy(update={"cursor": page.next_cursor})
    assert collected == ids
    window = await backend.list_appointments(
        AppointmentQuery(start=local(TUESDAY, 9, 15), end=local(TUESDAY, 11))
    )
    assert [a.id for a in window.data] == ids[1:3]
    cancelled = await backend.list_appointments(AppointmentQuery(status="cancelled"))
    assert [a.id for a in cancelled.data] == [ids[2]]
    mine = await backend.list_appointments(AppointmentQuery(patient_id=clinic.bob))
    assert mine.data == []
    with pytest.raises(errors.ValidationFailed):
        await backend.list_appointments(AppointmentQuery(cursor="eyJ4Ijox"))
    with pytest.raises(errors.NotFound):
        await backend.get_appointment("apt_nothing")


async def test_prescriptions_by_id_and_by_patient(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    rx = await backend.get_prescription(clinic.rx)
    assert rx.pharmacy.name == "Maple Street Pharmacy #102"
    page = await backend.list_prescriptions(clinic.alice)
    assert [p.id for p in page.data] == [clinic.rx]
    assert (await backend.list_prescriptions(clinic.bob)).data == []
    with pytest.raises(errors.NotFound):
        await backend.get_prescription("rx_nothing")


async def test_notifications_for_patient_and_provider_unless_told_not_to(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    first = await backend.create_appointment(booking(clinic, 9))
    await backend.reschedule_appointment(
        first.id, AppointmentReschedule(new_start_time=local(TUESDAY, 14), reason="late bus")
    )
    await backend.cancel_appointment(first.id, AppointmentCancel(reason_code="weather"))
    second = await backend.create_appointment(booking(clinic, 9))
    await backend.cancel_appointment(second.id, AppointmentCancel(notify=False))
    sent = await backend.list_notifications(appointment_id=first.id)
    assert sorted((n.kind, n.recipient, n.recipient_id) for n in sent) == sorted(
        (kind, who, rid)
        for kind in ("created", "rescheduled", "cancelled")
        for who, rid in (("patient", clinic.alice), ("provider", clinic.patel))
    )
    quiet = await backend.list_notifications(appointment_id=second.id)
    assert [n.kind for n in quiet] == ["created", "created"]
    assert len(await backend.list_notifications()) == 8


async def test_cancelled_details_are_kept(
    backend: LocalBackend, clinic: SmallClinic, clock: Clock
) -> None:
    booked = await backend.create_appointment(booking(clinic, 9))
    clock.advance(hours=1)
    result = await backend.cancel_appointment(booked.id, AppointmentCancel(reason_code="weather"))
    stored = await backend.get_appointment(booked.id)
    assert (stored.status, stored.reason_code, stored.cancelled_at) == (
        "cancelled",
        "weather",
        result.cancelled_at,
    )
    assert stored.updated_at == stored.created_at + timedelta(hours=1)
