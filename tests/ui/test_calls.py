"""The live-calls panel against a demo clinic: a transferred call becomes a card with its
transcript, sentiment, intent and collected data; accepting removes it from another agent's
queue live; one click starts a booking for the caller; complete records the disposition.
"""

from __future__ import annotations

import asyncio
import io
import struct
import wave
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QSplitter, QToolBar
from pytestqt.qtbot import QtBot

from frontdesk_app.config import Settings
from frontdesk_app.domain import clock
from frontdesk_app.domain.models import (
    AgentRef,
    Appointment,
    AppointmentQuery,
    Call,
    Caller,
    Event,
    Intent,
    Patient,
    Sentiment,
    SimulatedCallRequest,
    Transfer,
)
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.ui.calendar.booking_dialog import BookingDialog
from frontdesk_app.ui.calendar.change_dialogs import CancelDialog, RescheduleDialog
from frontdesk_app.ui.calls.actions import (
    BookingRequest,
    CancelRequest,
    EligibilityLookup,
    PrescriptionLookup,
    RescheduleRequest,
    build_action,
    next_weekday,
    pick_appointment,
)
from frontdesk_app.ui.calls.booking_fit import (
    GENERAL,
    appointment_type_for,
    choose_provider,
    fit_booking,
    fits,
    outcome_for,
)
from frontdesk_app.ui.calls.chime import SOUND_FILES, wav_bytes
from frontdesk_app.ui.calls.detail import CallDetailView
from frontdesk_app.ui.calls.labels import intent_label, sentiment_text
from frontdesk_app.ui.calls.panel import CallsPanel, waiting_text
from frontdesk_app.ui.calls.queue import TransferQueue
from frontdesk_app.ui.eligibility.panel import EligibilityPanel
from frontdesk_app.ui.main_window import MainWindow
from frontdesk_app.ui.prescriptions.panel import PrescriptionsPanel
from frontdesk_app.ui.resources import resources_dir
from tests.ui.panel_support import (
    BACKENDS,
    WAIT,
    ZONE,
    Desk,
    open_desk,
    patient,
    patients_by_enrolment,
    run,
)

