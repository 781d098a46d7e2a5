"""The waitlist panel (Ctrl+6) over the demo clinic, on `LocalBackend` and through the sandbox:
a cancel frees a slot, the patients who fit are ranked, Enter books the first one; when another
desk took the slot or the patient first, this desk is told and the next one is offered; a panel
opened later (a desk restarted at noon) still offers the slots freed earlier that day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from frontdesk_app.domain import clock
from frontdesk_app.domain.models import (
    Appointment,
    AppointmentCancel,
    AppointmentCreate,
    AppointmentQuery,
    AppointmentReschedule,
    Event,
)
from frontdesk_app.domain.waitlist import FreeSlot, WaitlistRequest
from frontdesk_app.ui.waitlist.earlier import freed_today
from frontdesk_app.ui.waitlist.panel import WaitlistPanel
from tests.ui.panel_support import WAIT, ZONE, Desk, open_desk, panel_context, run

pytestmark = [
    pytest.mark.ui,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


@pytest.fixture(params=["local", "sandbox"])
def desk(
    request: pytest.FixtureRequest, qtbot: QtBot, loop: object, tmp_path: Path
) -> Iterator[Desk]:
    yield from open_desk(qtbot, tmp_path / "clinic.db", request.param)


@pytest.fixture
def panel(qtbot: QtBot, desk: Desk) -> WaitlistPanel:
    return _open_panel(qtbot, desk)


def _open_panel(qtbot: QtBot, desk: Desk) -> WaitlistPanel:
    """A waitlist panel over the desk's backend, shown and loaded."""
    ctx = panel_context(desk)
    made = WaitlistPanel(ctx)
    qtbot.addWidget(made)
    made.resize(1280, 700)
    made.show()
    made.on_shown()
    qtbot.waitUntil(lambda: bool(made.providers), timeout=WAIT)
    run(qtbot, desk.bridge.wait_idle())  # its first load is over
    return made


def _free_slot(qtbot: QtBot, desk: Desk) -> tuple[str, datetime]:
    """A provider's free 30 minutes on a coming weekday afternoon."""
    providers = run(qtbot, desk.backend.list_providers())
    for ahead in range(1, 10):
        day = clock.today(ZONE) + timedelta(days=ahead)
        for provider in providers:
            free = run(qtbot, desk.backend.provider_availability(provider.id, day, 30))
            later = [s for s in free.slots if s.start_time.astimezone(ZONE).hour >= 13]
            if later:
                return provider.id, later[0].start_time
    raise AssertionError("the demo clinic has no free afternoon")


def _patients(qtbot: QtBot, desk: Desk, count: int) -> list[str]:
    """Demo patients with nothing booked in the coming fortnight and not waiting already."""
    page = run(qtbot, desk.backend.search_patients(limit=200))
    start = clock.now()
    booked = run(
        qtbot,
        desk.backend.list_appointments(
            AppointmentQuery(start=start, end=start + timedelta(days=14), limit=1000)
        ),
    )
    busy = {a.patient_id for a in booked.data}
    waiting = {e.patient_id for e in run(qtbot, desk.backend.list_waitlist(None))}
    free = [p.id for p in page.data if p.id not in busy | waiting]
    assert len(free) >= count
    return free[:count]


def _wish(patient_id: str, provider_id: str | None, minutes: int = 30, **more: Any) -> Any:
    return WaitlistRequest(
        patient_id=patient_id,
        provider_id=provider_id,
        type="follow-up",
        duration_minutes=minutes,
        **more,
    )


def _shown_patients(panel: WaitlistPanel) -> list[str]:
    return [row.entry.patient_id for row in panel.rows]


def _book(qtbot: QtBot, desk: Desk, patient_id: str, provider_id: str, start: datetime) -> str:
    """A 30-minute consultation: its id."""
    booked = run(
        qtbot,
        desk.backend.create_appointment(
            AppointmentCreate(
                patient_id=patient_id,
                provider_id=provider_id,
                start_time=start,
                duration_minutes=30,
                type="consultation",
            )
        ),
    )
    return booked.id


def _book_and_cancel(
    qtbot: QtBot, desk: Desk, patient_id: str, provider_id: str, start: datetime
) -> Appointment:
    """A 30-minute consultation booked and cancelled: the cancelled appointment."""
    booked = _book(qtbot, desk, patient_id, provider_id, start)
    run(qtbot, desk.backend.cancel_appointment(booked, AppointmentCancel()))
    return run(qtbot, desk.backend.get_appointment(booked))


