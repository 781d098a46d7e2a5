"""The prescriptions panel against a demo clinic: by id, by patient, copy the pharmacy's phone,
an unknown id, and the last known status with its age when the connection is gone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from frontdesk_app.domain.errors import Offline
from frontdesk_app.domain.models import Page, Prescription
from frontdesk_app.domain.timeutil import utc_now
from frontdesk_app.store.tables import PrescriptionRow
from frontdesk_app.ui.audit_menu import set_audit_sink
from frontdesk_app.ui.prescriptions.panel import PrescriptionsPanel
from frontdesk_app.ui.prescriptions.service import status_words
from tests.ui.panel_support import (
    BACKENDS,
    WAIT,
    ZONE,
    Desk,
    open_desk,
    open_offline_first_desk,
    patient,
    run,
)
from tests.ui.test_eligibility import choose, wait_pulled

pytestmark = [
    pytest.mark.ui,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


class Clock:
    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=BACKENDS)
def desk(
    request: pytest.FixtureRequest, qtbot: QtBot, loop: object, tmp_path: Path
) -> Iterator[Desk]:
    yield from open_desk(qtbot, tmp_path / "clinic.db", request.param)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def panel(qtbot: QtBot, desk: Desk, clock: Clock) -> PrescriptionsPanel:
    widget = PrescriptionsPanel(desk.backend, desk.bridge, zone=ZONE, clock=clock)
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    return widget


def patient_with_most_prescriptions(desk: Desk) -> str:
    with desk.store.read() as session:
        row = session.execute(
            select(PrescriptionRow.patient_id, func.count())
            .group_by(PrescriptionRow.patient_id)
            .order_by(func.count().desc(), PrescriptionRow.patient_id)
            .limit(1)
        ).first()
    assert row is not None
    return str(row[0])


def find(qtbot: QtBot, panel: PrescriptionsPanel, text: str) -> object:
    panel.rx_id.setText(text)
    with qtbot.waitSignal(panel.lookup_shown, timeout=WAIT) as blocker:
        qtbot.mouseClick(panel.find_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def test_lookup_by_id_shows_status_refills_dates_and_pharmacy(
    qtbot: QtBot, desk: Desk, panel: PrescriptionsPanel
) -> None:
    pid = patient_with_most_prescriptions(desk)
    rx = run(qtbot, desk.backend.list_prescriptions(pid)).data[0]

    find(qtbot, panel, rx.id)

    assert panel.current == rx
    grid = panel.grid
    assert grid.value("medication") == rx.medication
    assert grid.value("status") == status_words(rx.status)
    assert grid.value("refills") == str(rx.refills_remaining)
    assert grid.value("pharmacy") == rx.pharmacy.name
    expected_next = (
        f"{rx.next_refill_date.astimezone(ZONE):%a %d %b %Y}" if rx.next_refill_date else "—"
    )
    assert grid.value("next_refill") == expected_next
    assert panel.phone.text() == rx.pharmacy.phone
    assert panel.banner.title.text() == status_words(rx.status)

    # One click puts the pharmacy's number on the clipboard.
    qtbot.mouseClick(panel.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == rx.pharmacy.phone
    assert panel.copied.text() == "Copied"


def test_lookup_by_patient_lists_every_prescription(
    qtbot: QtBot, desk: Desk, panel: PrescriptionsPanel
) -> None:
    who = patient(qtbot, desk.backend, patient_with_most_prescriptions(desk))
    expected: Page[Prescription] = run(qtbot, desk.backend.list_prescriptions(who.id))

    with qtbot.waitSignal(panel.lookup_shown, timeout=WAIT):
        choose(qtbot, panel.picker, who)

    assert panel.table.rowCount() == len(expected.data) > 1
    shown = {panel.table.item(r, 0).text() for r in range(panel.table.rowCount())}
    assert shown == {rx.medication for rx in expected.data}
    # The first row is selected and shown; choosing another row shows that one.
    assert panel.current == panel.prescriptions[0]
    panel.table.selectRow(1)
    assert panel.current == panel.prescriptions[1]
    assert panel.phone.text() == panel.prescriptions[1].pharmacy.phone


def test_a_caller_named_medication_is_selected(
    qtbot: QtBot, desk: Desk, panel: PrescriptionsPanel
) -> None:
    who = patient(qtbot, desk.backend, patient_with_most_prescriptions(desk))
    listed = run(qtbot, desk.backend.list_prescriptions(who.id)).data
    wanted = listed[-1].medication
    with qtbot.waitSignal(panel.lookup_shown, timeout=WAIT):
        panel.show_patient(who, medication=wanted)
    assert panel.current is not None and panel.current.medication == wanted


def test_unknown_id_is_reported_in_the_panel(
    qtbot: QtBot, desk: Desk, panel: PrescriptionsPanel
) -> None:
    panel.rx_id.setText("rx_doesnotexist")
    qtbot.mouseClick(panel.find_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.message.isHidden(), timeout=WAIT)
    assert panel.message.code == "not_found"
    assert panel.current is None


def test_offline_shows_the_last_known_status_with_its_age(
    qtbot: QtBot,
    desk: Desk,
    panel: PrescriptionsPanel,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pid = patient_with_most_prescriptions(desk)
    rx = run(qtbot, desk.backend.list_prescriptions(pid)).data[0]
    find(qtbot, panel, rx.id)
    assert panel.notice.isHidden()

    clock.now = clock.now + timedelta(hours=5, minutes=10)

    async def unreachable(prescription_id: str) -> Prescription:
        raise Offline("The clinic's server cannot be reached.")

    monkeypatch.setattr(desk.backend, "get_prescription", unreachable)
    lookup = find(qtbot, panel, rx.id)

    assert lookup.freshness.offline  # type: ignore[attr-defined]
    assert panel.current == rx
    assert panel.notice.title.text() == "Offline · Fetched 5 h ago, offline"
    assert "last known status" in panel.notice.detail.text()

    # A prescription this desk never fetched: says so instead of showing nothing silently.
    find(qtbot, panel, "rx_neverseen")
    assert panel.current is None
    assert "has not looked up" in panel.notice.detail.text()


@pytest.fixture
def offline_desk(qtbot: QtBot, loop: object, tmp_path: Path) -> Iterator[Desk]:
    yield from open_offline_first_desk(qtbot, tmp_path)


def test_offline_first_backend_shows_cached_prescriptions_with_their_age(
    qtbot: QtBot, offline_desk: Desk, clock: Clock
) -> None:
    """Looked up online through the sandbox; the sandbox goes away; the panel still shows the
    patient's prescriptions from the offline cache, with when they were fetched."""
    desk = offline_desk
    panel = PrescriptionsPanel(desk.backend, desk.bridge, zone=ZONE, clock=clock)
    qtbot.addWidget(panel)
    panel.show()
    pid = patient_with_most_prescriptions(desk)
    wait_pulled(qtbot, desk, pid)
    who = patient(qtbot, desk.backend, pid)
    with qtbot.waitSignal(panel.lookup_shown, timeout=WAIT) as blocker:
        panel.show_patient(who)
    online = blocker.args[0].prescriptions
    assert online and panel.notice.isHidden()

    assert desk.server is not None
    desk.server.stop()
    clock.now = clock.now + timedelta(hours=2, minutes=1)
    with qtbot.waitSignal(panel.lookup_shown, timeout=WAIT) as blocker:
        panel.show_patient(who)

    lookup = blocker.args[0]
    assert lookup.freshness.offline
    assert {rx.id for rx in lookup.prescriptions} == {rx.id for rx in online}
    assert panel.notice.title.text() == "Offline · Fetched 2 h ago, offline"