pytestmark = [
    pytest.mark.ui,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


@pytest.fixture(params=BACKENDS)
def desk(
    request: pytest.FixtureRequest, qtbot: QtBot, loop: object, tmp_path: Path
) -> Iterator[Desk]:
    yield from open_desk(qtbot, tmp_path / "clinic.db", request.param)


@pytest.fixture
def agents(qtbot: QtBot, desk: Desk) -> list[str]:
    """The demo agents' ids, all set away so that a transfer waits in the queue."""
    found = run(qtbot, desk.backend.list_agents())
    for agent in found:
        run(qtbot, desk.backend.set_agent_status(agent.id, "away"))
    return [a.id for a in found]


def make_panel(qtbot: QtBot, desk: Desk, agent_id: str) -> CallsPanel:
    panel = CallsPanel(desk.backend, desk.bridge, desk.feed, zone=ZONE, agent_id=agent_id)
    qtbot.addWidget(panel)
    panel.resize(1200, 760)
    panel.show()
    qtbot.waitUntil(lambda: panel.control.agent.count() > 1, timeout=WAIT)
    return panel


def set_status(qtbot: QtBot, panel: CallsPanel, status: str) -> None:
    qtbot.mouseClick(panel.control.buttons[status], Qt.MouseButton.LeftButton)  # type: ignore[index]
    qtbot.waitUntil(lambda: panel.queue.status == status, timeout=WAIT)


def simulate(qtbot: QtBot, desk: Desk, **kwargs: object) -> Call:
    return run(
        qtbot,
        desk.backend.simulate_call(SimulatedCallRequest(transfer=True, **kwargs)),  # type: ignore[arg-type]
    )


def transfer_of(qtbot: QtBot, desk: Desk, call: Call) -> Transfer:
    found = [t for t in run(qtbot, desk.backend.list_transfers()) if t.call_id == call.id]
    assert len(found) == 1
    return found[0]


def test_transferred_call_shows_as_a_card_with_its_details(
    qtbot: QtBot, desk: Desk, agents: list[str]
) -> None:
    me = agents[0]
    panel = make_panel(qtbot, desk, me)
    set_status(qtbot, panel, "available")

    call = simulate(qtbot, desk, priority="emergency", scenario="urgent_symptoms")
    transfer = transfer_of(qtbot, desk, call)
    # The only available agent gets it: offered to them, at once, without a reload.
    qtbot.waitUntil(lambda: panel.card(transfer.transfer_id) is not None, timeout=WAIT)
    card = panel.card(transfer.transfer_id)
    assert card is not None
    assert "EMERGENCY" in card.badge.text()
    assert card.caller.text() == (call.caller.name or call.caller.phone)
    assert intent_label(call.intent.name) in card.intent.text()
    assert card.sentiment.text() == sentiment_text(call.sentiment)
    assert card.summary.text()
    assert panel.notifier.sent and panel.notifier.sent[-1][0] == "EMERGENCY call waiting"
    # The tray message names the kind of call, never the caller.
    assert (call.caller.name or "") not in panel.notifier.sent[-1][1]

    qtbot.mouseClick(card.open_button, Qt.MouseButton.LeftButton)
    detail = panel.detail
    assert detail.transfer is not None and detail.transfer.transfer_id == transfer.transfer_id
    text = detail.transcript_text()
    for line in call.transcript:
        assert line.text in text
    assert sentiment_text(call.sentiment) in detail.sentiment.text()
    assert intent_label(call.intent.name) in detail.intent.text()
    assert detail.summary.text() == call.summary
    collected = detail.collected_text()
    assert collected["Symptom"] == call.collected_data["symptom"]
    assert len(collected) == len(call.collected_data)
    assert not detail.accept_button.isHidden()
    assert detail.complete_box.isHidden()  # only once accepted


def test_accept_removes_the_call_from_another_agents_queue(
    qtbot: QtBot, desk: Desk, agents: list[str]
) -> None:
    first = make_panel(qtbot, desk, agents[0])
    second = make_panel(qtbot, desk, agents[1])

    # Nobody is free: the call waits in the queue for any agent.
    call = simulate(qtbot, desk, priority="urgent")
    transfer = transfer_of(qtbot, desk, call)
    assert transfer.status == "queued"
    # Urgency is never hidden: an agent who is away sees the card and its priority too.
    qtbot.waitUntil(lambda: first.card(transfer.transfer_id) is not None, timeout=WAIT)
    assert "URGENT" in first.card(transfer.transfer_id).badge.text()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: "1 caller waiting" in first.waiting.text(), timeout=WAIT)
    assert "1 urgent" in first.waiting.text() and "You are away" in first.waiting.text()

    set_status(qtbot, first, "available")
    set_status(qtbot, second, "available")
    qtbot.waitUntil(lambda: first.card(transfer.transfer_id) is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: second.card(transfer.transfer_id) is not None, timeout=WAIT)

    card = first.card(transfer.transfer_id)
    assert card is not None
    qtbot.mouseClick(card.accept_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: second.card(transfer.transfer_id) is None, timeout=WAIT)
    qtbot.waitUntil(lambda: transfer.transfer_id in first.mine_list.cards, timeout=WAIT)
    assert transfer.transfer_id not in first.queue_list.cards
    # The accepted call opens (the event may have moved the card before the answer came).
    qtbot.waitUntil(lambda: first.detail.transfer is not None and first.detail.mine, timeout=WAIT)
    assert not first.detail.complete_box.isHidden()
    # Accepting made the agent busy, which the status buttons show.
    qtbot.waitUntil(lambda: first.control.status == "busy", timeout=WAIT)


def test_one_click_booking_from_a_call_prefills_the_patient(
    qtbot: QtBot, desk: Desk, agents: list[str]
) -> None:
    known = patients_by_enrolment(desk, active=True)[0]
    panel = make_panel(qtbot, desk, agents[0])
    set_status(qtbot, panel, "available")
    call = simulate(qtbot, desk, patient_id=known, scenario="book_appointment")
    transfer = transfer_of(qtbot, desk, call)
    qtbot.waitUntil(lambda: panel.card(transfer.transfer_id) is not None, timeout=WAIT)
    panel.accept(transfer.transfer_id)
    qtbot.waitUntil(lambda: panel.detail.mine, timeout=WAIT)

    with qtbot.waitSignal(panel.action_requested, timeout=WAIT) as blocker:
        qtbot.mouseClick(panel.detail.action_buttons["book"], Qt.MouseButton.LeftButton)
    booking = blocker.args[0]
    assert isinstance(booking, BookingRequest)
    assert booking.patient_id == known
    assert booking.context.transfer_id == transfer.transfer_id
    assert booking.preferred_day is not None
    assert booking.preferred_day.strftime("%A") == call.collected_data["preferred_day"]
    assert call.collected_data["reason"] in booking.notes

    with qtbot.waitSignal(panel.action_requested, timeout=WAIT) as blocker:
        qtbot.mouseClick(panel.detail.action_buttons["eligibility"], Qt.MouseButton.LeftButton)
    assert isinstance(blocker.args[0], EligibilityLookup)
    assert blocker.args[0].patient_id == known
    with qtbot.waitSignal(panel.action_requested, timeout=WAIT) as blocker:
        qtbot.mouseClick(panel.detail.action_buttons["prescription"], Qt.MouseButton.LeftButton)
    assert isinstance(blocker.args[0], PrescriptionLookup)