def _freed_by_a_cancel(qtbot: QtBot, desk: Desk, panel: WaitlistPanel) -> FreeSlot:
    """Book someone into a free afternoon slot, cancel it: the panel offers the freed time."""
    provider_id, start = _free_slot(qtbot, desk)
    [holder] = _patients(qtbot, desk, 1)
    _book_and_cancel(qtbot, desk, holder, provider_id, start)
    slot = FreeSlot(provider_id, start, 30)
    # The cancel's event reaches the panel: the freed time is listed on the left.
    qtbot.waitUntil(lambda: slot in panel.freed, timeout=WAIT)
    panel.slot_list.setCurrentRow(panel.freed.index(slot) + 1)
    qtbot.waitUntil(lambda: panel.selected_slot() == slot, timeout=WAIT)
    run(qtbot, desk.bridge.wait_idle())  # the panel has checked the time is still free
    assert panel.selected_slot() == slot
    return slot


def test_the_patients_who_fit_a_freed_slot_are_ranked_and_enter_books_the_first(
    qtbot: QtBot, desk: Desk, panel: WaitlistPanel
) -> None:
    provider_id, start = _free_slot(qtbot, desk)
    providers = run(qtbot, desk.backend.list_providers())
    other = next(p.id for p in providers if p.id != provider_id)
    anyone, named, shorter, elsewhere, wrong_day = _patients(qtbot, desk, 5)
    weekday = start.astimezone(ZONE).weekday()
    saves = {
        "wl_anyone00001": _wish(anyone, None),
        "wl_named000001": _wish(named, provider_id),
        "wl_shorter0001": _wish(shorter, provider_id, minutes=15),
        "wl_elsewhere01": _wish(elsewhere, other),
        "wl_wrongday001": _wish(wrong_day, None, weekdays=[(weekday + 1) % 7]),
    }
    for entry_id, wish in saves.items():
        run(qtbot, desk.backend.save_waitlist_entry(entry_id, wish))
    panel.reload()
    ours = {anyone, named, shorter, elsewhere, wrong_day}
    qtbot.waitUntil(lambda: ours <= {e.patient_id for e in panel.entries}, timeout=WAIT)

    slot = FreeSlot(provider_id, start, 30)
    panel.offer(slot)  # what the calendar's "Offer to the waitlist" does
    qtbot.waitUntil(lambda: panel.selected_slot() == slot, timeout=WAIT)
    ranked = [p for p in _shown_patients(panel) if p in ours]
    # Joined the same day: the one who named this provider and fills the slot, then the one
    # who named them with time to spare, then "any provider"; the others do not fit.
    assert ranked == [named, shorter, anyone]
    assert "fit" in panel.summary.text()

    first = next(i for i, r in enumerate(panel.rows) if r.entry.patient_id == named)
    panel.table.selectRow(first)
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Booked from the waitlist" in panel.message.title, timeout=WAIT)
    booked = run(qtbot, desk.backend.get_waitlist_entry("wl_named000001"))
    assert booked.status == "booked" and booked.appointment_id is not None
    appointment = run(qtbot, desk.backend.get_appointment(booked.appointment_id))
    assert (appointment.patient_id, appointment.start_time) == (named, start)
    assert slot not in panel.freed  # the slot is used up


def test_a_slot_another_desk_filled_first_is_said_and_leaves_the_list(
    qtbot: QtBot, desk: Desk, panel: WaitlistPanel
) -> None:
    [waiting, other_desks] = _patients(qtbot, desk, 2)
    run(qtbot, desk.backend.save_waitlist_entry("wl_waiting0001", _wish(waiting, None)))
    panel.reload()
    qtbot.waitUntil(lambda: any(e.patient_id == waiting for e in panel.entries), timeout=WAIT)
    slot = _freed_by_a_cancel(qtbot, desk, panel)
    # Another desk books the freed time for its own caller.
    run(
        qtbot,
        desk.backend.create_appointment(
            AppointmentCreate(
                patient_id=other_desks,
                provider_id=slot.provider_id,
                start_time=slot.start,
                duration_minutes=30,
                type="consultation",
            )
        ),
    )
    row = next(i for i, r in enumerate(panel.rows) if r.entry.patient_id == waiting)
    panel.table.selectRow(row)
    panel.book_selected()
    qtbot.waitUntil(lambda: slot not in panel.freed, timeout=WAIT)
    assert panel.message.title == "That time was just taken"
    assert panel.message.code == "slot_unavailable"
    entry = run(qtbot, desk.backend.get_waitlist_entry("wl_waiting0001"))
    assert entry.status == "waiting"  # nothing half-done: the patient still waits