# --- one patient at a time ------------------------------------------------------------------


@pytest.fixture
def local_panel(
    qtbot: QtBot, loop: object, tmp_path: Path, clock: Clock
) -> Iterator[tuple[Desk, PrescriptionsPanel]]:
    for desk in open_desk(qtbot, tmp_path / "clinic.db", "local"):
        widget = PrescriptionsPanel(desk.backend, desk.bridge, zone=ZONE, clock=clock)
        qtbot.addWidget(widget)
        widget.resize(1100, 700)
        widget.show()
        yield desk, widget


def patients_with_prescriptions(desk: Desk, count: int) -> list[str]:
    with desk.store.read() as session:
        rows = session.execute(
            select(PrescriptionRow.patient_id, func.count())
            .group_by(PrescriptionRow.patient_id)
            .having(func.count() > 1)
            .order_by(func.count().desc(), PrescriptionRow.patient_id)
            .limit(count)
        ).all()
    return [str(r[0]) for r in rows]


def test_lookup_by_id_switches_the_patient_and_a_new_patient_replaces_every_result(
    qtbot: QtBot, local_panel: tuple[Desk, PrescriptionsPanel]
) -> None:
    """The issue: `rx_…` of A looked up while the box named B, then C picked: C's list with
    its first row highlighted, but A's prescription still in the detail, unnamed."""
    desk, panel = local_panel
    a_id, b_id, c_id = patients_with_prescriptions(desk, 3)
    a, b, c = (patient(qtbot, desk.backend, i) for i in (a_id, b_id, c_id))
    noted: list[tuple[str, str | None, str | None]] = []
    set_audit_sink(lambda action, who, obj: noted.append((action, who, obj)))
    with qtbot.waitSignal(panel.lookup_shown, timeout=WAIT):
        panel.show_patient(b)
    assert panel.header.text().startswith(b.full_name)

    rx_a = run(qtbot, desk.backend.list_prescriptions(a.id)).data[-1]
    find(qtbot, panel, rx_a.id)
    # The look-up by id says whose it is and makes A the panel's patient.
    assert panel.patient == a
    assert panel.header.text().startswith(a.full_name)
    assert panel.picker.search.text() == a.full_name
    assert panel.current == rx_a
    assert panel.grid.value("patient").startswith(a.full_name)
    assert {rx.patient_id for rx in panel.prescriptions} == {a.id}
    selected = panel.table.selectionModel().selectedRows()
    assert [panel.prescriptions[r.row()] for r in selected] == [rx_a]

    with qtbot.waitSignal(panel.lookup_shown, timeout=WAIT):
        choose(qtbot, panel.picker, c)
    assert panel.header.text().startswith(c.full_name)
    assert {rx.patient_id for rx in panel.prescriptions} == {c.id}
    assert panel.current == panel.prescriptions[0]
    assert panel.grid.value("patient").startswith(c.full_name)
    set_audit_sink(None)
    # Each patient whose prescriptions were shown is in the audit log.
    assert [(action, who) for action, who, _ in noted] == [
        ("patient.view", b.id),
        ("patient.view", a.id),
        ("patient.view", c.id),
    ]
    # Clicking the highlighted row shows it (again), another row shows that one.
    panel.current = None
    rect = panel.table.visualRect(panel.table.model().index(0, 0))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.current == panel.prescriptions[0]

    # "Not found" never sits above the previous prescription.
    panel.rx_id.setText("rx_doesnotexist")
    qtbot.mouseClick(panel.find_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.message.isHidden(), timeout=WAIT)
    assert panel.message.code == "not_found"
    assert panel.current is None
    assert not panel.grid.isVisible()