def test_complete_records_disposition_and_notes(
    qtbot: QtBot, desk: Desk, agents: list[str]
) -> None:
    panel = make_panel(qtbot, desk, agents[0])
    set_status(qtbot, panel, "available")
    call = simulate(qtbot, desk, scenario="billing_question")
    transfer = transfer_of(qtbot, desk, call)
    qtbot.waitUntil(lambda: panel.card(transfer.transfer_id) is not None, timeout=WAIT)
    panel.accept(transfer.transfer_id)
    qtbot.waitUntil(lambda: panel.detail.mine, timeout=WAIT)

    detail = panel.detail
    detail.disposition.setCurrentIndex(detail.disposition.findData("information_given"))
    detail.notes.setPlainText("Explained the statement; insurance will be re-billed.")
    qtbot.mouseClick(detail.complete_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: panel.card(transfer.transfer_id) is None, timeout=WAIT)
    assert detail.transfer is None
    done = next(t for t in run(qtbot, desk.backend.list_transfers()) if t.call_id == call.id)
    assert done.status == "completed"
    assert done.disposition == "information_given"
    assert done.notes == "Explained the statement; insurance will be re-billed."
    # Completing frees the agent again.
    qtbot.waitUntil(lambda: panel.control.status == "available", timeout=WAIT)


# --- the queue's rules, without Qt ------------------------------------------------------------


def _transfer(
    tid: str, priority: str, minute: int, status: str = "queued", agent: str | None = None
) -> Transfer:
    at = datetime(2030, 1, 1, 9, minute, tzinfo=UTC)
    call = Call(
        id=f"call_{tid}",
        status="transferring",
        caller=Caller(phone="555-0100"),
        started_at=at - timedelta(minutes=2),
        intent=Intent(name="billing_question", confidence=0.9),
        sentiment=Sentiment(label="neutral", score=0.0),
        transcript=[],
        summary="s",
    )
    return Transfer(
        transfer_id=tid,
        call_id=call.id,
        status=status,  # type: ignore[arg-type]
        agent=AgentRef(id=agent, name="A") if agent else None,
        context_passed=True,
        transferred_at=at,
        priority=priority,
        call=call,  # type: ignore[arg-type]
    )


def _event(seq: int, kind: str, transfer: Transfer) -> Event:
    return Event(
        id=f"evt_{seq}",
        seq=seq,
        type=kind,
        created_at=transfer.transferred_at,
        data=transfer.model_dump(mode="json"),
    )


def test_queue_orders_by_priority_then_wait_and_follows_events() -> None:
    queue = TransferQueue("agt_me", "available")
    normal_old = _transfer("x1", "normal", 0)
    urgent = _transfer("x2", "urgent", 5)
    emergency = _transfer("x3", "emergency", 9)
    normal_new = _transfer("x4", "normal", 7)
    elsewhere = _transfer("x5", "emergency", 1, status="connected", agent="agt_other")
    changes = []
    queue.add_listener(changes.append)
    queue.apply_events(
        [
            _event(i, "transfer.created", t)
            for i, t in enumerate([normal_old, urgent, emergency, normal_new, elsewhere])
        ]
    )
    assert [t.transfer_id for t in queue.queue()] == ["x3", "x2", "x1", "x4"]
    assert len(changes) == 1 and len(changes[0].added) == 4

    # Another agent accepts the urgent call: it leaves this queue.
    taken = urgent.model_copy(
        update={"status": "accepted", "agent": AgentRef(id="agt_other", name="B")}
    )
    change = queue.apply_events([_event(10, "transfer.accepted", taken)])
    assert change.removed == ("x2",)
    # A late "created" event for it cannot bring it back.
    queue.apply_events([_event(2, "transfer.created", urgent)])
    assert "x2" not in [t.transfer_id for t in queue.queue()]

    # Away (or busy): queued callers stay in sight with their priority, most pressing first.
    queue.set_status("away")
    assert [t.transfer_id for t in queue.queue()] == ["x3", "x1", "x4"]
    assert queue.waiting_count() == 3
    assert queue.waiting_by_priority() == {"emergency": 1, "normal": 2}
    assert waiting_text(queue.waiting_by_priority(), "away") == (
        "3 callers waiting for any agent: 1 EMERGENCY, 2 normal. "
        "You are away: accept one below, or set yourself Available."
    )

    # This agent accepts one; it is theirs, and completing it drops it for good.
    queue.set_status("available")
    mine = normal_old.model_copy(
        update={"status": "accepted", "agent": AgentRef(id="agt_me", name="Me")}
    )
    queue.apply([mine.model_copy(update={"call": None})])
    assert [t.transfer_id for t in queue.mine()] == ["x1"]
    assert queue.mine()[0].call is not None  # the call from the first event is kept
    queue.apply([mine.model_copy(update={"status": "completed"})])
    queue.apply([mine])
    assert queue.mine() == []


