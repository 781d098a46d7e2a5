"""New patients at the desk: registered from the booking dialog's patient search (prefilled
with what was typed), a likely duplicate offered instead, and a caller the clinic does not know
registered from the call, prefilled from what the assistant collected, then booked."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, QSettings, Qt
from pytestqt.qtbot import QtBot

from frontdesk_app.config import Settings
from frontdesk_app.domain import clock
from frontdesk_app.domain.ids import has_prefix, is_temporary_patient
from frontdesk_app.domain.models import (
    AppointmentQuery,
    Call,
    Page,
    Prescription,
    SimulatedCallRequest,
    TransferRequest,
)
from frontdesk_app.ui.audit_menu import set_audit_sink
from frontdesk_app.ui.calendar.booking_dialog import BookingDialog
from frontdesk_app.ui.calendar.change_dialogs import RescheduleDialog
from frontdesk_app.ui.calls.panel import CallsPanel
from frontdesk_app.ui.main_window import MainWindow
from frontdesk_app.ui.patients.card import PatientCard
from frontdesk_app.ui.patients.new_patient_dialog import NewPatientDialog
from tests.ui.panel_support import WAIT, ZONE, Desk, open_desk, open_offline_first_desk, run

pytestmark = [
    pytest.mark.ui,
    # Offscreen windows cannot be raised; the card and the finder ask to be (harmless here).
    pytest.mark.qt_log_ignore(
        "This plugin does not support propagateSizeHints", "This plugin does not support raise"
    ),
]


@pytest.fixture
def desk(qtbot: QtBot, loop: object, tmp_path: Path) -> Iterator[Desk]:
    yield from open_desk(qtbot, tmp_path / "clinic.db", "local")


def booking_dialog(qtbot: QtBot, desk: Desk) -> BookingDialog:
    providers = run(qtbot, desk.backend.list_providers())
    dialog = BookingDialog(desk.backend, desk.bridge, providers=providers, zone=ZONE)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def register_from(qtbot: QtBot, dialog: BookingDialog) -> NewPatientDialog:
    qtbot.mouseClick(dialog.patient.new_button, Qt.MouseButton.LeftButton)
    form = dialog.patient.new_patient_dialog
    assert form is not None
    qtbot.waitUntil(lambda: form.payer.count() > 1, timeout=WAIT)
    return form


def test_a_new_patient_is_registered_from_the_booking_dialog_and_a_duplicate_offered(
    qtbot: QtBot, desk: Desk
) -> None:
    dialog = booking_dialog(qtbot, desk)
    qtbot.keyClicks(dialog.patient.field, "Ingrid Vasquez-Thorne")
    dialog.patient.search_now()
    qtbot.waitUntil(dialog.patient.results.isVisible, timeout=WAIT)
    assert "No patient matches" in dialog.patient.results.item(0).text()

    form = register_from(qtbot, dialog)
    # Prefilled from what was typed in the search.
    assert (form.first_name.text(), form.last_name.text()) == ("Ingrid", "Vasquez-Thorne")
    form.date_of_birth.setDate(QDate(1993, 4, 9))
    qtbot.keyClicks(form.phone, "555 010 9911")
    form.payer.setCurrentIndex(1)
    qtbot.keyClicks(form.member_id, "IVT-22841")
    qtbot.mouseClick(form.register_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.patient.patient is not None, timeout=WAIT)
    made = dialog.patient.patient
    assert made is not None and has_prefix(made.id, "pat")
    assert made.date_of_birth == date(1993, 4, 9) and made.insurance is not None
    assert "Vasquez-Thorne, Ingrid" in dialog.patient.chosen.text()
    dialog.reject()

    # The same person again: the existing record is offered, and choosing it books them.
    again = booking_dialog(qtbot, desk)
    qtbot.keyClicks(again.patient.field, "Ingrid Vasquez-Thorne")
    form = register_from(qtbot, again)
    form.date_of_birth.setDate(QDate(1993, 4, 9))
    qtbot.keyClicks(form.phone, "555 222 0000")
    qtbot.mouseClick(form.register_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.duplicates.count() == 1, timeout=WAIT)
    assert form.message.code == "possible_duplicate"
    assert form.first_name.text() == "Ingrid"  # nothing typed is lost
    qtbot.mouseClick(form.use_button, Qt.MouseButton.LeftButton)
    assert again.patient.patient == made


def test_a_refused_registration_marks_the_fields_and_keeps_the_text(
    qtbot: QtBot, desk: Desk
) -> None:
    dialog = booking_dialog(qtbot, desk)
    form = register_from(qtbot, dialog)
    qtbot.keyClicks(form.first_name, "Pip")
    qtbot.keyClicks(form.phone, "12")
    qtbot.mouseClick(form.register_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.message.code == "validation_failed", timeout=WAIT)
    assert form.last_name.property("invalid") and form.phone.property("invalid")
    assert not form.first_name.property("invalid")
    assert (form.first_name.text(), form.phone.text()) == ("Pip", "12")
    assert form.isVisible() and dialog.patient.patient is None


def unknown_caller(qtbot: QtBot, desk: Desk) -> Call:
    """A booking call from someone the clinic has no record of (a few tries at most)."""
    for _ in range(60):
        call = run(
            qtbot,
            desk.backend.simulate_call(SimulatedCallRequest(scenario="book_appointment")),
        )
        if call.caller.patient_id is None and not _resembles_a_patient(qtbot, desk, call):
            run(qtbot, desk.backend.transfer_call(call.id, TransferRequest()))
            return call
    raise AssertionError("the simulator gave no unknown caller in 60 calls")


def _resembles_a_patient(qtbot: QtBot, desk: Desk, call: Call) -> bool:
    """A made-up caller whose phone number or name and birth date a demo patient happens to
    have: registering them would rightly ask "is this the same person?" first."""
    data = call.collected_data
    for query in (call.caller.phone or "", str(data.get("patient_name") or "")):
        found = run(qtbot, desk.backend.search_patients(query)) if query else None
        for patient in found.data if found is not None else []:
            same_person = patient.full_name == data.get("patient_name") and str(
                patient.date_of_birth
            ) == str(data.get("date_of_birth"))
            if same_person or patient.phone == call.caller.phone:
                return True
    return False


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


def test_a_caller_unknown_to_the_clinic_is_registered_from_the_call_then_booked(
    qtbot: QtBot, desk: Desk, window: MainWindow
) -> None:
    agents = run(qtbot, desk.backend.list_agents())
    for agent in agents:
        run(qtbot, desk.backend.set_agent_status(agent.id, "away"))
    calls = window.show_panel("calls")
    assert isinstance(calls, CallsPanel)
    calls.set_agent(agents[0].id)
    qtbot.waitUntil(lambda: calls.control.agent.currentData() == agents[0].id, timeout=WAIT)
    calls.set_status("available")
    qtbot.waitUntil(lambda: calls.queue.status == "available", timeout=WAIT)
    call = unknown_caller(qtbot, desk)
    qtbot.waitUntil(lambda: any(t.call_id == call.id for t in calls.queue.queue()), timeout=WAIT)
    transfer = next(t for t in calls.queue.queue() if t.call_id == call.id)
    calls.accept(transfer.transfer_id)
    qtbot.waitUntil(lambda: calls.detail.mine, timeout=WAIT)
    button = calls.detail.action_buttons["new_patient"]
    assert button.isVisible() and button.isEnabled()
    assert calls.detail.patient_line.text() == "Patient: no record matches this caller"

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(calls.findChildren(NewPatientDialog)), timeout=WAIT)
    form = calls.findChildren(NewPatientDialog)[-1]
    first, last = call.collected_data["patient_name"].rsplit(" ", 1)
    assert (form.first_name.text(), form.last_name.text()) == (first, last)
    born = call.collected_data["date_of_birth"]
    assert form.date_of_birth.date().toString("yyyy-MM-dd") == born
    assert form.phone.text() == call.caller.phone
    qtbot.mouseClick(form.register_button, Qt.MouseButton.LeftButton)

    calendar = window.panel("calendar")
    assert calendar is not None
    qtbot.waitUntil(lambda: bool(calendar.findChildren(BookingDialog)), timeout=WAIT)
    booking = calendar.findChildren(BookingDialog)[-1]
    chosen = booking.patient.patient
    assert chosen is not None and chosen.full_name == call.collected_data["patient_name"]
    assert booking.chosen_day().strftime("%A") == call.collected_data["preferred_day"]
    booking.reject()


# --- a patient at hand from anywhere: Ctrl+K → card → rescheduled ----------------------------


def test_ctrl_k_finds_the_patient_whose_card_reschedules_their_appointment(
    qtbot: QtBot, desk: Desk, window: MainWindow
) -> None:
    now = clock.now()
    upcoming = run(
        qtbot,
        desk.backend.list_appointments(
            AppointmentQuery(start=now + timedelta(days=1), end=now + timedelta(days=8))
        ),
    ).data
    target = next(a for a in upcoming if a.active)
    who = run(qtbot, desk.backend.get_patient(target.patient_id))
    window.show_panel("prescriptions")  # from any panel
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    finder = window.patient_finder.finder  # type: ignore[union-attr]
    qtbot.waitUntil(finder.isVisible, timeout=WAIT)
    qtbot.keyClicks(finder.picker.search, who.full_name)
    qtbot.waitUntil(finder.picker.results.isVisible, timeout=WAIT)
    row = next(
        i
        for i in range(finder.picker.results.count())
        if finder.picker.results.item(i).data(Qt.ItemDataRole.UserRole).id == who.id
    )
    qtbot.keyClick(finder.picker.search, Qt.Key.Key_Down)
    finder.picker.results.setCurrentRow(row)
    with qtbot.waitSignal(finder.picker.patient_chosen, timeout=WAIT):
        qtbot.keyClick(finder.picker.results, Qt.Key.Key_Return)
    card = finder.card
    assert card is not None and card.isVisible() and not finder.isVisible()
    assert card.header.text().startswith(who.full_name)
    qtbot.waitUntil(lambda: card.data is not None, timeout=WAIT)
    card_loaded = card.data
    assert card_loaded is not None
    assert any(a.id == target.id for a in card_loaded.upcoming)
    assert card.insurance.text()  # the insurance and the last answer (or "not checked yet")

    rows = [
        card.upcoming.item(r, 0).data(Qt.ItemDataRole.UserRole)
        for r in range(card.upcoming.rowCount())
    ]
    card.upcoming.selectRow(next(i for i, a in enumerate(rows) if a.id == target.id))
    with qtbot.waitSignal(card.change_opened, timeout=WAIT) as opened:
        qtbot.mouseClick(card.reschedule_button, Qt.MouseButton.LeftButton)
    dialog = opened.args[0]
    assert isinstance(dialog, RescheduleDialog)
    assert window.current_panel_key() == "calendar"  # the calendar jumped to it
    assert dialog.view.id == target.id
    qtbot.waitUntil(lambda: dialog.time.count() > 0 and not dialog.time.loading, timeout=WAIT)
    free = [dialog.time.itemData(i) for i in range(dialog.time.count())]
    new_start = next(s for s in free if s is not None and s != target.start_time)
    dialog.time.setCurrentIndex(free.index(new_start))
    with qtbot.waitSignal(card.loaded, timeout=WAIT):
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    moved = run(qtbot, desk.backend.get_appointment(target.id))
    assert moved.status == "rescheduled" and moved.start_time == new_start
    assert card.data is not None
    assert next(a for a in card.data.upcoming if a.id == target.id).start_time == new_start


def test_the_card_is_bound_to_one_patient_and_drops_a_late_answer(
    qtbot: QtBot, desk: Desk, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = run(qtbot, desk.backend.search_patients(None, limit=2)).data
    a, b = page[0], page[1]
    gate = asyncio.Event()
    real = desk.backend.list_prescriptions

    async def slow_for_a(patient_id: str, **kwargs: Any) -> Page[Prescription]:
        if patient_id == a.id:
            await gate.wait()
        return await real(patient_id, **kwargs)

    monkeypatch.setattr(desk.backend, "list_prescriptions", slow_for_a)
    assert window.context is not None
    card = PatientCard(window.context, window)
    qtbot.addWidget(card)
    noted: list[tuple[str, str | None, str | None]] = []
    set_audit_sink(lambda action, patient, obj: noted.append((action, patient, obj)))
    try:
        card.show_patient(a)
        with qtbot.waitSignal(card.loaded, timeout=WAIT) as shown:
            card.show_patient(b)
        assert shown.args[0].patient == b
        with qtbot.assertNotEmitted(card.loaded, wait=200):
            gate.set()
            run(qtbot, window.bridge.wait_idle())
        assert card.data is not None and card.data.patient == b
        assert card.header.text().startswith(b.full_name)
        with qtbot.waitSignal(card.loaded, timeout=WAIT):
            card.reload()  # after a change made from the card: not another look
    finally:
        set_audit_sink(None)
    # Each patient looked at is in the audit log, once.
    assert noted == [("patient.view", a.id, None), ("patient.view", b.id, None)]


@pytest.fixture
def offline_first(qtbot: QtBot, loop: object, tmp_path: Path) -> Iterator[Desk]:
    yield from open_offline_first_desk(qtbot, tmp_path)


def test_offline_a_new_patient_is_registered_and_booked_at_once(
    qtbot: QtBot, offline_first: Desk
) -> None:
    desk = offline_first
    assert desk.server is not None
    # The mirror's first pull has brought the clinic in (the directory and the appointments:
    # stopping the server halfway left free times offered that the booking then found taken).
    puller = desk.backend.puller  # type: ignore[attr-defined]
    assert puller is not None and run(qtbot, puller.wait_pulled(WAIT / 1000))
    qtbot.waitUntil(lambda: len(run(qtbot, desk.backend.list_payers())) > 1, timeout=WAIT)
    desk.server.stop()  # the connection is gone, and the desk has noticed
    run(qtbot, desk.backend.list_agents())
    qtbot.waitUntil(
        lambda: desk.backend.state.connection == "offline",  # type: ignore[attr-defined]
        timeout=WAIT,
    )
    dialog = booking_dialog(qtbot, desk)
    qtbot.keyClicks(dialog.patient.field, "Wilhelmina Okonkwo-Hart")
    form = register_from(qtbot, dialog)
    form.date_of_birth.setDate(QDate(1979, 9, 12))
    qtbot.keyClicks(form.phone, "555 010 4455")
    qtbot.mouseClick(form.register_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.patient.patient is not None, timeout=WAIT)
    made = dialog.patient.patient
    assert made is not None and is_temporary_patient(made.id)
    # Booked on this computer at once, waiting to reach the server after the registration.
    qtbot.waitUntil(lambda: dialog.time.count() > 0 and not dialog.time.loading, timeout=WAIT)
    start = next(
        (dialog.time.itemData(i) for i in range(dialog.time.count()) if dialog.time.itemData(i)),
        None,
    )
    if start is None:  # today is full or over: the next day has room
        dialog.day.setDate(dialog.day.date().addDays(1))
        qtbot.waitUntil(lambda: not dialog.time.loading and dialog.time.count() > 0, timeout=WAIT)
    qtbot.waitUntil(lambda: dialog.time.selected() is not None, timeout=WAIT)
    with qtbot.waitSignal(dialog.booked, timeout=WAIT) as booked:
        qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    appointment = booked.args[0]
    assert appointment.patient_id == made.id
    assert desk.backend.sync_status(appointment.id) == "pending"  # type: ignore[attr-defined]
    assert desk.backend.state.pending == 2  # type: ignore[attr-defined]
