"""How `LocalBackend` behaves as a component: threads, races, events, listeners, lifecycle."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from frontdesk_app.domain import errors
from frontdesk_app.domain.models import (
    Appointment,
    AppointmentCancel,
    AppointmentCreate,
    AppointmentReschedule,
    Event,
)
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.store.db import Store
from frontdesk_app.store.repositories import appointments as appointments_repo
from tests.fixtures.store import TUESDAY, Clock, SmallClinic, local

pytestmark = pytest.mark.asyncio


def at(clinic: SmallClinic, hour: int, patient: str | None = None) -> AppointmentCreate:
    return AppointmentCreate(
        patient_id=patient or clinic.alice,
        provider_id=clinic.patel,
        start_time=local(TUESDAY, hour),
        duration_minutes=30,
        type="consultation",
    )


async def test_two_concurrent_bookings_of_one_slot_one_wins(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    results = await asyncio.gather(
        *(
            backend.create_appointment(at(clinic, 10, patient))
            for patient in (clinic.alice, clinic.bob, clinic.carol)
        ),
        return_exceptions=True,
    )
    won = [r for r in results if isinstance(r, Appointment)]
    lost = [r for r in results if isinstance(r, errors.SlotUnavailable)]
    assert (len(won), len(lost)) == (1, 2)


async def test_two_backends_on_one_file_still_let_only_one_win(
    store: Store, clinic: SmallClinic, clock: Clock
) -> None:
    # Two processes sharing a file behave like two stores: BEGIN IMMEDIATE serialises them.
    other = LocalBackend(Store.open(store.path), clock=clock)
    mine = LocalBackend(store, clock=clock)
    try:
        results = await asyncio.gather(
            *(
                backend.create_appointment(at(clinic, 10, patient))
                for _ in range(4)
                for backend, patient in ((mine, clinic.alice), (other, clinic.bob))
            ),
            return_exceptions=True,
        )
    finally:
        await other.aclose()
        await mine.aclose()
    assert sum(isinstance(r, Appointment) for r in results) == 1
    assert all(isinstance(r, Appointment | errors.SlotUnavailable) for r in results)


async def test_database_work_runs_off_the_event_loop_thread(
    backend: LocalBackend, clinic: SmallClinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    original = appointments_repo.insert

    def spy(*args: object, **kwargs: object) -> object:
        threads.append(threading.current_thread().name)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(appointments_repo, "insert", spy)
    await backend.create_appointment(at(clinic, 9))
    assert threads and threads[0].startswith("frontdesk-store-write")
    assert threading.current_thread().name not in threads


async def test_one_event_per_write_with_the_whole_appointment(
    backend: LocalBackend, clinic: SmallClinic, clock: Clock
) -> None:
    created = await backend.create_appointment(at(clinic, 9))
    clock.advance(minutes=5)
    await backend.reschedule_appointment(
        created.id, AppointmentReschedule(new_start_time=local(TUESDAY, 14))
    )
    with pytest.raises(errors.SlotUnavailable):
        await backend.create_appointment(at(clinic, 14, clinic.bob))
    await backend.cancel_appointment(created.id, AppointmentCancel(reason_code="weather"))
    events = (await backend.list_events()).data
    assert [e.type for e in events] == [
        "appointment.created",
        "appointment.rescheduled",
        "appointment.cancelled",
    ]
    assert [e.seq for e in events] == [1, 2, 3]
    assert all(e.id.startswith("evt_") for e in events)
    assert events[0].data == created.model_dump(mode="json")
    final = await backend.get_appointment(created.id)
    assert events[2].data == final.model_dump(mode="json")
    assert events[1].data["previous_time"] == "2026-03-03T14:00:00Z"
    assert events[1].created_at == clock.now
    assert (await backend.list_events(after=2)).data == events[2:]
    page = await backend.list_events(limit=2)
    assert page.next_cursor == "2"
    assert await backend.last_event_seq() == 3


async def test_listeners_hear_committed_writes_on_the_loop(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    heard: list[tuple[list[Event], str]] = []

    def listener(events: list[Event]) -> None:
        heard.append((events, threading.current_thread().name))

    def broken(events: list[Event]) -> None:
        raise RuntimeError("a listener bug")

    stop = backend.add_event_listener(listener)
    backend.add_event_listener(broken)
    booked = await backend.create_appointment(at(clinic, 9))
    with pytest.raises(errors.SlotUnavailable):
        await backend.create_appointment(at(clinic, 9, clinic.bob))
    assert len(heard) == 1
    events, thread = heard[0]
    assert [e.type for e in events] == ["appointment.created"]
    assert events[0].data["id"] == booked.id
    assert thread == threading.current_thread().name
    stop()
    stop()
    await backend.cancel_appointment(booked.id, AppointmentCancel())
    assert len(heard) == 1


async def test_a_refused_write_leaves_no_trace(backend: LocalBackend, clinic: SmallClinic) -> None:
    with pytest.raises(errors.ProviderUnavailable):
        await backend.create_appointment(at(clinic, 12))
    assert (await backend.list_events()).data == []
    assert await backend.list_notifications() == []


async def test_closed_backend_refuses_and_closes_once(store: Store, clinic: SmallClinic) -> None:
    backend = LocalBackend(store)
    await backend.aclose()
    await backend.aclose()
    assert store.closed
    with pytest.raises(RuntimeError):
        await backend.list_providers()


async def test_open_with_demo_fills_only_an_empty_store(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "demo.sqlite"
    backend = LocalBackend.open(path, demo=True, clock=clock)
    try:
        providers = await backend.list_providers()
        assert len(providers) >= 8
        first_ids = [p.id for p in providers]
    finally:
        await backend.aclose()
    again = LocalBackend.open(path, demo=True, clock=clock)
    try:
        assert [p.id for p in await again.list_providers()] == first_ids
    finally:
        await again.aclose()
    plain = LocalBackend.open(tmp_path / "plain.sqlite", clock=clock)
    try:
        assert await plain.list_providers() == []
    finally:
        await plain.aclose()


async def test_a_write_whose_caller_gave_up_is_still_announced(
    backend: LocalBackend, clinic: SmallClinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    heard: list[Event] = []
    backend.add_event_listener(heard.extend)
    started = threading.Event()
    release = threading.Event()
    original = appointments_repo.insert

    def slow_insert(*args: object, **kwargs: object) -> object:
        started.set()
        release.wait(10)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(appointments_repo, "insert", slow_insert)
    task = asyncio.ensure_future(backend.create_appointment(at(clinic, 9)))
    while not started.is_set():
        await asyncio.sleep(0.005)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    release.set()
    # The write commits on its thread after the caller is gone; the event still arrives.
    for _ in range(400):
        if heard:
            break
        await asyncio.sleep(0.005)
    assert [e.type for e in heard] == ["appointment.created"]
    assert len((await backend.list_events()).data) == 1