# --- in the main window: the one-click actions land in the other panels, prefilled -----------


@pytest.fixture
def window(qtbot: QtBot, desk: Desk, tmp_path: Path) -> Iterator[MainWindow]:
    settings = Settings(environment="standalone", clinic_timezone=ZONE.key)
    qsettings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings, qsettings=qsettings, settings_path=tmp_path / "s.json")
    win.resize(1280, 800)
    win.show()
    win.attach(desk.backend, environment="standalone")
    try:
        yield win
    finally:
        run(qtbot, win.bridge.wait_idle())
        run(qtbot, win.detach())
        win.errors.close_reports()
        win.close()
        win.deleteLater()


def accepted_call_in(
    qtbot: QtBot, desk: Desk, panel: CallsPanel, patient_id: str, scenario: str
) -> tuple[Call, Transfer]:
    set_status(qtbot, panel, "available")
    call = simulate(qtbot, desk, patient_id=patient_id, scenario=scenario)
    transfer = transfer_of(qtbot, desk, call)
    qtbot.waitUntil(lambda: panel.card(transfer.transfer_id) is not None, timeout=WAIT)
    panel.accept(transfer.transfer_id)
    qtbot.waitUntil(lambda: panel.detail.mine, timeout=WAIT)
    return call, transfer


def test_main_window_routes_booking_eligibility_and_prescriptions(
    qtbot: QtBot, desk: Desk, agents: list[str], window: MainWindow
) -> None:
    calls = window.show_panel("calls")  # Ctrl+4
    assert isinstance(calls, CallsPanel)
    calls.set_agent(agents[0])
    qtbot.waitUntil(lambda: calls.control.agent.currentData() == agents[0], timeout=WAIT)
    known = patients_by_enrolment(desk, active=True)[0]
    who = patient(qtbot, desk.backend, known)
    call, _ = accepted_call_in(qtbot, desk, calls, known, "book_appointment")

    qtbot.mouseClick(calls.detail.action_buttons["book"], Qt.MouseButton.LeftButton)
    calendar = window.panel("calendar")
    qtbot.waitUntil(lambda: bool(calendar.findChildren(BookingDialog)), timeout=WAIT)
    dialog = calendar.findChildren(BookingDialog)[-1]
    assert window.current_panel_key() == "calendar"
    assert dialog.patient.patient == who
    assert call.collected_data["reason"] in dialog.notes.toPlainText()
    assert dialog.chosen_day().strftime("%A") == call.collected_data["preferred_day"]
    dialog.reject()

    window.show_panel("calls")
    qtbot.mouseClick(calls.detail.action_buttons["eligibility"], Qt.MouseButton.LeftButton)
    eligibility = window.panel("eligibility")
    assert isinstance(eligibility, EligibilityPanel)
    qtbot.waitUntil(lambda: eligibility.patient == who, timeout=WAIT)
    assert window.current_panel_key() == "eligibility"
    assert who.insurance is not None
    assert eligibility.member_id.text() == who.insurance.member_id

    window.show_panel("calls")
    qtbot.mouseClick(calls.detail.action_buttons["prescription"], Qt.MouseButton.LeftButton)
    prescriptions = window.panel("prescriptions")
    assert isinstance(prescriptions, PrescriptionsPanel)
    qtbot.waitUntil(lambda: prescriptions.patient == who, timeout=WAIT)
    assert window.current_panel_key() == "prescriptions"


def test_chimes_are_valid_quiet_wavs_matching_the_shipped_files() -> None:
    for name, filename in SOUND_FILES.items():
        data = wav_bytes(name)
        with wave.open(io.BytesIO(data)) as sound:
            assert (sound.getnchannels(), sound.getsampwidth()) == (1, 2)
            seconds = sound.getnframes() / sound.getframerate()
            frames = sound.readframes(sound.getnframes())
        assert 0.5 < seconds < 2.5
        loudest = max(abs(v) for (v,) in struct.iter_unpack("<h", frames))
        assert 0.3 * 32767 < loudest < 0.5 * 32767  # audible, never harsh
        # The WAVs in resources/ are exactly what the generator makes.
        assert (resources_dir() / "sounds" / filename).read_bytes() == data