def test_a_patient_another_desk_booked_first_gives_way_to_the_next(
    qtbot: QtBot, desk: Desk, panel: WaitlistPanel
) -> None:
    first, second = _patients(qtbot, desk, 2)
    run(qtbot, desk.backend.save_waitlist_entry("wl_first000001", _wish(first, None)))
    run(qtbot, desk.backend.save_waitlist_entry("wl_second00001", _wish(second, None)))
    panel.reload()
    qtbot.waitUntil(lambda: len({first, second} & set(_shown_patients(panel))) == 2, timeout=WAIT)
    slot = _freed_by_a_cancel(qtbot, desk, panel)
    # Another desk books the first patient on another day from its own list.
    day = slot.start.astimezone(ZONE).date()
    free = run(qtbot, desk.backend.provider_availability(slot.provider_id, day, 30))
    for _ahead in range(1, 8):
        if free.slots and free.slots[-1].start_time != slot.start:
            break
        day += timedelta(days=1)
        free = run(qtbot, desk.backend.provider_availability(slot.provider_id, day, 30))
    run(
        qtbot,
        desk.backend.create_appointment(
            AppointmentCreate(
                patient_id=first,
                provider_id=slot.provider_id,
                start_time=free.slots[-1].start_time,
                duration_minutes=30,
                type="follow-up",
                waitlist_entry_id="wl_first000001",
            )
        ),
    )
    row = next(i for i, r in enumerate(panel.rows) if r.entry.patient_id == first)
    panel.table.selectRow(row)
    panel.book_selected()
    qtbot.waitUntil(lambda: "Already booked elsewhere" in panel.message.title, timeout=WAIT)
    assert first not in _shown_patients(panel)
    chosen = panel.selected()
    assert chosen is not None and chosen.entry.patient_id != first  # the next one, ready
    assert slot in panel.freed  # the time itself is still free


def test_a_patient_is_added_with_what_they_asked_for(
    qtbot: QtBot, desk: Desk, panel: WaitlistPanel
) -> None:
    [patient_id] = _patients(qtbot, desk, 1)
    patient = run(qtbot, desk.backend.get_patient(patient_id))
    dialog = panel.open_add(patient)
    dialog.weekdays[0].setChecked(True)
    dialog.weekdays[3].setChecked(True)
    dialog.day_parts["morning"].setChecked(True)
    dialog.notes.setPlainText("can come at short notice")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: patient_id in _shown_patients(panel), timeout=WAIT)
    [entry] = [e for e in panel.entries if e.patient_id == patient_id]
    assert (entry.weekdays, entry.day_parts) == ([0, 3], ["morning"])
    assert entry.notes == "can come at short notice"


def test_what_a_patient_asked_for_is_changed_in_the_same_entry(
    qtbot: QtBot, desk: Desk, panel: WaitlistPanel
) -> None:
    [patient_id] = _patients(qtbot, desk, 1)
    saved = run(
        qtbot,
        desk.backend.save_waitlist_entry(
            "wl_change00001", _wish(patient_id, None, weekdays=[1], notes="mornings only")
        ),
    )
    panel.reload()
    qtbot.waitUntil(lambda: patient_id in _shown_patients(panel), timeout=WAIT)
    panel.slot_list.setCurrentRow(0)  # everyone waiting
    row = next(i for i, r in enumerate(panel.rows) if r.entry.id == "wl_change00001")
    item = panel.table.item(row, 0)
    assert item is not None
    panel.table.selectRow(row)
    assert panel.change_button.isEnabled()
    panel.table.itemDoubleClicked.emit(item)
    dialog = panel.active_dialog
    assert dialog is not None and dialog.windowTitle() == "Change the waitlist entry"
    # The form shows what was saved; the patient stays theirs.
    assert dialog.weekdays[1].isChecked() and not dialog.weekdays[0].isChecked()
    assert dialog.notes.toPlainText() == "mornings only"
    assert not dialog.patient.isEnabled()
    dialog.weekdays[3].setChecked(True)
    dialog.duration.setValue(45)
    dialog.notes.setPlainText("mornings, or Thursday afternoons")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.message.title == "Waitlist entry saved", timeout=WAIT)
    changed = run(qtbot, desk.backend.get_waitlist_entry("wl_change00001"))
    assert (changed.weekdays, changed.duration_minutes) == ([1, 3], 45)
    assert changed.notes == "mornings, or Thursday afternoons"
    assert (changed.patient_id, changed.created_at) == (patient_id, saved.created_at)
    qtbot.waitUntil(
        lambda: any(e.id == "wl_change00001" and e.duration_minutes == 45 for e in panel.entries),
        timeout=WAIT,
    )
    assert sum(e.patient_id == patient_id for e in panel.entries) == 1  # one entry, changed


