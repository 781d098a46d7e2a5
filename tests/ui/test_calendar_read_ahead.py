"""Reading ahead: the periods either side of the one shown are held, kept current by live
changes like the one shown, and paging to them shows them without reading anything; periods
further away are let go."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from frontdesk_app.domain.models import AppointmentCreate
from frontdesk_app.ui.calendar.loading import period_window, read_period
from tests.ui.calendar_support import (
    WAIT,
    CalendarDesk,
    open_calendar_desk,
    run,
    some_patients,
)

pytestmark = [
    pytest.mark.ui,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


@pytest.fixture(params=["local", "sandbox"])
def desk(
    request: pytest.FixtureRequest, qtbot: QtBot, loop: object, tmp_path: Path
) -> Iterator[CalendarDesk]:
    yield from open_calendar_desk(qtbot, tmp_path, request.param)


def settle(qtbot: QtBot, desk: CalendarDesk) -> None:
    run(qtbot, desk.panel.bridge.wait_idle())


def show_weekday(qtbot: QtBot, desk: CalendarDesk) -> date:
    """Day view of the first Monday–Thursday after today (so it and the working day after it
    are ahead of now, inside the demo clinic's booked fortnight, whatever day it is), with the
    days either side read ahead."""
    panel = desk.panel
    panel.set_mode("day")
    today = panel.today()
    shown_day = next(
        day for offset in range(1, 8) if (day := today + timedelta(days=offset)).weekday() <= 3
    )
    panel.set_anchor(shown_day)
    qtbot.waitUntil(lambda: panel.model.days == [shown_day] and panel.model.covers([shown_day]))
    settle(qtbot, desk)
    for day in (shown_day - timedelta(days=1), shown_day + timedelta(days=1)):
        assert panel.model.covers([day])
    return shown_day


def spy_reads(desk: CalendarDesk) -> list[tuple[datetime, datetime]]:
    """Every span the calendar reads from now on."""
    reads: list[tuple[datetime, datetime]] = []
    original = desk.backend.calendar_rows  # type: ignore[attr-defined]

    async def spy(start: datetime, end: datetime) -> Sequence[Any]:
        reads.append((start, end))
        rows: Sequence[Any] = await original(start, end)
        return rows

    desk.backend.calendar_rows = spy  # type: ignore[attr-defined]
    return reads


def test_paging_to_a_period_read_ahead_shows_it_without_a_read(
    qtbot: QtBot, desk: CalendarDesk
) -> None:
    panel, model = desk.panel, desk.panel.model
    shown_day = show_weekday(qtbot, desk)
    next_day = shown_day + timedelta(days=1)
    start, end = period_window([next_day], model.zone)
    fresh = run(qtbot, read_period(desk.backend, start, end, reasons={}))
    reads = spy_reads(desk)
    loads = panel.load_count
    with qtbot.waitSignal(panel.data_loaded, timeout=WAIT):
        panel.step(1)
    assert panel.load_count == loads + 1 and model.days == [next_day]
    assert reads == []  # shown from what was held
    assert fresh and {v.id for v in model.all()} == {v.id for v in fresh}
    shown = next(v for v in model.all() if v.active and v.provider_id in model.shown_provider_ids)
    assert panel.view.viewport_rect_of(shown.id) is not None

    settle(qtbot, desk)  # the day after is read ahead now, the day before let go
    assert [period_window([next_day + timedelta(days=1)], model.zone)] == reads
    assert model.covers([shown_day, next_day + timedelta(days=1)])
    assert not model.covers([shown_day - timedelta(days=1)])


def test_a_booking_into_a_period_read_ahead_is_there_when_paged_to(
    qtbot: QtBot, instant: datetime, desk: CalendarDesk
) -> None:
    # `instant` comes before `desk`: the clinic is built, and the calendar opened, at it.
    panel, model = desk.panel, desk.panel.model
    shown_day = show_weekday(qtbot, desk)
    next_day = shown_day + timedelta(days=1)
    provider, slot = next(
        (p, slots[0])
        for p in desk.providers
        if (slots := run(qtbot, desk.backend.provider_availability(p.id, next_day, 30)).slots)
    )
    patient = some_patients(qtbot, desk.backend)[0]
    theirs = run(
        qtbot,
        desk.other.create_appointment(
            AppointmentCreate(
                patient_id=patient.id,
                provider_id=provider.id,
                start_time=slot.start_time,
                duration_minutes=30,
                type="telehealth",
            )
        ),
    )
    qtbot.waitUntil(lambda: model.get(theirs.id) is not None, timeout=WAIT)
    assert theirs.id not in {v.id for v in model.all()}  # held, not shown
    reads = spy_reads(desk)
    panel.step(1)
    assert reads == []
    assert theirs.id in {v.id for v in model.all()}
    if provider.id in model.shown_provider_ids:
        assert panel.view.viewport_rect_of(theirs.id) is not None