def test_main_window_opens_reschedule_and_cancel_on_the_callers_next_appointment(
    qtbot: QtBot, desk: Desk, agents: list[str], window: MainWindow
) -> None:
    now = clock.now()
    upcoming = run(
        qtbot,
        desk.backend.list_appointments(
            AppointmentQuery(start=now + timedelta(days=1), end=now + timedelta(days=6))
        ),
    ).data
    target = next(a for a in upcoming if a.active)
    calls = window.show_panel("calls")
    assert isinstance(calls, CallsPanel)
    calls.set_agent(agents[0])
    qtbot.waitUntil(lambda: calls.control.agent.currentData() == agents[0], timeout=WAIT)
    accepted_call_in(qtbot, desk, calls, target.patient_id, "reschedule_appointment")
    mine = run(
        qtbot, desk.backend.list_appointments(AppointmentQuery(patient_id=target.patient_id))
    ).data
    first_upcoming = min(
        (a for a in mine if a.active and a.start_time > now), key=lambda a: a.start_time
    )
    calendar = window.panel("calendar")
    assert calendar is not None

    for kind, dialog_type in (("reschedule", RescheduleDialog), ("cancel", CancelDialog)):
        window.show_panel("calls")
        qtbot.mouseClick(calls.detail.action_buttons[kind], Qt.MouseButton.LeftButton)  # type: ignore[index]
        qtbot.waitUntil(lambda t=dialog_type: bool(calendar.findChildren(t)), timeout=WAIT)
        dialog = calendar.findChildren(dialog_type)[-1]
        # The caller's own appointment: on the weekday they named, else their next one.
        assert dialog.view.patient_id == target.patient_id
        assert dialog.view.id in {a.id for a in mine if a.active and a.start_time > now}
        assert dialog.view.start >= first_upcoming.start_time
        dialog.reject()
        qtbot.waitUntil(lambda d=dialog: not d.isVisible(), timeout=WAIT)
        dialog.deleteLater()


def test_actions_pick_the_appointment_the_caller_means() -> None:
    now = datetime(2030, 1, 7, 15, 0, tzinfo=UTC)  # a Monday

    def visit(aid: str, day: int, status: str = "confirmed") -> Appointment:
        start = datetime(2030, 1, day, 15, 0, tzinfo=UTC)
        return Appointment(
            id=aid,
            status=status,
            patient_id="pat_1",
            provider_id="prov_1",  # type: ignore[arg-type]
            start_time=start,
            end_time=start + timedelta(minutes=30),
            duration_minutes=30,
            type="follow-up",
            created_at=now,
            updated_at=now,
        )

    past, tue, thu, fri_cancelled = (
        visit("a0", 3),
        visit("a1", 8),
        visit("a2", 10),
        visit("a3", 11, "cancelled"),
    )
    booked = [past, thu, tue, fri_cancelled]
    assert pick_appointment(booked, "Thursday", ZONE, now) == thu
    assert pick_appointment(booked, "Friday", ZONE, now) == tue  # cancelled: the next one
    assert pick_appointment(booked, None, ZONE, now) == tue
    assert pick_appointment([past], "Thursday", ZONE, now) is None

    transfer = _transfer("x9", "normal", 0)
    call = transfer.call
    assert call is not None
    transfer = transfer.model_copy(
        update={
            "call": call.model_copy(
                update={
                    "caller": Caller(phone="555-0100", patient_id="pat_1"),
                    "collected_data": {"requested_day": "Wednesday", "requested_time": "afternoon"},
                }
            )
        }
    )
    moved = build_action("reschedule", transfer, today=now.date(), zone=ZONE, appointment=thu)
    assert isinstance(moved, RescheduleRequest)
    assert moved.appointment_id == "a2" and moved.patient_id == "pat_1"
    assert moved.preferred_day == datetime(2030, 1, 9).date()  # the coming Wednesday
    assert moved.preferred_time is not None and moved.preferred_time.hour == 13
    cancel = build_action("cancel", transfer, today=now.date(), zone=ZONE, appointment=None)
    assert isinstance(cancel, CancelRequest) and cancel.appointment_id is None
    assert next_weekday("monday", now.date()) == datetime(2030, 1, 14).date()  # a week on
    assert next_weekday("someday", now.date()) is None


@pytest.fixture
def local_desk(qtbot: QtBot, loop: object, tmp_path: Path) -> Iterator[Desk]:
    yield from open_desk(qtbot, tmp_path / "clinic.db", "local")