def test_a_refused_save_keeps_what_was_entered(
    qtbot: QtBot, desk: Desk, panel: WaitlistPanel
) -> None:
    dialog = panel.open_add()
    dialog.notes.setPlainText("call after 5pm")
    dialog.submit()  # no patient chosen
    assert "patient" in dialog.message.title.lower() + dialog.message.text.lower()
    assert dialog.isVisible() and dialog.notes.toPlainText() == "call after 5pm"


def test_freed_times_are_listed_once_per_delivery_and_a_hidden_panel_catches_up_when_shown(
    qtbot: QtBot, desk: Desk, panel: WaitlistPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A draining queue brings cancellations many times a second: each redraw of the list ranks
    # everyone waiting for every freed time, so it happens once per delivery, only when seen.
    provider_id, start = _free_slot(qtbot, desk)
    [holder] = _patients(qtbot, desk, 1)
    free = run(qtbot, desk.backend.provider_availability(provider_id, start.date(), 30))
    starts: list[datetime] = []
    for s in (s.start_time for s in free.slots):
        if not starts or s >= starts[-1] + timedelta(minutes=30):
            starts.append(s)
    cancelled = []
    for begin in starts[:3]:
        cancelled.append(_book_and_cancel(qtbot, desk, holder, provider_id, begin))
    run(qtbot, desk.bridge.wait_idle())
    events = [
        Event(
            id=f"evt_{i}",
            seq=10_000 + i,
            type="appointment.cancelled",
            created_at=clock.now(),
            data=a.model_dump(mode="json"),
        )
        for i, a in enumerate(cancelled)
    ]
    fills: list[int] = []
    real_fill = panel.fill_slots
    monkeypatch.setattr(panel, "fill_slots", lambda: (fills.append(1), real_fill()))
    panel._on_events(events)
    assert len(fills) == 1
    assert panel.slot_list.count() == 1 + len(panel.freed)

    panel.hide()
    fills.clear()
    later = [e.model_copy(update={"seq": e.seq + 100}) for e in events]
    panel.freed.clear()
    panel._on_events(later)
    assert fills == []  # nobody sees it: not drawn
    assert len(panel.freed) == 3
    panel.show()
    panel.on_shown()
    assert fills == [1]
    assert panel.slot_list.count() == 1 + len(panel.freed)
    assert all(
        f"{s.start.astimezone(ZONE):%H:%M}" in panel.slot_list.item(i + 1).text()
        for i, s in enumerate(panel.freed)
    )


def _free_starts(qtbot: QtBot, desk: Desk, count: int) -> tuple[str, list[datetime]]:
    """A provider's `count` free half hours, apart, on one coming weekday."""
    providers = run(qtbot, desk.backend.list_providers())
    for ahead in range(1, 10):
        day = clock.today(ZONE) + timedelta(days=ahead)
        for provider in providers:
            free = run(qtbot, desk.backend.provider_availability(provider.id, day, 30))
            starts: list[datetime] = []
            for begin in (s.start_time for s in free.slots):
                if not starts or begin >= starts[-1] + timedelta(minutes=30):
                    starts.append(begin)
            if len(starts) >= count:
                return provider.id, starts[:count]
    raise AssertionError(f"the demo clinic has no day with {count} free half hours")


def test_a_panel_opened_later_offers_the_slots_freed_earlier_today_still_free(
    qtbot: QtBot, desk: Desk
) -> None:
    provider_id, starts = _free_starts(qtbot, desk, 4)
    cancelled_at, moved_from, moved_to, filled_again = starts
    first, second, third, fourth = _patients(qtbot, desk, 4)
    # Before the panel opens (this desk closed, or another desk): a cancel, a move, and a
    # cancel whose time another patient has taken since.
    _book_and_cancel(qtbot, desk, first, provider_id, cancelled_at)
    moved = _book(qtbot, desk, second, provider_id, moved_from)
    run(
        qtbot,
        desk.backend.reschedule_appointment(moved, AppointmentReschedule(new_start_time=moved_to)),
    )
    _book_and_cancel(qtbot, desk, third, provider_id, filled_again)
    _book(qtbot, desk, fourth, provider_id, filled_again)

    earlier = {
        (s.provider_id, s.start) for s in run(qtbot, freed_today(desk.backend, ZONE, limit=30))
    }
    freed = {(provider_id, cancelled_at), (provider_id, moved_from)}
    assert freed <= earlier
    assert (provider_id, filled_again) not in earlier  # taken again since: not offered
    assert (provider_id, moved_to) not in earlier

    panel = _open_panel(qtbot, desk)  # a desk restarted at noon: what its panel lists
    assert freed <= {(s.provider_id, s.start) for s in panel.freed}
    assert panel.slot_list.count() == 1 + len(panel.freed)
