"""An answer that leaves a write's fate unsure: settled as done when the server shows it done."""

from __future__ import annotations

import pytest

from frontdesk_app.domain.errors import IdempotencyKeyReused, InvalidState, ServiceUnavailable
from frontdesk_app.domain.models import AppointmentCancel, AppointmentReschedule
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.sync import apply, mirror
from frontdesk_app.sync.replayer import Replayer
from tests.fixtures.store import TUESDAY, local
from tests.unit.sync.conftest import FAST, Harness
from tests.unit.sync.test_replayer import (
    SETTLE,
    booking,
    outbox_states,
    queue_cancel,
    queue_move,
)

pytestmark = pytest.mark.asyncio


def _reused() -> IdempotencyKeyReused:
    return IdempotencyKeyReused("This Idempotency-Key was already used for a different request.")


async def _booked_on_server(h: Harness) -> str:
    """An appointment the desk and the server both have (as after a pull)."""
    created = await h.server.other_desk_books(booking(h, local(TUESDAY, 9), patient=h.clinic.alice))
    await h.db.write(lambda s: mirror.upsert_appointment(s, created))
    return created.id


@pytest.fixture
def h(harness: Harness) -> Harness:
    return harness


async def _start(h: Harness) -> None:
    await h.replayer.start()
    h.monitor.start()
    h.go_online()
    assert await h.monitor.wait_online(SETTLE)


@pytest.mark.parametrize("kind", ["cancel", "reschedule"])
async def test_a_forced_key_reused_on_an_applied_write_settles_as_done(
    h: Harness, kind: str
) -> None:
    appointment_id = await _booked_on_server(h)

    def applied_then_reused(k: str, key: str, phase: str) -> Exception | None:
        # The write acts on the server; the answer the desk gets is idempotency_key_reused.
        return _reused() if k == kind and phase == "after" else None

    h.server.hook = applied_then_reused
    await _start(h)
    if kind == "cancel":
        queued = await queue_cancel(h, appointment_id)
    else:
        queued = await queue_move(h, appointment_id, local(TUESDAY, 11))
    assert await h.replayer.wait_idle(SETTLE)

    assert [k for k, _, _ in h.server.acted] == [kind]
    assert h.replayer.conflicts == 0 and h.replayer.pending == 0
    assert outbox_states(h) == ["done"]
    assert [n.kind for n in h.notices] == ["synced"]
    on_server = await h.server.get_appointment(appointment_id)
    on_desk = await h.db.read(lambda s: mirror.get_appointment(s, appointment_id))
    assert on_desk is not None
    assert (on_desk.status, on_desk.start_time) == (on_server.status, on_server.start_time)
    assert queued.entry.id in {key for _, _, key in h.server.requests}


async def test_a_waiting_caller_gets_the_answer_not_the_refusal(h: Harness) -> None:
    appointment_id = await _booked_on_server(h)
    h.server.hook = lambda k, key, phase: _reused() if phase == "after" else None
    await _start(h)
    request = AppointmentCancel(reason_code="patient_request", notify=False)
    queued = await h.db.write(
        lambda s: apply.queue_cancel(s, appointment_id, request, now=h.clock(), entry_id=None)
    )
    answer = h.replayer.attach(queued.entry.id, undo_on_refusal=True)
    h.replayer.add(queued.entry)
    result = await answer
    assert result.status == "cancelled" and result.reason_code == "patient_request"
    assert result.notify is False
    assert outbox_states(h) == ["done"]


async def test_key_reused_on_a_write_that_did_not_happen_is_a_conflict(h: Harness) -> None:
    appointment_id = await _booked_on_server(h)
    h.server.hook = lambda k, key, phase: _reused() if phase == "before" else None
    await _start(h)
    await queue_move(h, appointment_id, local(TUESDAY, 11))
    assert await h.replayer.wait_idle(SETTLE)

    assert h.server.acted == []
    assert h.replayer.conflicts == 1
    parked = h.replayer.entries()[0]
    assert parked.conflict_code == "idempotency_key_reused"
    # The desk keeps its version (the move) next to the server's (still at 09:00).
    on_desk = await h.db.read(lambda s: mirror.get_appointment(s, appointment_id))
    assert on_desk is not None and on_desk.start_time == local(TUESDAY, 11)
    assert (await h.server.get_appointment(appointment_id)).start_time == local(TUESDAY, 9)


async def test_a_move_elsewhere_on_the_server_is_not_taken_for_ours(h: Harness) -> None:
    appointment_id = await _booked_on_server(h)
    # Another desk moved it to 10:00; ours asks for 11:00 and is refused as reused.
    await LocalBackend.reschedule_appointment(
        h.server, appointment_id, AppointmentReschedule(new_start_time=local(TUESDAY, 10))
    )
    h.server.hook = lambda k, key, phase: _reused() if phase == "before" else None
    await _start(h)
    await queue_move(h, appointment_id, local(TUESDAY, 11))
    assert await h.replayer.wait_idle(SETTLE)
    assert h.replayer.conflicts == 1


async def test_a_cancel_refused_as_already_cancelled_after_a_lost_first_try_is_done(
    h: Harness,
) -> None:
    appointment_id = await _booked_on_server(h)
    tries: list[str] = []

    def cut_then_refuse(k: str, key: str, phase: str) -> Exception | None:
        # First try acts and its answer fails; the server then forgets the key (as after
        # its retention) and refuses the resend by its rules.
        tries.append(phase)
        if phase == "after":
            return ServiceUnavailable("The server had a problem.")
        if len(tries) > 2:
            return InvalidState("This appointment is already cancelled.")
        return None

    h.server.hook = cut_then_refuse
    await _start(h)
    await queue_cancel(h, appointment_id)
    assert await h.replayer.wait_idle(SETTLE)
    assert h.replayer.conflicts == 0
    assert outbox_states(h) == ["done"]


async def test_a_write_that_kept_failing_but_happened_is_done_not_a_conflict(h: Harness) -> None:
    appointment_id = await _booked_on_server(h)
    replayer = Replayer(
        h.db, h.server, h.monitor, on_notice=h.notices.append, max_attempts=2, backoff=FAST
    )
    h.replayer = replayer
    calls: list[str] = []

    def acts_once_then_fails(k: str, key: str, phase: str) -> Exception | None:
        calls.append(phase)
        return None if calls == ["before"] else ServiceUnavailable("The server had a problem.")

    h.server.hook = acts_once_then_fails
    await _start(h)
    await queue_cancel(h, appointment_id)
    assert await replayer.wait_idle(SETTLE)
    assert replayer.conflicts == 0
    assert outbox_states(h) == ["done"]
    await replayer.aclose()