def test_the_open_call_names_its_patient_and_a_late_answer_for_another_call_is_dropped(
    qtbot: QtBot, local_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = local_desk
    for agent in run(qtbot, desk.backend.list_agents()):
        run(qtbot, desk.backend.set_agent_status(agent.id, "away"))
    me = run(qtbot, desk.backend.list_agents())[0].id
    first_id, second_id = patients_by_enrolment(desk, active=True)[:2]
    a, b = patient(qtbot, desk.backend, first_id), patient(qtbot, desk.backend, second_id)
    panel = make_panel(qtbot, desk, me)
    set_status(qtbot, panel, "available")
    call_a = simulate(qtbot, desk, patient_id=a.id, scenario="book_appointment")
    call_b = simulate(qtbot, desk, patient_id=b.id, scenario="book_appointment")
    ta, tb = transfer_of(qtbot, desk, call_a), transfer_of(qtbot, desk, call_b)
    qtbot.waitUntil(lambda: panel.queue.get(ta.transfer_id) is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: panel.queue.get(tb.transfer_id) is not None, timeout=WAIT)

    gate = asyncio.Event()
    real = desk.backend.get_patient

    async def slow_for_a(patient_id: str) -> Patient:
        if patient_id == a.id:
            await gate.wait()
        return await real(patient_id)

    monkeypatch.setattr(desk.backend, "get_patient", slow_for_a)
    panel.open_transfer(ta.transfer_id)
    assert "looking up" in panel.detail.patient_line.text()
    panel.open_transfer(tb.transfer_id)
    qtbot.waitUntil(lambda: panel.detail.patient == b, timeout=WAIT)
    gate.set()
    run(qtbot, desk.bridge.wait_idle())
    assert panel.detail.patient == b
    assert panel.detail.patient_line.text().startswith(f"Patient: {b.full_name} · born")


# --- a booking that fits the call ------------------------------------------------------------


def test_the_booking_fits_the_callers_reason_day_and_part_of_day(
    qtbot: QtBot, local_desk: Desk
) -> None:
    """The issue: Monday morning for a rash got the evening clinic's NP at 19:15."""
    desk = local_desk
    providers = run(qtbot, desk.backend.list_providers())
    by_name = {p.name: p for p in providers}
    monday = next_weekday("Monday", clock.today(ZONE))
    assert monday is not None
    fit = run(
        qtbot,
        fit_booking(
            desk.backend,
            patient_id=None,
            reason="a skin rash that won't clear",
            intent="book_appointment",
            new_patient=True,
            day=monday,
            part="morning",
            insurance_changed=False,
            zone=ZONE,
            now=clock.now(),
        ),
    )
    chosen = next(p for p in providers if p.id == fit.provider_id)
    assert chosen.specialty == "Dermatology"
    assert fit.start is not None
    local = fit.start.astimezone(ZONE)
    assert local.strftime("%A") == "Monday" and local.hour < 12
    assert (fit.appointment_type, fit.duration_minutes) == ("new-patient", 45)

    # A cough on a Monday morning: the usual provider works evenings, so a day-time general
    # practitioner is chosen; one who does work then is kept.
    whitfield = by_name["Dana Whitfield, NP"]
    okafor = by_name["Dr. Imani Okafor"]
    pick = choose_provider(
        providers, reason="a persistent cough", usual_provider_id=whitfield.id, day=monday,
        part="morning",
    )  # fmt: skip
    assert pick is not None and pick.id != whitfield.id and fits(pick, GENERAL)
    pick = choose_provider(
        providers, reason="a persistent cough", usual_provider_id=okafor.id, day=monday,
        part="morning",
    )  # fmt: skip
    assert pick == okafor


def test_wrap_up_outcome_and_type_follow_the_intent() -> None:
    assert outcome_for("prescription_refill") == "prescription_handled"
    assert outcome_for("book_appointment") == "appointment_booked"
    assert outcome_for("urgent_symptoms") == "escalated_clinical"
    assert outcome_for(None) == "resolved"
    assert appointment_type_for("book_appointment", new_patient=True, reason="x") == "new-patient"
    assert (
        appointment_type_for("book_appointment", new_patient=False, reason="a follow-up on it")
        == "follow-up"
    )
    refill = _transfer("t1", "normal", 1, status="accepted", agent="agt_1")
    assert refill.call is not None
    refill = refill.model_copy(
        update={
            "call": refill.call.model_copy(
                update={"intent": Intent(name="prescription_refill", confidence=0.9)}
            )
        }
    )
    detail = CallDetailView(ZONE)
    detail.show_transfer(refill, mine=True)
    assert detail.disposition.currentData() == "prescription_handled"
    detail.disposition.setCurrentIndex(detail.disposition.findData("information_given"))
    detail.show_transfer(refill, mine=True)  # the same call refreshed: the agent's choice stays
    assert detail.disposition.currentData() == "information_given"
    detail.deleteLater()


def test_changed_insurance_is_flagged_not_prefilled(qtbot: QtBot, local_desk: Desk) -> None:
    desk = local_desk
    who = patient(qtbot, desk.backend, patients_by_enrolment(desk, active=True)[0])
    panel = EligibilityPanel(desk.backend, desk.bridge, zone=ZONE)
    qtbot.addWidget(panel)
    panel.prefill_changed_insurance(who)
    assert panel.patient == who
    assert panel.member_id.text() == ""
    assert "new card" in panel.status.text()
    assert not panel.check_button.isEnabled()


# --- a queue that never hides urgency or strands a caller ------------------------------------


def _available_with_short_offers(qtbot: QtBot, desk: Desk) -> CallsPanel:
    """Every agent away but the panel's, who is available; offers ring out after 2 s."""
    assert isinstance(desk.backend, LocalBackend)
    desk.backend.offer_timeout_s = 2.0
    agents = [a.id for a in run(qtbot, desk.backend.list_agents())]
    for agent in agents:
        run(qtbot, desk.backend.set_agent_status(agent, "away"))
    panel = make_panel(qtbot, desk, agents[0])
    set_status(qtbot, panel, "available")
    return panel


def test_an_offer_counts_down_on_the_card_and_returns_to_the_queue_when_it_rings_out(
    qtbot: QtBot, local_desk: Desk
) -> None:
    desk = local_desk
    panel = _available_with_short_offers(qtbot, desk)
    call = simulate(qtbot, desk, priority="emergency")
    transfer = transfer_of(qtbot, desk, call)
    assert transfer.status == "connected"
    qtbot.waitUntil(lambda: panel.card(transfer.transfer_id) is not None, timeout=WAIT)
    card = panel.card(transfer.transfer_id)
    assert card is not None
    qtbot.waitUntil(lambda: "s to accept" in card.state.text(), timeout=WAIT)
    assert not card.decline_button.isHidden()

    # Nobody answers: the desk asks, the server passes the call back to the queue, where
    # this agent (now away) still sees it, as an emergency.
    def back_in_queue() -> bool:
        shown = panel.card(transfer.transfer_id)
        return shown is not None and shown.transfer.status == "queued"

    qtbot.waitUntil(back_in_queue, timeout=WAIT)
    qtbot.waitUntil(lambda: panel.queue.status == "away", timeout=WAIT)
    shown = panel.card(transfer.transfer_id)
    assert shown is not None and "EMERGENCY" in shown.badge.text()
    assert shown.state.text() == "Waiting for any agent"
    assert "1 EMERGENCY" in panel.waiting.text()
    # The agent is told why calls stopped coming.
    rang_out = "A call rang out and was passed on"
    qtbot.waitUntil(lambda: panel.message.title == rang_out, timeout=WAIT)
    assert "set Away" in panel.message.text


def test_keyboard_accepts_and_completes_and_the_call_bar_follows_the_call(
    qtbot: QtBot, local_desk: Desk
) -> None:
    desk = local_desk
    agents = [a.id for a in run(qtbot, desk.backend.list_agents())]
    for agent in agents:
        run(qtbot, desk.backend.set_agent_status(agent, "away"))
    panel = make_panel(qtbot, desk, agents[0])
    panel.keys.install_shortcuts(panel, Qt.ShortcutContext.WidgetWithChildrenShortcut)
    set_status(qtbot, panel, "available")
    call = simulate(qtbot, desk, scenario="prescription_refill")
    transfer = transfer_of(qtbot, desk, call)
    qtbot.waitUntil(lambda: panel.card(transfer.transfer_id) is not None, timeout=WAIT)
    assert panel.call_bar.isHidden()

    panel.activateWindow()
    panel.setFocus()
    qtbot.keyClick(panel, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: panel.detail.mine, timeout=WAIT)
    assert not panel.call_bar.isHidden()
    assert panel.call_bar.caller.text() == (call.caller.name or call.caller.phone)
    assert panel.call_bar.timer.text().startswith("0:")
    # The wrap-up outcome follows the intent: a refill call is not "Appointment booked".
    assert panel.detail.disposition.currentData() == "prescription_handled"

    splitter_top = panel.findChild(QSplitter).geometry().top()  # type: ignore[union-attr]
    qtbot.keyClick(panel, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: panel.card(transfer.transfer_id) is None, timeout=WAIT)
    assert panel.call_bar.isHidden()
    done = next(t for t in run(qtbot, desk.backend.list_transfers()) if t.call_id == call.id)
    assert (done.status, done.disposition) == ("completed", "prescription_handled")
    # "Call completed" floats over the list: nothing under it moved.
    assert panel.message.isVisible() and panel.message.title == "Call completed"
    assert panel.findChild(QSplitter).geometry().top() == splitter_top  # type: ignore[union-attr]


def test_keyboard_declines_an_offer_to_the_next_agent(qtbot: QtBot, local_desk: Desk) -> None:
    desk = local_desk
    agents = [a.id for a in run(qtbot, desk.backend.list_agents())]
    for agent in agents:
        run(qtbot, desk.backend.set_agent_status(agent, "available"))
    panel = make_panel(qtbot, desk, agents[0])
    panel.keys.install_shortcuts(panel, Qt.ShortcutContext.WidgetWithChildrenShortcut)
    set_status(qtbot, panel, "available")
    offered = None
    for _ in range(len(agents)):  # round-robin: one of the first few transfers is offered here
        call = simulate(qtbot, desk, scenario="billing_question")
        transfer = transfer_of(qtbot, desk, call)
        if transfer.agent is not None and transfer.agent.id == agents[0]:
            offered = transfer
            break
    assert offered is not None
    qtbot.waitUntil(lambda: panel.card(offered.transfer_id) is not None, timeout=WAIT)
    panel.activateWindow()
    panel.setFocus()
    qtbot.keyClick(panel, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: panel.card(offered.transfer_id) is None, timeout=WAIT)
    moved = next(t for t in run(qtbot, desk.backend.list_transfers()) if t.call_id == call.id)
    assert moved.status in ("connected", "queued")
    assert moved.agent is None or moved.agent.id != agents[0]


def test_the_call_bar_stays_in_sight_on_every_panel(
    qtbot: QtBot, desk: Desk, agents: list[str], window: MainWindow
) -> None:
    calls = window.show_panel("calls")
    assert isinstance(calls, CallsPanel)
    calls.set_agent(agents[0])
    qtbot.waitUntil(lambda: calls.control.agent.currentData() == agents[0], timeout=WAIT)
    known = patients_by_enrolment(desk, active=True)[0]
    call, _ = accepted_call_in(qtbot, desk, calls, known, "book_appointment")
    bar = window.findChild(QToolBar, "callBarToolbar")
    assert bar is not None
    for key in ("calendar", "eligibility", "prescriptions"):
        window.show_panel(key)
        assert bar.isVisible() and calls.call_bar.isVisible()
    assert calls.call_bar.caller.text() == (call.caller.name or call.caller.phone)
    qtbot.mouseClick(calls.call_bar.open_button, Qt.MouseButton.LeftButton)
    assert window.current_panel_key() == "calls"
    calls.keys.complete_current()
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=WAIT)


