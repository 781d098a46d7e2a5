"""The eligibility panel against a demo clinic: eligible, not eligible, payer down, offline
with the last answer's age, a day's batch, and the per-appointment state the calendar paints.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from frontdesk_app.domain.errors import Offline
from frontdesk_app.domain.models import (
    Appointment,
    Coverage,
    EligibilityRequest,
    EligibilityResult,
    Event,
    Patient,
)
from frontdesk_app.domain.timeutil import utc_now
from frontdesk_app.store.tables import PatientRow
from frontdesk_app.ui.eligibility import eligibility_state_for
from frontdesk_app.ui.eligibility.panel import EligibilityPanel, parse_codes
from frontdesk_app.ui.eligibility.patient_picker import PatientPicker
from frontdesk_app.ui.eligibility.service import RECHECKED, retry_text
from frontdesk_app.ui.eligibility.state import BatchSummary, CheckHistory, format_age
from tests.ui.panel_support import (
    BACKENDS,
    WAIT,
    ZONE,
    Desk,
    open_desk,
    open_offline_first_desk,
    patient,
    patients_by_enrolment,
    run,
)

pytestmark = [
    pytest.mark.ui,
    # The offscreen platform warns when a shown top-level widget's size limits change.
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


class Clock:
    """A clock the test moves forward, to age a cached answer."""

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
def panel(qtbot: QtBot, desk: Desk, clock: Clock) -> EligibilityPanel:
    widget = EligibilityPanel(desk.backend, desk.bridge, zone=ZONE, clock=clock)
    qtbot.addWidget(widget)
    widget.resize(1100, 720)
    widget.show()
    qtbot.waitUntil(lambda: widget.payer.count() >= 6, timeout=WAIT)
    return widget


def choose(qtbot: QtBot, picker: PatientPicker, who: Patient) -> None:
    """Type the patient's name, wait for the list, click them: what a receptionist does."""
    picker.search_now(who.full_name)

    def listed() -> bool:
        return any(
            getattr(picker.results.item(i).data(Qt.ItemDataRole.UserRole), "id", None) == who.id
            for i in range(picker.results.count())
        )

    qtbot.waitUntil(listed, timeout=WAIT)
    for i in range(picker.results.count()):
        item = picker.results.item(i)
        if item.data(Qt.ItemDataRole.UserRole).id == who.id:
            rect = picker.results.visualItemRect(item)
            qtbot.mouseClick(
                picker.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center()
            )
            break
    qtbot.waitUntil(
        lambda: picker.patient is not None and picker.patient.id == who.id, timeout=WAIT
    )


