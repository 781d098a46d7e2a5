"""The replayer against a scripted fake server: order, id remapping, retries, poison isolation."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from frontdesk_app.domain.errors import Offline, RateLimited, ServiceUnavailable, SlotUnavailable
from frontdesk_app.domain.ids import is_temporary
from frontdesk_app.domain.models import (
    AppointmentCancel,
    AppointmentCreate,
    AppointmentQuery,
    AppointmentReschedule,
)
from frontdesk_app.store.tables import AppointmentRow
from frontdesk_app.sync import apply, outbox
from frontdesk_app.sync.connectivity import ConnectivityMonitor
from frontdesk_app.sync.replayer import Replayer
from frontdesk_app.sync.tables import outbox as outbox_table
from tests.fixtures.store import TUESDAY, local
from tests.unit.sync.conftest import FAST, Harness

pytestmark = pytest.mark.asyncio
SETTLE = 10.0  # seconds any drain in these tests may take at most


def booking(
    h: Harness, start: datetime, *, patient: str, provider: str | None = None
) -> AppointmentCreate:
    return AppointmentCreate(
        patient_id=patient,
        provider_id=provider or h.clinic.patel,
        start_time=start,
        duration_minutes=30,
        type="consultation",
    )


async def queue_create(h: Harness, request: AppointmentCreate) -> apply.Queued:
    queued = await h.db.write(
        lambda s: apply.queue_create(s, request, now=h.clock(), entry_id=None)
    )
    h.replayer.add(queued.entry)
    return queued


async def queue_move(h: Harness, appointment_id: str, start: datetime) -> apply.Queued:
    request = AppointmentReschedule(new_start_time=start)
    queued = await h.db.write(
        lambda s: apply.queue_reschedule(s, appointment_id, request, now=h.clock(), entry_id=None)
    )
    h.replayer.add(queued.entry)
    return queued


async def queue_cancel(h: Harness, appointment_id: str) -> apply.Queued:
    request = AppointmentCancel(reason_code="patient_request")
    queued = await h.db.write(
        lambda s: apply.queue_cancel(s, appointment_id, request, now=h.clock(), entry_id=None)
    )
    h.replayer.add(queued.entry)
    return queued


def mirror_ids(h: Harness) -> list[str]:
    with h.mirror.read() as s:
        return list(s.scalars(select(AppointmentRow.id)))


def outbox_states(h: Harness) -> list[str]:
    with h.mirror.read() as s:
        return list(s.scalars(select(outbox_table.c.state).order_by(outbox_table.c.seq)))


async def test_offline_booking_is_remapped_in_later_writes_and_the_mirror(h: Harness) -> None:
    await h.replayer.start()
    h.monitor.start()
    created = await queue_create(h, booking(h, local(TUESDAY, 9), patient=h.clinic.alice))
    temporary = created.appointment.id
    assert is_temporary(temporary)
    await queue_move(h, temporary, local(TUESDAY, 10))
    await queue_cancel(h, temporary)
    assert h.replayer.pending == 3
    assert h.server.acted == []

    h.go_online()
    assert await h.replayer.wait_idle(SETTLE)

    kinds = [(kind, key) for kind, _, key in h.server.acted]
    assert [k for k, _ in kinds] == ["create", "reschedule", "cancel"]
    server_id = h.server.acted[0][1]
    # The later writes went to the server's id, never the temporary one.
    assert {
        appointment_id for kind, appointment_id, _ in h.server.requests if kind != "create"
    } == {server_id}
    on_server = await h.server.get_appointment(server_id)
    assert on_server.status == "cancelled"
    assert on_server.start_time == local(TUESDAY, 10)
    assert mirror_ids(h) == [server_id]
    with h.mirror.read() as s:
        assert apply.resolve_id(s, temporary) == server_id
    assert outbox_states(h) == ["done", "done", "done"]
    assert h.replayer.pending == 0


async def test_each_entry_carries_its_own_key_and_a_lost_answer_is_not_acted_twice(
    h: Harness,
) -> None:
    lost: set[str] = set()

    def lose_first_answer(kind: str, key: str, phase: str) -> Exception | None:
        if phase == "after" and key not in lost:
            lost.add(key)
            return Offline("connection dropped")
        return None

    h.server.hook = lose_first_answer
    await h.replayer.start()
    h.monitor.start()
    h.go_online()
    first = await queue_create(h, booking(h, local(TUESDAY, 9), patient=h.clinic.alice))
    second = await queue_create(
        h, booking(h, local(TUESDAY, 9), patient=h.clinic.bob, provider=h.clinic.nguyen)
    )
    assert await h.replayer.wait_idle(SETTLE)

    keys = [key for _, _, key in h.server.requests]
    assert keys.count(first.entry.id) == 2 and keys.count(second.entry.id) == 2
    assert len(h.server.acted) == 2  # every write acted exactly once
    page = await h.server.list_appointments(AppointmentQuery(start=local(TUESDAY, 0)))
    assert len(page.data) == 2


async def test_a_refusal_is_parked_and_blocks_only_its_own_appointment(h: Harness) -> None:
    # Someone else took Dr. Patel's 09:00 on the server while this desk was offline.
    await h.server.other_desk_books(booking(h, local(TUESDAY, 9), patient=h.clinic.carol))
    await h.replayer.start()
    h.monitor.start()
    refused = await queue_create(h, booking(h, local(TUESDAY, 9), patient=h.clinic.alice))
    behind = await queue_move(h, refused.appointment.id, local(TUESDAY, 11))
    same_provider = await queue_create(h, booking(h, local(TUESDAY, 14), patient=h.clinic.bob))
    other = await queue_create(
        h, booking(h, local(TUESDAY, 15), patient=h.clinic.alice, provider=h.clinic.nguyen)
    )
    h.go_online()
    assert await h.replayer.wait_idle(SETTLE)  # drained: the move waits behind the conflict

    assert h.replayer.conflicts == 1
    assert h.replayer.pending == 1
    parked = [e for e in h.replayer.entries() if e.state == "conflict"]
    assert [e.id for e in parked] == [refused.entry.id]
    assert parked[0].conflict_code == "slot_unavailable"
    assert "Dr. Patel already has" in (parked[0].conflict_message or "")
    sent = {key for _, _, key in h.server.requests}
    assert behind.entry.id not in sent
    assert same_provider.entry.id in sent and other.entry.id in sent
    assert h.replayer.status_of(refused.appointment.id) == "conflict"
    # The desk keeps its own version of the refused booking until a person decides.
    assert refused.appointment.id in mirror_ids(h)


async def test_transient_failures_back_off_and_keep_the_order(h: Harness) -> None:
    failures = {"left": 2}

    def flaky_create(kind: str, key: str, phase: str) -> Exception | None:
        if kind == "create" and phase == "before" and failures["left"]:
            failures["left"] -= 1
            return ServiceUnavailable("The server had a problem.")
        return None

    h.server.hook = flaky_create
    await h.replayer.start()
    h.monitor.start()
    created = await queue_create(h, booking(h, local(TUESDAY, 9), patient=h.clinic.alice))
    await queue_move(h, created.appointment.id, local(TUESDAY, 10))
    await queue_cancel(h, created.appointment.id)
    h.go_online()
    assert await h.replayer.wait_idle(SETTLE)

    kinds = [kind for kind, _, _ in h.server.requests]
    assert kinds == ["create", "create", "create", "reschedule", "cancel"]
    assert [kind for kind, _, _ in h.server.acted] == ["create", "reschedule", "cancel"]
    assert h.replayer.conflicts == 0


async def test_an_entry_that_keeps_failing_becomes_a_conflict_not_an_endless_retry(
    h: Harness,
) -> None:
    replayer = Replayer(
        h.db, h.server, h.monitor, on_notice=h.notices.append, max_attempts=3, backoff=FAST
    )
    h.replayer = replayer
    doomed_key: list[str] = []

    def always_fails(kind: str, key: str, phase: str) -> Exception | None:
        if doomed_key and key == doomed_key[0] and phase == "before":
            return ServiceUnavailable("The server had a problem.")
        return None

    h.server.hook = always_fails
    await replayer.start()
    h.monitor.start()
    doomed = await queue_create(h, booking(h, local(TUESDAY, 9), patient=h.clinic.alice))
    doomed_key.append(doomed.entry.id)
    fine = await queue_create(
        h, booking(h, local(TUESDAY, 9), patient=h.clinic.bob, provider=h.clinic.nguyen)
    )
    h.go_online()
    assert await replayer.wait_idle(SETTLE)

    assert [key for _, _, key in h.server.requests].count(doomed.entry.id) == 3
    assert replayer.conflicts == 1
    parked = next(e for e in replayer.entries() if e.state == "conflict")
    assert parked.id == doomed.entry.id
    assert "3 times" in (parked.conflict_message or "")
    assert any(key == fine.entry.id for _, _, key in h.server.acted)
    await replayer.aclose()


async def test_a_waiting_caller_gets_the_refusal_and_nothing_is_left_behind(h: Harness) -> None:
    await h.server.other_desk_books(booking(h, local(TUESDAY, 9), patient=h.clinic.carol))
    await h.replayer.start()
    h.monitor.start()
    h.go_online()
    assert await h.monitor.wait_online(SETTLE)
    queued = await h.db.write(
        lambda s: apply.queue_create(
            s, booking(h, local(TUESDAY, 9), patient=h.clinic.alice), now=h.clock(), entry_id=None
        )
    )
    answer = h.replayer.attach(queued.entry.id, undo_on_refusal=True)
    h.replayer.add(queued.entry)
    with pytest.raises(SlotUnavailable):
        await answer
    assert queued.appointment.id not in mirror_ids(h)
    assert outbox_states(h) == ["rejected"]
    assert h.replayer.conflicts == 0 and h.replayer.pending == 0


async def test_a_new_replayer_resumes_the_queue_left_by_the_last_run(h: Harness) -> None:
    await h.replayer.start()
    created = await queue_create(h, booking(h, local(TUESDAY, 9), patient=h.clinic.alice))
    await queue_move(h, created.appointment.id, local(TUESDAY, 10))
    await h.replayer.aclose()  # the app quits while offline

    monitor = ConnectivityMonitor(h.monitor._probe, backoff=FAST)
    again = Replayer(h.db, h.server, monitor, on_notice=h.notices.append, backoff=FAST)
    await again.start()
    assert again.pending == 2
    h.server.offline = False
    monitor.start()
    assert await again.wait_idle(SETTLE)
    assert [kind for kind, _, _ in h.server.acted] == ["create", "reschedule"]
    with h.mirror.read() as s:
        assert outbox.counts(s) == (0, 0)
    await again.aclose()
    await monitor.aclose()


@pytest.fixture
def h(harness: Harness) -> Harness:
    return harness


async def test_an_exhausted_budget_delays_entries_without_counting_against_them(
    h: Harness,
) -> None:
    replayer = Replayer(
        h.db, h.server, h.monitor, on_notice=h.notices.append, max_attempts=2, backoff=FAST
    )
    h.replayer = replayer
    throttled = {"left": 5}

    def over_budget(kind: str, key: str, phase: str) -> Exception | None:
        if phase == "before" and throttled["left"]:
            throttled["left"] -= 1
            return RateLimited("Too many requests.", retry_after=0.01)
        return None

    h.server.hook = over_budget
    await replayer.start()
    h.monitor.start()
    await queue_create(h, booking(h, local(TUESDAY, 9), patient=h.clinic.alice))
    h.go_online()
    assert await replayer.wait_idle(SETTLE)
    assert (replayer.pending, replayer.conflicts) == (0, 0)
    assert len(h.server.requests) == 6 and len(h.server.acted) == 1
    await replayer.aclose()