def test_a_hidden_panel_makes_its_cards_when_shown_and_still_passes_on_a_rung_out_offer(
    qtbot: QtBot, local_desk: Desk
) -> None:
    # While a queue drains, calls keep arriving: the cards (a dozen widgets each) are made
    # only when the agent can see them; the offer's clock runs either way.
    desk = local_desk
    panel = _available_with_short_offers(qtbot, desk)
    panel.hide()
    offered = transfer_of(qtbot, desk, simulate(qtbot, desk, priority="emergency"))
    assert offered.status == "connected"
    qtbot.waitUntil(lambda: panel.queue.get(offered.transfer_id) is not None, timeout=WAIT)
    assert panel.card(offered.transfer_id) is None  # nobody sees it: no card yet
    assert panel.notifier.sent  # but the agent is told at once
    # Nobody answers: the desk asks, and the server passes the call back to the queue.
    qtbot.waitUntil(lambda: offered.transfer_id in panel._asked_expiry, timeout=WAIT)
    qtbot.waitUntil(
        lambda: (t := panel.queue.get(offered.transfer_id)) is not None and t.status == "queued",
        timeout=WAIT,
    )
    assert panel.card(offered.transfer_id) is None
    panel.show()
    card = panel.card(offered.transfer_id)
    assert card is not None and card.isVisibleTo(panel)
    assert card.state.text() == "Waiting for any agent"
    assert "EMERGENCY" in card.badge.text()


def test_offers_run_out_only_for_this_agents_offers_past_their_time() -> None:
    queue = TransferQueue("agt_me", "available")
    now = datetime(2030, 1, 1, 9, 30, tzinfo=UTC)

    def offer(tid: str, agent: str, expires: datetime) -> Transfer:
        made = _transfer(tid, "normal", 0, status="connected", agent=agent)
        return made.model_copy(update={"offer_expires_at": expires})

    queue.apply(
        [
            offer("t_due", "agt_me", now - timedelta(seconds=1)),
            offer("t_now", "agt_me", now),
            offer("t_later", "agt_me", now + timedelta(seconds=5)),
            offer("t_other", "agt_other", now - timedelta(seconds=9)),
            _transfer("t_queued", "normal", 1),
        ]
    )
    assert sorted(queue.offers_run_out(now)) == ["t_due", "t_now"]