def check(qtbot: QtBot, panel: EligibilityPanel) -> object:
    with qtbot.waitSignal(panel.outcome_shown, timeout=WAIT) as blocker:
        qtbot.mouseClick(panel.check_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def test_eligible_check_shows_coverage_services_and_history(
    qtbot: QtBot, desk: Desk, panel: EligibilityPanel
) -> None:
    who = patient(qtbot, desk.backend, patients_by_enrolment(desk, active=True)[0])
    assert who.insurance is not None
    choose(qtbot, panel.picker, who)
    # The payer and member id come from the patient's insurance on file.
    assert panel.payer.currentData() == who.insurance.payer_id
    assert panel.member_id.text() == who.insurance.member_id
    panel.codes.setText("99213, 20610")

    outcome = check(qtbot, panel)

    result = panel.result_view.result
    assert result is not None and result is outcome.result  # type: ignore[attr-defined]
    assert result.eligible
    assert panel.result_view.banner.tone == "ok"
    grid = panel.result_view.grid
    assert grid.value("copay") == f"${result.coverage.copay:,}"
    assert grid.value("deductible") == f"${result.coverage.deductible_remaining:,}"
    assert grid.value("coinsurance") == f"{result.coverage.coinsurance_pct}%"
    assert grid.value("network") in ("In network", "Out of network")
    assert grid.value("verified") != "—"
    services = panel.result_view.services
    assert services.rowCount() == 2
    codes = {services.item(r, 0).text(): services.item(r, 2).text() for r in range(2)}
    # A surgical code needs prior authorisation; an office visit does not.
    assert codes == {"99213": "Not required", "20610": "Required"}
    assert not panel.result_view.notice.isVisible()
    assert panel.history_table.rowCount() == 1
    assert panel.history_table.item(0, 3).text() == "Eligible"


def test_ineligible_member_is_shown_as_not_eligible(
    qtbot: QtBot, desk: Desk, panel: EligibilityPanel
) -> None:
    who = patient(qtbot, desk.backend, patients_by_enrolment(desk, active=False)[0])
    choose(qtbot, panel.picker, who)

    outcome = check(qtbot, panel)

    assert outcome.result is not None and not outcome.result.eligible  # type: ignore[attr-defined]
    assert panel.result_view.banner.tone == "bad"
    assert "Not eligible" in panel.result_view.banner.title.text()
    assert panel.history_table.item(0, 3).text() == "Not eligible"


def test_payer_down_says_so_and_when_to_retry(
    qtbot: QtBot, desk: Desk, panel: EligibilityPanel
) -> None:
    down = patients_by_enrolment(desk, active=True, payer_up=False)
    who = patient(qtbot, desk.backend, down[0])
    choose(qtbot, panel.picker, who)

    outcome = check(qtbot, panel)

    assert outcome.payer_down  # type: ignore[attr-defined]
    notice = panel.result_view.notice
    assert notice.isVisible() and notice.tone == "warn"
    assert "not answering" in notice.detail.text()
    assert "Try again in about" in notice.detail.text()
    assert panel.history_table.rowCount() == 0


def test_offline_shows_the_last_result_with_its_age(
    qtbot: QtBot,
    desk: Desk,
    panel: EligibilityPanel,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    who = patient(qtbot, desk.backend, patients_by_enrolment(desk, active=True)[0])
    choose(qtbot, panel.picker, who)
    first = check(qtbot, panel).result  # type: ignore[attr-defined]

    # Three hours later the connection is gone: the API-backed call fails with Offline.
    clock.now = first.verified_at + timedelta(hours=3, minutes=5)

    async def unreachable(request: EligibilityRequest, **_: object) -> EligibilityResult:
        raise Offline("The clinic's server cannot be reached.")

    monkeypatch.setattr(desk.backend, "check_eligibility", unreachable)
    outcome = check(qtbot, panel)

    assert outcome.result == first  # type: ignore[attr-defined]
    notice = panel.result_view.notice
    assert notice.isVisible()
    assert notice.title.text() == "Offline · Checked 3 h ago, offline"
    assert panel.result_view.banner.tone == "ok"  # the cached answer is still shown


def test_offline_first_backend_cached_answer_is_labelled_with_its_age(
    qtbot: QtBot,
    desk: Desk,
    panel: EligibilityPanel,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An offline-first backend answers from its cache and reports `state.connection`."""
    who = patient(qtbot, desk.backend, patients_by_enrolment(desk, active=True)[0])
    choose(qtbot, panel.picker, who)
    first = check(qtbot, panel).result  # type: ignore[attr-defined]
    clock.now = first.verified_at + timedelta(hours=26, minutes=5)

    async def cached(request: EligibilityRequest, **_: object) -> EligibilityResult:
        return first  # type: ignore[no-any-return]

    monkeypatch.setattr(desk.backend, "check_eligibility", cached)
    monkeypatch.setattr(desk.backend, "state", SimpleNamespace(connection="offline"), raising=False)
    check(qtbot, panel)

    assert panel.result_view.notice.title.text() == "Offline · Checked 26 h ago, offline"


@pytest.fixture
def offline_desk(qtbot: QtBot, loop: object, tmp_path: Path) -> Iterator[Desk]:
    yield from open_offline_first_desk(qtbot, tmp_path)


def wait_pulled(qtbot: QtBot, desk: Desk, patient_id: str) -> None:
    """Until the mirror's first pull of the directory has brought `patient_id` in."""
    mirror = desk.backend.local.store  # type: ignore[attr-defined]

    def pulled() -> bool:
        with mirror.read() as session:
            return session.get(PatientRow, patient_id) is not None

    qtbot.waitUntil(pulled, timeout=WAIT)


def test_offline_first_backend_shows_its_cached_check_with_its_age(
    qtbot: QtBot, offline_desk: Desk, clock: Clock
) -> None:
    """The app's arrangement: checked online through the sandbox; the sandbox goes away; the
    same check answers from the offline cache, labelled offline with its age."""
    desk = offline_desk
    panel = EligibilityPanel(desk.backend, desk.bridge, zone=ZONE, clock=clock)
    qtbot.addWidget(panel)
    panel.show()
    wanted = patients_by_enrolment(desk, active=True)[0]
    wait_pulled(qtbot, desk, wanted)
    who = patient(qtbot, desk.backend, wanted)
    panel.prefill(who)
    qtbot.waitUntil(panel.check_button.isEnabled, timeout=WAIT)
    first = check(qtbot, panel).result  # type: ignore[attr-defined]
    assert first is not None and first.eligible
    assert panel.result_view.notice.isHidden()

    assert desk.server is not None
    desk.server.stop()
    clock.now = first.verified_at + timedelta(hours=3, minutes=5)
    outcome = check(qtbot, panel)

    assert outcome.result == first  # type: ignore[attr-defined]
    assert outcome.freshness.offline  # type: ignore[attr-defined]
    assert panel.result_view.notice.title.text() == "Offline · Checked 3 h ago, offline"
    assert panel.result_view.banner.tone == "ok"


def test_check_tomorrow_runs_every_appointment_with_progress_and_summary(
    qtbot: QtBot, desk: Desk, panel: EligibilityPanel, clock: Clock
) -> None:
    batch = panel.batch
    tomorrow = batch.tomorrow()
    expected = run(qtbot, panel.service.appointments_on(tomorrow))
    with qtbot.waitSignal(batch.finished, timeout=60_000) as blocker:
        qtbot.mouseClick(batch.start_button, Qt.MouseButton.LeftButton)
    summary = blocker.args[0]

    assert summary.total == len(expected)
    assert batch.progress.value() == batch.progress.maximum() == max(len(expected), 1)
    assert batch.result.text().startswith(
        summary.text() if expected else "No appointments tomorrow."
    )
    # Who needs a person is listed by name, each one click from that patient.
    assert (
        batch.attention.count()
        == len(summary.attention)
        == (summary.not_eligible + summary.member_not_found + summary.payer_down + summary.failed)
    )
    if summary.attention:
        first = summary.attention[0]
        assert first.patient_name in batch.attention.item(0).text()
        rect = batch.attention.visualItemRect(batch.attention.item(0))
        qtbot.mouseClick(batch.attention.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.waitUntil(
            lambda: panel.patient is not None and panel.patient.id == first.patient_id,
            timeout=WAIT,
        )
        assert panel.date_of_service.date().toPython() == first.date_of_service
    assert batch.start_button.isEnabled()
    if expected:
        # Every checked appointment now has a state the calendar can paint.
        states = [panel.history.state_for(a, zone=ZONE, now=clock.now) for a in expected]
        checked = summary.eligible + summary.not_eligible
        assert sum(s in ("eligible", "not_eligible") for s in states) >= min(checked, 1)
        assert states.count("eligible") >= summary.eligible > 0 or checked == 0


def test_prefill_from_a_call_fills_the_form(
    qtbot: QtBot, desk: Desk, panel: EligibilityPanel
) -> None:
    who = patient(qtbot, desk.backend, patients_by_enrolment(desk, active=True)[1])
    assert who.insurance is not None
    panel.prefill(who, date_of_service=date(2031, 5, 6), service_codes=["99203"])
    assert panel.patient == who
    assert panel.member_id.text() == who.insurance.member_id
    assert panel.date_of_service.date().toPython() == date(2031, 5, 6)
    assert parse_codes(panel.codes.text()) == ["99203"]
    assert panel.check_button.isEnabled()


# --- the calendar's badge: pure rules ------------------------------------------------------


def _appointment(start: datetime, patient_id: str = "pat_1") -> Appointment:
    return Appointment(
        id="apt_1",
        status="confirmed",
        patient_id=patient_id,
        provider_id="prov_1",
        start_time=start,
        end_time=start + timedelta(minutes=30),
        duration_minutes=30,
        type="consultation",
        created_at=start,
        updated_at=start,
    )


def _check(
    day: date,
    verified: datetime,
    *,
    eligible: bool,
    patient_id: str = "pat_1",
    check_id: str = "elig_1",
) -> EligibilityResult:
    return EligibilityResult(
        eligible=eligible,
        payer="Payer",
        member_id="M1",
        coverage=Coverage(copay=25, deductible_remaining=0, coinsurance_pct=20, in_network=True),
        verified_at=verified,
        id=check_id,
        patient_id=patient_id,
        payer_id="payer_x",
        date_of_service=day,
    )


def test_eligibility_state_for_an_appointment() -> None:
    now = datetime(2030, 3, 10, 15, 0, tzinfo=ZONE)
    # 23:30 in New York on the 11th is already the 12th in UTC: the clinic's day counts.
    visit = _appointment(datetime(2030, 3, 11, 23, 30, tzinfo=ZONE))
    day = date(2030, 3, 11)

    assert eligibility_state_for(visit, [], zone=ZONE, now=now) == "unknown"
    other = _check(day, now, eligible=True, patient_id="pat_2")
    assert eligibility_state_for(visit, [other], zone=ZONE, now=now) == "unknown"
    yes = _check(day, now - timedelta(hours=1), eligible=True)
    assert eligibility_state_for(visit, [yes], zone=ZONE, now=now) == "eligible"
    no_later = _check(day, now, eligible=False, check_id="elig_2")
    assert eligibility_state_for(visit, [yes, no_later], zone=ZONE, now=now) == "not_eligible"
    old = _check(day, now - timedelta(days=4), eligible=True)
    assert eligibility_state_for(visit, [old], zone=ZONE, now=now) == "stale"
    other_day = _check(day - timedelta(days=1), now, eligible=True)
    assert eligibility_state_for(visit, [other_day], zone=ZONE, now=now) == "stale"

    history = CheckHistory()
    history.add(yes)
    history.add(yes)  # the same check twice is one entry
    assert history.for_patient("pat_1") == [yes]
    assert history.state_for(visit, zone=ZONE, now=now) == "eligible"


def test_ages_read_naturally() -> None:
    assert format_age(timedelta(seconds=20)) == "just now"
    assert format_age(timedelta(minutes=12)) == "12 min ago"
    assert format_age(timedelta(hours=3, minutes=40)) == "3 h ago"
    assert format_age(timedelta(days=3)) == "3 days ago"


def test_retry_advice_and_day_summary_read_naturally() -> None:
    now = datetime(2030, 3, 10, 15, 0, tzinfo=ZONE)
    assert retry_text(None, now, ZONE) == "Try again in a few minutes."
    assert retry_text(30, now, ZONE) == "Try again in about 30 s (after 15:00)."
    assert retry_text(300, now, ZONE) == "Try again in about 5 min (after 15:05)."
    summary = BatchSummary(eligible=10, not_eligible=1, no_insurance=2, payer_down=1)
    assert summary.total == 14
    assert summary.text() == (
        "14 appointments: 10 eligible, 1 not eligible, 2 without insurance on file,"
        " 1 payer not answering"
    )
    assert parse_codes(" 99213,20610; 99213 j1100 ") == ["99213", "20610", "J1100"]


# --- one patient at a time ------------------------------------------------------------------


@pytest.fixture
def local_panel(
    qtbot: QtBot, loop: object, tmp_path: Path, clock: Clock
) -> Iterator[tuple[Desk, EligibilityPanel]]:
    for desk in open_desk(qtbot, tmp_path / "clinic.db", "local"):
        widget = EligibilityPanel(desk.backend, desk.bridge, zone=ZONE, clock=clock)
        qtbot.addWidget(widget)
        widget.resize(1100, 720)
        widget.show()
        qtbot.waitUntil(lambda w=widget: w.payer.count() >= 6, timeout=WAIT)
        yield desk, widget


def test_a_then_b_leaves_nothing_of_a_and_no_patient_checks_nothing(
    qtbot: QtBot, local_panel: tuple[Desk, EligibilityPanel]
) -> None:
    """The issue: A's answer stayed, unnamed, above B's empty history; with no patient the
    check ran with A's leftover payer and member id."""
    desk, panel = local_panel
    first, second = patients_by_enrolment(desk, active=True)[:2]
    a, b = patient(qtbot, desk.backend, first), patient(qtbot, desk.backend, second)
    choose(qtbot, panel.picker, a)
    assert panel.header.text().startswith(a.full_name)
    assert f"{a.date_of_birth:%Y}" in panel.header.text()
    check(qtbot, panel)
    assert panel.result_view.result is not None

    # Clear the search box: no patient, nothing of A's, and Check cannot run on leftovers.
    panel.picker.search.clear()
    assert panel.patient is None
    assert panel.header.text() == "No patient chosen"
    assert panel.result_view.result is None
    assert panel.member_id.text() == ""
    assert panel.history_table.rowCount() == 0
    assert not panel.check_button.isEnabled()
    with qtbot.assertNotEmitted(panel.outcome_shown, wait=200):
        panel.run_check()
    assert panel.status.text() == "Choose a patient first."

    choose(qtbot, panel.picker, b)
    assert panel.header.text().startswith(b.full_name)
    assert panel.result_view.result is None
    assert panel.result_view.banner.title.text() == "No check yet"
    assert all(
        panel.history_table.item(r, 0).data(Qt.ItemDataRole.UserRole).patient_id == b.id
        for r in range(panel.history_table.rowCount())
    )


def test_a_slow_answer_for_a_is_dropped_once_b_is_chosen(
    qtbot: QtBot, local_panel: tuple[Desk, EligibilityPanel], monkeypatch: pytest.MonkeyPatch
) -> None:
    desk, panel = local_panel
    first, second = patients_by_enrolment(desk, active=True)[:2]
    a, b = patient(qtbot, desk.backend, first), patient(qtbot, desk.backend, second)
    gate = asyncio.Event()
    real = desk.backend.check_eligibility

    async def slow_for_a(request: EligibilityRequest, **kwargs: object) -> EligibilityResult:
        if request.patient_id == a.id:
            await gate.wait()
        return await real(request)

    monkeypatch.setattr(desk.backend, "check_eligibility", slow_for_a)
    choose(qtbot, panel.picker, a)
    qtbot.mouseClick(panel.check_button, Qt.MouseButton.LeftButton)
    choose(qtbot, panel.picker, b)
    with qtbot.assertNotEmitted(panel.outcome_shown, wait=300):
        gate.set()
        run(qtbot, desk.bridge.wait_idle())
    assert panel.patient == b
    assert panel.result_view.result is None
    assert panel.check_button.isEnabled()


# --- answers that say what happened ----------------------------------------------------------


def test_a_member_id_the_payer_does_not_know_is_not_called_not_eligible(
    qtbot: QtBot, desk: Desk, panel: EligibilityPanel
) -> None:
    """The issue: a garbage member id gave "Not eligible — no active coverage"."""
    who = patient(qtbot, desk.backend, patients_by_enrolment(desk, active=True)[0])
    choose(qtbot, panel.picker, who)
    panel.member_id.setText("ZZ-NOSUCH-0000")
    outcome = check(qtbot, panel)
    result = outcome.result  # type: ignore[attr-defined]
    assert result is not None and not result.eligible
    assert result.reason == "member_not_found"
    banner = panel.result_view.banner
    assert banner.tone == "warn"
    assert banner.title.text() == f"? Member ID not found at {result.payer}"
    assert "Not eligible" not in banner.title.text()
    assert panel.history_table.item(0, 3).text() == "Member ID not found"
    # The calendar's mark says check again, not "not eligible".
    assert panel.history.state_on(who.id, result.date_of_service) == "stale"


def test_payer_down_names_the_payer(qtbot: QtBot, desk: Desk, panel: EligibilityPanel) -> None:
    who = patient(qtbot, desk.backend, patients_by_enrolment(desk, active=True, payer_up=False)[0])
    choose(qtbot, panel.picker, who)
    outcome = check(qtbot, panel)
    assert outcome.payer_down  # type: ignore[attr-defined]
    payer = panel.payer.currentText()
    assert panel.result_view.notice.title.text() == f"{payer} is not answering"
    assert panel.result_view.notice.detail.text().startswith(f"{payer} is not answering")


def test_the_offline_note_goes_the_moment_a_fresh_answer_arrives(
    qtbot: QtBot,
    desk: Desk,
    panel: EligibilityPanel,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    who = patient(qtbot, desk.backend, patients_by_enrolment(desk, active=True)[0])
    choose(qtbot, panel.picker, who)
    first = check(qtbot, panel).result  # type: ignore[attr-defined]
    clock.now = first.verified_at + timedelta(minutes=1, seconds=5)

    async def unreachable(request: EligibilityRequest, **_: object) -> EligibilityResult:
        raise Offline("The clinic's server cannot be reached.")

    monkeypatch.setattr(desk.backend, "check_eligibility", unreachable)
    check(qtbot, panel)
    assert panel.result_view.notice.title.text() == "Offline · Checked 1 min ago, offline"

    # Back online, the background re-check answers: shown at once, without the note.
    fresh = first.model_copy(update={"id": "elig_fresh", "verified_at": clock.now})
    event = Event(
        id="evt_local", seq=0, type=RECHECKED, created_at=clock.now,
        data=fresh.model_dump(mode="json"),
    )  # fmt: skip
    with qtbot.waitSignal(panel.outcome_shown, timeout=WAIT):
        panel.on_feed_events([event])
    assert panel.result_view.notice.isHidden()
    assert panel.result_view.result == fresh
    # Another patient's re-check does not take this patient's place.
    other = fresh.model_copy(update={"id": "elig_other", "patient_id": "pat_someone_else"})
    with qtbot.assertNotEmitted(panel.outcome_shown, wait=100):
        panel.on_feed_events([event.model_copy(update={"data": other.model_dump(mode="json")})])
    assert panel.result_view.result == fresh
