"""The calendar's eligibility badge and the eligibility history across sessions.

Each appointment shows its latest eligibility state (eligible, not eligible, unknown, stale) as
a small mark, from the window's shared check history; it changes as soon as a check finishes
(one check or tomorrow's batch). The history itself comes from the backend, so a new session
over the same store shows the earlier session's checks in the panel and on the calendar.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor, QFontMetrics
from pytestqt.qtbot import QtBot

from frontdesk_app.config import Settings
from frontdesk_app.domain import clock
from frontdesk_app.domain.models import (
    AppointmentQuery,
    Coverage,
    EligibilityRequest,
    EligibilityResult,
    Patient,
)
from frontdesk_app.domain.timeutil import utc_now
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.sync.backend import OfflineFirstBackend
from frontdesk_app.ui.calendar.cards import BADGE_INSET, BADGE_RADIUS
from frontdesk_app.ui.calendar.eligibility_badges import BADGE_STYLES, EligibilityBadges
from frontdesk_app.ui.calendar.legend import Legend
from frontdesk_app.ui.calendar.model import AppointmentView
from frontdesk_app.ui.calendar.panel import CalendarPanel, calendar_panel_spec
from frontdesk_app.ui.calendar.view_chrome import initials, short_name
from frontdesk_app.ui.eligibility.panel import (
    EligibilityPanel,
    eligibility_panel_spec,
    shared_history,
)
from frontdesk_app.ui.eligibility.state import CheckHistory
from frontdesk_app.ui.main_window import MainWindow
from tests.ui.calendar_support import ZONE
from tests.ui.panel_support import (
    WAIT,
    Desk,
    open_offline_first_desk,
    patients_by_enrolment,
    run,
)

pytestmark = [
    pytest.mark.ui,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


@dataclass
class Window:
    window: MainWindow
    calendar: CalendarPanel
    eligibility: EligibilityPanel
    backend: LocalBackend

    @property
    def history(self) -> CheckHistory:
        assert self.window.context is not None
        return shared_history(self.window.context)

    @property
    def badges(self) -> EligibilityBadges:
        return self.calendar.badges.badges


def open_window(qtbot: QtBot, store: Path, home: Path) -> Generator[Window, None, None]:
    """The main window with the calendar and eligibility panels over a demo `LocalBackend`."""
    backend = LocalBackend.open(store, demo=True)
    settings = Settings(environment="standalone", clinic_timezone=ZONE.key)
    qsettings = QSettings(str(home / "window.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, qsettings=qsettings, settings_path=home / "s.json")
    window.resize(1400, 900)
    window.show()
    window.attach(
        backend, environment="Test", specs=[calendar_panel_spec(), eligibility_panel_spec()]
    )
    calendar, eligibility = window.panel("calendar"), window.panel("eligibility")
    assert isinstance(calendar, CalendarPanel) and isinstance(eligibility, EligibilityPanel)
    window.show_panel("calendar")
    qtbot.waitUntil(lambda: calendar.loaded, timeout=WAIT)
    try:
        yield Window(window, calendar, eligibility, backend)
    finally:
        run(qtbot, window.bridge.wait_idle())
        run(qtbot, window.detach())
        run(qtbot, backend.aclose())
        window.errors.close_reports()
        window.close()
        window.deleteLater()


@pytest.fixture
def desk(qtbot: QtBot, loop: object, tmp_path: Path) -> Iterator[Window]:
    yield from open_window(qtbot, tmp_path / "clinic.sqlite", tmp_path)


def settle(qtbot: QtBot, w: Window) -> None:
    qtbot.waitUntil(lambda: w.window.bridge.in_flight == 0, timeout=WAIT)


def show_day_of(qtbot: QtBot, w: Window, view: AppointmentView) -> None:
    """Bring an appointment into view, loaded, with nothing left to load."""
    before = w.calendar.load_count
    w.calendar.show_instant(view.provider_id, view.start)
    w.calendar.reload()
    qtbot.waitUntil(lambda: w.calendar.load_count > before, timeout=WAIT)
    settle(qtbot, w)


def insured_visits(qtbot: QtBot, w: Window, count: int) -> list[tuple[AppointmentView, Patient]]:
    """Active appointments in the coming week of different patients insured with a payer that
    answers, each with its patient."""
    payers = {p.id: p for p in run(qtbot, w.backend.list_payers())}
    now = utc_now()
    page = run(
        qtbot,
        w.backend.list_appointments(
            AppointmentQuery(start=now + timedelta(hours=2), end=now + timedelta(days=8), limit=400)
        ),
    )
    found: list[tuple[AppointmentView, Patient]] = []
    seen: set[str] = set()
    for appointment in page.data:
        if not appointment.active or appointment.patient_id in seen:
            continue
        patient = run(qtbot, w.backend.get_patient(appointment.patient_id))
        if patient.insurance is None or not payers[patient.insurance.payer_id].available:
            continue
        seen.add(patient.id)
        found.append((AppointmentView.from_appointment(appointment), patient))
        if len(found) == count:
            return found
    raise AssertionError("not enough insured appointments in the demo week")


def answer(
    view: AppointmentView,
    *,
    eligible: bool,
    verified: datetime,
    check_id: str,
    day: date | None = None,
) -> EligibilityResult:
    return EligibilityResult(
        eligible=eligible,
        payer="Payer",
        member_id="M1",
        coverage=Coverage(copay=25, deductible_remaining=0, coinsurance_pct=20, in_network=True),
        verified_at=verified,
        id=check_id,
        patient_id=view.patient_id,
        payer_id="payer_x",
        date_of_service=day or view.start.astimezone(ZONE).date(),
    )


def badge_pixel(w: Window, appointment_id: str) -> QColor:
    """The colour painted at the centre of an appointment's badge (its top-right corner)."""
    view = w.calendar.view
    rect = view.viewport_rect_of(appointment_id)
    assert rect is not None and view.viewport().rect().contains(rect.center())
    x = rect.right() - BADGE_INSET - BADGE_RADIUS
    y = rect.top() + 3 + QFontMetrics(view.font()).height() / 2  # the first line's middle
    image = view.viewport().grab().toImage()
    ratio = image.devicePixelRatio()
    return image.pixelColor(round(x * ratio), round(y * ratio))


