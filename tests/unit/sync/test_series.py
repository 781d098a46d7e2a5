"""Recurring series through `OfflineFirstBackend` over the sandbox app: booked as one unit
online; offline booked here at once (every start, under temporary ids, each waiting to sync)
and sent as ONE write when the server is back — all of it or none; a series the server
refuses leaves nothing half-booked anywhere, and a discard takes it out of the copy; cancelling
this one and the following is one write too; a crash in the middle of booking leaves nothing."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest

from frontdesk_app.domain.changes import change_of
from frontdesk_app.domain.ids import is_temporary
from frontdesk_app.domain.models import AppointmentCreate
from frontdesk_app.domain.series import (
    SeriesCancel,
    SeriesCreate,
    SeriesReschedule,
    SeriesRule,
    occurrences,
)
from frontdesk_app.store.repositories import appointments as appointments_repo
from tests.fixtures.store import NY, TUESDAY, local
from tests.unit.sync.conftest import Desk

pytestmark = pytest.mark.asyncio

WEEK = timedelta(weeks=1)


def _series(desk: Desk, weeks: int = 3, hour: int = 9) -> SeriesCreate:
    """Weekly on Tuesdays from the fixture's Tuesday (across the spring DST change: 09:00
    stays 09:00 in the clinic)."""
    first = local(TUESDAY, hour)
    rule = SeriesRule(every_weeks=1, weekdays=[TUESDAY.weekday()], count=weeks)
    return SeriesCreate(
        patient_id=desk.clinic.carol,
        provider_id=desk.clinic.patel,
        duration_minutes=30,
        type="follow-up",
        notes="physio",
        rule=rule,
        starts=occurrences(first, rule, ZoneInfo(NY)),
    )


async def _server_appointments(desk: Desk, series_id: str) -> list[str]:
    try:
        found = await desk.server.get_series(series_id)
    except Exception:
        return []
    return [a.id for a in found.appointments if a.active]


async def test_a_series_booked_offline_is_sent_as_one_write_and_takes_the_server_ids(
    desk: Desk,
) -> None:
    desk.unplug()
    booked = await desk.backend.save_series("ser_carol000001", _series(desk))
    ids = [a.id for a in booked.appointments]
    assert len(ids) == 3 and all(is_temporary(i) for i in ids)
    assert {desk.backend.sync_status(i) for i in ids} == {"pending"}
    assert desk.backend.state.pending == 1  # one write, not three
    assert await _server_appointments(desk, "ser_carol000001") == []

    desk.plug_in()
    assert await desk.backend.wait_synced(10)
    on_server = await _server_appointments(desk, "ser_carol000001")
    assert len(on_server) == 3
    kept = await desk.backend.get_series("ser_carol000001")
    assert sorted(a.id for a in kept.appointments) == sorted(on_server)
    assert {desk.backend.sync_status(i) for i in on_server} == {"synced"}
    events = (await desk.server.list_events(after=0, limit=1000)).data
    created = [e for e in events if e.data.get("series_id") == "ser_carol000001"]
    assert len(created) == 3  # the server acted once


async def test_a_series_the_server_refuses_is_not_half_booked_and_a_discard_removes_it(
    desk: Desk,
) -> None:
    desk.unplug()
    await desk.backend.save_series("ser_carol000002", _series(desk, hour=10))
    # Meanwhile another desk books the provider into the second week's slot.
    await desk.server.create_appointment(
        AppointmentCreate(
            patient_id=desk.clinic.bob,
            provider_id=desk.clinic.patel,
            start_time=local(TUESDAY + WEEK, 10),
            duration_minutes=30,
            type="consultation",
        )
    )
    desk.plug_in()
    assert await desk.backend.wait_synced(10)
    [conflict] = await desk.backend.list_conflicts()
    assert conflict.kind == "series" and conflict.code == "slot_unavailable"
    assert not conflict.can_choose_slot
    assert await _server_appointments(desk, "ser_carol000002") == []  # none of it on the server

    await desk.backend.resolve_conflict(conflict.id, discard=True)
    with pytest.raises(Exception, match="series"):
        await desk.backend.get_series("ser_carol000002")
    rows = await desk.backend.calendar_rows(local(TUESDAY, 0), local(TUESDAY, 23) + 3 * WEEK)
    assert not any(r[2] == desk.clinic.carol for r in rows)


async def test_cancelling_this_and_the_following_offline_is_one_write(desk: Desk) -> None:
    booked = await desk.backend.save_series("ser_carol000003", _series(desk, weeks=4, hour=11))
    assert await desk.backend.wait_synced(10)
    second = booked.appointments[1].start_time
    desk.unplug()
    cancelled = await desk.backend.cancel_series(
        "ser_carol000003", SeriesCancel(scope="following", from_start=second)
    )
    assert len(cancelled.cancelled) == 3
    assert desk.backend.state.pending == 1
    assert len(await _server_appointments(desk, "ser_carol000003")) == 4
    desk.plug_in()
    assert await desk.backend.wait_synced(10)
    assert await _server_appointments(desk, "ser_carol000003") == [booked.appointments[0].id]


class Crash(Exception):
    """The process dying mid-transaction: SQLite keeps nothing of an uncommitted write."""


async def test_a_crash_in_the_middle_of_booking_a_series_leaves_nothing(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_insert = appointments_repo.insert
    inserted: list[str] = []

    def insert_then_die(session: object, appointment: object) -> None:
        real_insert(session, appointment)  # type: ignore[arg-type]
        inserted.append(appointment.id)  # type: ignore[attr-defined]
        if len(inserted) == 2:
            raise Crash("the process dies between two appointments of the series")

    desk.unplug()
    monkeypatch.setattr(appointments_repo, "insert", insert_then_die)
    with pytest.raises(Crash):
        await desk.backend.save_series("ser_carol000004", _series(desk, hour=14))
    monkeypatch.undo()
    assert len(inserted) == 2
    rows = await desk.backend.calendar_rows(local(TUESDAY, 0), local(TUESDAY, 23) + 3 * WEEK)
    assert not any(r[0] in inserted for r in rows)  # rolled back: none of it in the copy
    assert desk.backend.state.pending == 0


async def test_moving_the_following_offline_is_one_write_and_keeps_their_days(desk: Desk) -> None:
    booked = await desk.backend.save_series("ser_carol000005", _series(desk, weeks=3, hour=9))
    assert await desk.backend.wait_synced(10)
    second = booked.appointments[1].start_time
    desk.unplug()
    moved = await desk.backend.reschedule_series(
        "ser_carol000005",
        SeriesReschedule(scope="following", from_start=second, new_time=time(13, 0)),
    )
    assert len(moved.rescheduled) == 2 and desk.backend.state.pending == 1
    desk.plug_in()
    assert await desk.backend.wait_synced(10)
    on_server = (await desk.server.get_series("ser_carol000005")).appointments
    zone = ZoneInfo(NY)
    assert [a.start_time.astimezone(zone).hour for a in on_server] == [9, 13, 13]
    assert [a.start_time.astimezone(zone).date() for a in on_server] == [
        a.start_time.astimezone(zone).date() for a in booked.appointments
    ]


async def test_a_series_booked_online_settles_as_this_desks_change(desk: Desk) -> None:
    # The desk awaited the server's answer: its appointments' settled changes are the desk's
    # (as for a single booking), and nothing is left waiting for an answer.
    booked = await desk.backend.save_series("ser_carol000002", _series(desk))
    assert {desk.backend.sync_status(a.id) for a in booked.appointments} == {"synced"}
    settled = [
        change
        for change in (change_of(e) for e in desk.events)
        if change is not None and change.sync_status == "synced"
    ]
    assert {c.appointment_id for c in settled} == {a.id for a in booked.appointments}
    assert {c.cause for c in settled} == {"desk"}
    assert desk.backend.core.live == set()