def test_a_slow_answer_for_a_is_dropped_once_b_is_chosen(
    qtbot: QtBot, local_panel: tuple[Desk, PrescriptionsPanel], monkeypatch: pytest.MonkeyPatch
) -> None:
    desk, panel = local_panel
    a_id, b_id = patients_with_prescriptions(desk, 2)
    a, b = patient(qtbot, desk.backend, a_id), patient(qtbot, desk.backend, b_id)
    gate = asyncio.Event()
    real = desk.backend.list_prescriptions

    async def slow_for_a(patient_id: str, **kwargs: Any) -> Page[Prescription]:
        if patient_id == a.id:
            await gate.wait()
        return await real(patient_id, **kwargs)

    monkeypatch.setattr(desk.backend, "list_prescriptions", slow_for_a)
    choose(qtbot, panel.picker, a)
    with qtbot.waitSignal(panel.lookup_shown, timeout=WAIT):
        choose(qtbot, panel.picker, b)
    with qtbot.assertNotEmitted(panel.lookup_shown, wait=300):
        gate.set()
        run(qtbot, desk.bridge.wait_idle())
    assert panel.patient == b
    assert {rx.patient_id for rx in panel.prescriptions} == {b.id}
    assert panel.current is not None and panel.current.patient_id == b.id
    # Clearing the box un-chooses the patient and clears every result.
    panel.picker.search.clear()
    assert panel.patient is None and panel.current is None and not panel.prescriptions
    assert panel.header.text() == "No patient chosen"