def close_to(colour: QColor, wanted: QColor) -> bool:
    got = (colour.red(), colour.green(), colour.blue())
    want = (wanted.red(), wanted.green(), wanted.blue())
    return all(abs(a - b) <= 40 for a, b in zip(got, want, strict=True))


def test_the_badge_shows_eligible_not_eligible_unknown_and_stale(
    qtbot: QtBot, desk: Window
) -> None:
    (visit, _), (other, _) = insured_visits(qtbot, desk, 2)
    show_day_of(qtbot, desk, visit)
    badges, view = desk.badges, desk.calendar.view
    assert badges.state(visit) == "unknown"  # the demo clinic has no checks yet
    assert badges.badge(visit) is badges.badge(visit)  # worked out once, then looked up
    assert badges.badge(visit).text == "Insurance: not checked yet"  # type: ignore[union-attr]
    now = utc_now()

    painted = view.paint_count
    desk.history.add(answer(visit, eligible=True, verified=now - timedelta(hours=2), check_id="e1"))
    qtbot.waitUntil(lambda: view.paint_count > painted, timeout=WAIT)
    shown = badges.badge(visit)
    assert shown is not None and badges.state(visit) == "eligible"
    assert (shown.shape, shown.text) == ("dot", "Insurance: eligible (checked 2 h ago)")
    assert close_to(badge_pixel(desk, visit.id), BADGE_STYLES["eligible"].colour)
    view.select(visit.id)
    assert "Insurance: eligible (checked 2 h ago)" in view.accessibleDescription()

    desk.history.add(answer(visit, eligible=False, verified=now, check_id="e2"))
    qtbot.waitUntil(lambda: badges.state(visit) == "not_eligible", timeout=WAIT)
    qtbot.waitUntil(
        lambda: "Insurance: not eligible (checked just now)" in view.accessibleDescription(),
        timeout=WAIT,
    )
    assert badges.badge(visit).shape == "diamond"  # type: ignore[union-attr]
    assert close_to(badge_pixel(desk, visit.id), BADGE_STYLES["not_eligible"].colour)

    # An answer four days old is shown as needing a fresh check, as is one for another day.
    old = answer(other, eligible=True, verified=now - timedelta(days=4), check_id="e3", day=None)
    desk.history.add(old)
    assert badges.state(other) == "stale"
    assert badges.badge(other).shape == "half"  # type: ignore[union-attr]
    assert badges.badge(other).text == "Insurance: checked 4 days ago; check again"  # type: ignore[union-attr]
    elsewhere = answer(
        visit,
        eligible=True,
        verified=now,
        check_id="e4",
        day=clock.today(ZONE) + timedelta(days=60),
    )
    desk.history.add(elsewhere)
    assert badges.state(visit) == "not_eligible"  # the answer for its own day still counts
    # A cancelled appointment carries no badge.
    assert badges.badge(replace(visit, status="cancelled")) is None


