"""The recurring-series dialog over the demo clinic, on `LocalBackend` and through the sandbox:
a weekly series across the spring DST change and a provider's blocked week lists the dates that
do not fit, with times to offer; the chosen dates book as one series; a date another desk took
meanwhile refuses the whole series (nothing booked) and is shown on a fresh check."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import NotFound
from frontdesk_app.domain.models import AppointmentCreate, AppointmentQuery
from frontdesk_app.domain.timeutil import local_instant
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.store.db import Store
from frontdesk_app.store.tables import ProviderBlockRow
from frontdesk_app.ui.calendar.series_dialog import LEAVE_OUT, SeriesDialog
from tests.ui.panel_support import WAIT, ZONE, Desk, open_desk, run

pytestmark = [
    pytest.mark.ui,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]
# The run's clock starts on Monday 2 March 2026 (tests/fixtures/clock.py); the clinic's clocks
# go forward on Sunday 8 March. Tuesdays 3, 10, 17 and 24 March: the third one is blocked.
FIRST_DAY = date(2026, 3, 3)
BLOCKED_DAY = date(2026, 3, 17)


@pytest.fixture(params=["local", "sandbox"])
def desk(
    request: pytest.FixtureRequest, qtbot: QtBot, loop: object, tmp_path: Path
) -> Iterator[Desk]:
    yield from open_desk(qtbot, tmp_path / "clinic.db", request.param)


@pytest.fixture(params=["local", "sandbox"])
def blocked(
    request: pytest.FixtureRequest, qtbot: QtBot, loop: object, tmp_path: Path
) -> Iterator[tuple[Desk, str, datetime]]:
    """A desk whose clinic has a provider free on four Tuesdays at one time, but away (a
    conference) the week of the third: blocked before the server starts, as a clinic's
    administrator would have set it."""
    path = tmp_path / "clinic.db"
    setup = LocalBackend.open(path, demo=True)
    provider_id, start = _weekly_slot(qtbot, setup)
    _block(setup.store, provider_id, BLOCKED_DAY - timedelta(days=1))
    run(qtbot, setup.aclose())
    for made in open_desk(qtbot, path, request.param):
        yield made, provider_id, start


def _weekly_slot(qtbot: QtBot, backend: Backend) -> tuple[str, datetime]:
    """A provider free at the same wall-clock time on each of the four Tuesdays."""
    for provider in run(qtbot, backend.list_providers()):
        days = [FIRST_DAY + timedelta(weeks=n) for n in range(4)]
        free = [
            {
                s.start_time.astimezone(ZONE).time()
                for s in run(qtbot, backend.provider_availability(provider.id, day, 30)).slots
            }
            for day in days
        ]
        common = sorted(set.intersection(*free))
        if common:
            return provider.id, local_instant(FIRST_DAY, common[len(common) // 2], ZONE)
    raise AssertionError("no provider is free at one time on four Tuesdays")


def _free_patient(qtbot: QtBot, desk: Desk) -> str:
    start = local_instant(FIRST_DAY, time(0), ZONE)
    booked = run(
        qtbot,
        desk.backend.list_appointments(
            AppointmentQuery(start=start, end=start + timedelta(days=30), limit=1000)
        ),
    )
    busy = {a.patient_id for a in booked.data}
    page = run(qtbot, desk.backend.search_patients(limit=200))
    return next(p.id for p in page.data if p.id not in busy)


def _block(store: Store, provider_id: str, day: date) -> None:
    with store.write() as session:
        session.add(
            ProviderBlockRow(
                provider_id=provider_id,
                start_time=local_instant(day, time(0), ZONE),
                end_time=local_instant(day + timedelta(days=4), time(0), ZONE),
                reason="Conference",
            )
        )


def _dialog(qtbot: QtBot, desk: Desk, provider_id: str, start: datetime) -> SeriesDialog:
    first = AppointmentCreate(
        patient_id=_free_patient(qtbot, desk),
        provider_id=provider_id,
        start_time=start,
        duration_minutes=30,
        type="follow-up",
        notes="physiotherapy",
    )
    dialog = SeriesDialog(desk.backend, desk.bridge, first=first, zone=ZONE, who="The patient")
    qtbot.addWidget(dialog)
    dialog.count.setValue(4)
    dialog.show()
    qtbot.waitUntil(
        lambda: dialog.table.rowCount() == 4 and dialog.checked is not None, timeout=WAIT
    )
    run(qtbot, desk.bridge.wait_idle())
    return dialog


def test_a_weekly_series_across_dst_and_a_blocked_week_books_the_dates_chosen(
    qtbot: QtBot, blocked: tuple[Desk, str, datetime]
) -> None:
    desk, provider_id, start = blocked
    dialog = _dialog(qtbot, desk, provider_id, start)
    checked = dialog.checked
    assert checked is not None
    times = [o.start_time.astimezone(ZONE).time() for o in checked.occurrences]
    assert len(set(times)) == 1  # the same wall-clock time before and after the DST change
    assert len({o.start_time.utcoffset() for o in checked.occurrences}) == 1  # UTC instants…
    assert checked.occurrences[0].start_time.hour != checked.occurrences[1].start_time.hour
    blocked = checked.occurrences[2]
    assert not blocked.bookable and "Conference" in (blocked.problem or "")
    assert blocked.alternatives and all(
        a.astimezone(ZONE).date() not in (BLOCKED_DAY, BLOCKED_DAY + timedelta(days=1))
        for a in blocked.alternatives
    )
    assert [o.bookable for o in checked.occurrences] == [True, True, False, True]
    assert "did not fit" in dialog.summary.text()

    choice = dialog.table.cellWidget(2, 3)
    assert isinstance(choice, QComboBox)
    choice.setCurrentIndex(choice.findText(LEAVE_OUT))
    assert dialog.book_button.text() == "Book 3 appointments"
    with qtbot.waitSignal(dialog.booked, timeout=WAIT) as booked:
        qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    series = booked.args[0]
    days = [a.start_time.astimezone(ZONE).date() for a in series.appointments]
    assert days == [FIRST_DAY, FIRST_DAY + timedelta(weeks=1), FIRST_DAY + timedelta(weeks=3)]
    assert {a.series_id for a in series.appointments} == {series.id}


def test_a_date_taken_meanwhile_refuses_the_whole_series_and_shows_on_a_new_check(
    qtbot: QtBot, desk: Desk
) -> None:
    provider_id, start = _weekly_slot(qtbot, desk.backend)
    dialog = _dialog(qtbot, desk, provider_id, start)
    assert dialog.book_button.text() == "Book 4 appointments"
    # Another desk books the provider into the second Tuesday before this one books.
    second = dialog.chosen_starts()[1]
    run(
        qtbot,
        desk.backend.create_appointment(
            AppointmentCreate(
                patient_id=_free_patient(qtbot, desk),
                provider_id=provider_id,
                start_time=second,
                duration_minutes=30,
                type="consultation",
            )
        ),
    )
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.message.code == "slot_unavailable", timeout=WAIT)
    qtbot.waitUntil(
        lambda: dialog.checked is not None and not dialog.checked.occurrences[1].bookable,
        timeout=WAIT,
    )
    assert dialog.message.isVisible()  # the reason stays while the dates are checked again
    with pytest.raises(NotFound):
        run(qtbot, desk.backend.get_series(dialog.series_id))  # nothing of it was booked