def test_painting_asks_the_backend_nothing(
    qtbot: QtBot, desk: Window, monkeypatch: pytest.MonkeyPatch
) -> None:
    (visit, _), *_ = insured_visits(qtbot, desk, 1)
    show_day_of(qtbot, desk, visit)
    calls: list[str] = []

    def spy_on(target: object, name: str) -> None:
        original = getattr(target, name)

        def spy(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return original(*args, **kwargs)

        monkeypatch.setattr(target, name, spy)

    for name in ("list_eligibility_checks", "get_patient", "list_appointments"):
        spy_on(desk.backend, name)
    spy_on(desk.backend.store, "read")
    before = desk.calendar.view.paint_count
    desk.calendar.view.viewport().repaint()
    assert desk.calendar.view.paint_count > before
    assert calls == []


def test_a_check_and_tomorrows_batch_update_the_calendar_live(qtbot: QtBot, desk: Window) -> None:
    (visit, patient), *_ = insured_visits(qtbot, desk, 1)
    show_day_of(qtbot, desk, visit)
    badges = desk.badges
    assert badges.state(visit) == "unknown"
    panel = desk.eligibility
    panel.prefill(patient, date_of_service=visit.start.astimezone(ZONE).date())
    qtbot.waitUntil(panel.check_button.isEnabled, timeout=WAIT)
    with qtbot.waitSignal(panel.outcome_shown, timeout=WAIT):
        panel.run_check()
    qtbot.waitUntil(lambda: badges.state(visit) in ("eligible", "not_eligible"), timeout=WAIT)

    # Tomorrow's batch: every appointment of the day in view gets a state as the checks finish.
    day = panel.batch.tomorrow()
    first = next(
        (v for v in desk.calendar.model.all() if v.start.astimezone(ZONE).date() == day), None
    )
    if first is None:  # tomorrow is a day off at the demo clinic: check the visit's day
        day = visit.start.astimezone(ZONE).date()
    before = desk.calendar.load_count
    desk.calendar.set_anchor(day, force=True)
    qtbot.waitUntil(lambda: desk.calendar.load_count > before, timeout=WAIT)
    settle(qtbot, desk)
    shown = [v for v in desk.calendar.model.all() if v.active]
    assert shown
    painted = desk.calendar.view.paint_count
    with qtbot.waitSignal(panel.batch.finished, timeout=60_000) as blocker:
        panel.batch.start(day)
    summary = blocker.args[0]
    assert summary.eligible + summary.not_eligible > 0
    qtbot.waitUntil(lambda: desk.calendar.view.paint_count > painted, timeout=WAIT)
    answered = {c.patient_id for c in desk.history.all() if c.date_of_service == day}
    assert answered
    for view in shown:
        decided = badges.state(view) in ("eligible", "not_eligible")
        assert decided == (view.patient_id in answered), view.id


def test_a_new_session_shows_the_earlier_sessions_checks(
    qtbot: QtBot, loop: object, tmp_path: Path
) -> None:
    store = tmp_path / "clinic.sqlite"
    (tmp_path / "one").mkdir()
    first = open_window(qtbot, store, tmp_path / "one")
    w = next(first)
    (visit, patient), *_ = insured_visits(qtbot, w, 1)
    assert patient.insurance is not None
    made = run(
        qtbot,
        w.backend.check_eligibility(
            EligibilityRequest(
                patient_id=patient.id,
                payer_id=patient.insurance.payer_id,
                member_id=patient.insurance.member_id,
                date_of_service=visit.start.astimezone(ZONE).date(),
            )
        ),
    )
    first.close()  # the window and the backend go away; the store stays

    (tmp_path / "two").mkdir()
    second = open_window(qtbot, store, tmp_path / "two")
    w = next(second)
    try:
        # The calendar reads the patient's history when it shows their appointment …
        show_day_of(qtbot, w, visit)
        wanted = "eligible" if made.eligible else "not_eligible"
        qtbot.waitUntil(lambda: w.badges.state(visit) == wanted, timeout=WAIT)
        # … and the panel lists it among the patient's earlier checks.
        panel = w.eligibility
        w.window.show_panel("eligibility")
        panel.picker.set_patient(patient)
        table = panel.history_table
        qtbot.waitUntil(lambda: table.rowCount() >= 1, timeout=WAIT)
        cells = [table.item(0, c) for c in range(4)]
        texts = [c.text() if c is not None else "" for c in cells]
        assert texts[3] == ("Eligible" if made.eligible else "Not eligible")
        assert texts[1] == f"{made.date_of_service:%d %b %Y}"
    finally:
        second.close()


def test_offline_the_panel_lists_the_checks_this_computer_kept(
    qtbot: QtBot, loop: object, tmp_path: Path
) -> None:
    """The app's arrangement: a check made online through the sandbox is listed again by a new
    panel after the sandbox has gone away, from the offline-first backend's cache."""
    desks = cast(Generator[Desk, None, None], open_offline_first_desk(qtbot, tmp_path))
    desk = next(desks)
    try:
        backend = desk.backend
        assert isinstance(backend, OfflineFirstBackend) and backend.puller is not None
        assert run(qtbot, backend.puller.wait_pulled(30))  # the directory is in the mirror
        patient = run(qtbot, backend.get_patient(patients_by_enrolment(desk, active=True)[0]))
        assert patient.insurance is not None
        made = run(
            qtbot,
            desk.backend.check_eligibility(
                EligibilityRequest(
                    patient_id=patient.id,
                    payer_id=patient.insurance.payer_id,
                    member_id=patient.insurance.member_id,
                    date_of_service=clock.today(ZONE),
                )
            ),
        )
        assert desk.server is not None
        desk.server.stop()
        panel = EligibilityPanel(desk.backend, desk.bridge, zone=ZONE)
        qtbot.addWidget(panel)
        panel.show()
        panel.picker.set_patient(patient)
        qtbot.waitUntil(lambda: panel.history_table.rowCount() == 1, timeout=WAIT)
        listed = panel.history_table.item(0, 0)
        assert listed is not None
        assert panel.history.for_patient(patient.id) == [made]
    finally:
        desks.close()


def test_week_columns_are_headed_by_surnames() -> None:
    assert short_name("Dana Whitfield, NP") == "Whitfield"
    assert short_name("Dr. Amelia Patel") == "Patel"
    assert short_name("Dr Kwame Adebayo-Frost") == "Adebayo-Frost"
    assert short_name("Prof. Dr. Helena Marsh, MD, PhD") == "Marsh"
    assert short_name("John Smith MD") == "Smith"
    assert short_name("Dr. Sam Jones Jr.") == "Jones"
    assert short_name("Cher") == "Cher"
    assert initials("Dana Whitfield, NP") == "DW"
    assert initials("Dr. Mei-Lin Ashcroft") == "MA"


def test_the_legend_explains_the_badges(qtbot: QtBot) -> None:
    legend = Legend()
    qtbot.addWidget(legend)
    legend.resize(1400, 30)
    legend.show()
    text = legend.accessibleDescription()
    for words in ("eligible", "not eligible", "check again", "not checked"):
        assert words in text
    assert {s.legend for s in BADGE_STYLES.values()} == {
        "Eligible",
        "Not eligible",
        "Check again",
        "Not checked",
    }
    legend.grab()  # paints every entry without error
