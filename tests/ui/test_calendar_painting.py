"""The calendar's paint path: the light read gives what the paged one does, column layouts are
kept until their cell changes, and the body layer paints again only what changed — with the
same pixels as painting everything afresh."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from frontdesk_app.domain import clock
from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.models import CalendarRow, Provider, TimeRange
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.ui.calendar.geometry import Grid
from frontdesk_app.ui.calendar.layout import LayoutCache
from frontdesk_app.ui.calendar.loading import SyncStates, read_period
from frontdesk_app.ui.calendar.model import AppointmentView, CalendarModel, Column
from frontdesk_app.ui.calendar.view import CalendarView
from frontdesk_app.ui.calendar.zoom import OVERVIEW_LEVEL, Zoom
from tests.ui.calendar_support import run

ZONE = ZoneInfo("America/New_York")
DAY = date(2030, 3, 12)  # a Tuesday


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE).astimezone(UTC)


def provider(pid: str) -> Provider:
    hours = [TimeRange(start=time(8), end=time(12)), TimeRange(start=time(13), end=time(17))]
    return Provider(
        id=pid,
        name=f"Dr. Ada {pid.title()}",
        specialty="Family medicine",
        timezone=ZONE.key,
        weekly_hours={d: hours for d in range(5)},
    )


def view(aid: str, pid: str, start: datetime, minutes: int = 30, **extra: str) -> AppointmentView:
    fields: dict[str, str] = {"status": "confirmed", "type": "consultation", **extra}
    return AppointmentView(
        id=aid,
        provider_id=pid,
        patient_id=f"pat_{aid}",
        start=start,
        end=start + timedelta(minutes=minutes),
        type=fields["type"],
        status=fields["status"],
        notes=fields.get("notes"),
        sync_state="pending" if fields.get("sync") == "pending" else "synced",
    )


PROVIDERS = [provider(f"prov_{name}") for name in ("ash", "birch", "cedar", "dune")]


def busy_day() -> list[AppointmentView]:
    """Every provider's day: overlaps, a pending one, a cancelled one, notes, long and short."""
    views: list[AppointmentView] = []
    for n, p in enumerate(PROVIDERS):
        views += [
            view(f"{n}a", p.id, at(8, 15 * n), 45, notes="Bring the referral letter"),
            view(f"{n}b", p.id, at(8, 30), 30, type="follow-up"),
            view(f"{n}c", p.id, at(9, 30), 15, type="telehealth", sync="pending"),
            view(f"{n}d", p.id, at(10), 60, type="procedure", status="rescheduled"),
            view(f"{n}e", p.id, at(13, 30), 30, status="cancelled"),
            view(f"{n}f", p.id, at(14), 90, type="new-patient"),
        ]
    return views


@pytest.fixture
def model() -> CalendarModel:
    m = CalendarModel(ZONE)
    m.set_providers(PROVIDERS)
    m.set_days([DAY])
    views = busy_day()
    m.replace_all(views)
    m.set_patient_labels({v.patient_id: f"Patient {v.id.upper()} Longname" for v in views})
    return m


@pytest.fixture
def shown(qtbot: QtBot, model: CalendarModel) -> CalendarView:
    calendar = CalendarView(model, now=lambda: at(9, 40))
    qtbot.addWidget(calendar)
    calendar.resize(900, 520)
    calendar.show()
    qtbot.waitExposed(calendar)
    calendar.scroll_to_minute(8 * 60)
    return calendar


def image(calendar: CalendarView) -> QImage:
    return calendar.viewport().grab().toImage()


def fresh(calendar: CalendarView) -> QImage:
    """The viewport painted with nothing kept from before."""
    calendar.refresh_cards()
    return image(calendar)


# --- reading ------------------------------------------------------------------------------------


def test_the_light_read_gives_what_the_paged_read_gives(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    backend = LocalBackend.open(tmp_path / "clinic.sqlite", demo=True)
    try:
        today = clock.today(ZONE)
        monday = today - timedelta(days=today.weekday())
        start = datetime.combine(monday, time(0), tzinfo=ZONE)
        end = start + timedelta(days=7)
        light = run(qtbot, read_period(backend, start, end, reasons={}))
        only_pages = cast(Backend, SimpleNamespace(list_appointments=backend.list_appointments))
        paged = run(qtbot, read_period(only_pages, start, end, reasons={}))
        assert len(light) > 50
        assert light == paged
        assert [v.start for v in light] == sorted(v.start for v in light)
    finally:
        run(qtbot, backend.aclose())


class Statuses:
    """A syncing backend's answer for every appointment that is not synced."""

    def __init__(self, statuses: Mapping[str, str]) -> None:
        self._statuses = statuses

    def sync_statuses(self) -> Mapping[str, str]:
        return self._statuses


def test_the_backend_says_which_appointments_are_pending_or_in_conflict() -> None:
    def row(aid: str) -> CalendarRow:
        return (
            aid,
            "prov_a",
            "pat_1",
            at(9),
            at(9, 30),
            "consultation",
            "confirmed",
            None,
            None,
            None,
        )

    plain = SyncStates(cast(Backend, object()), {})
    assert plain.of_row(row("apt_1")).sync_state == "synced"
    assert plain.of_row(row("tmp_apt_1")).sync_state == "pending"  # booked offline

    tracked = Statuses({"apt_1": "conflict", "apt_2": "pending"})
    states = SyncStates(cast(Backend, tracked), {"apt_1": "Slot taken"})
    conflict = states.of_row(row("apt_1"))
    assert (conflict.sync_state, conflict.sync_message) == ("conflict", "Slot taken")
    assert states.of_row(row("apt_2")).sync_state == "pending"
    assert states.of_row(row("apt_3")).sync_state == "synced"


# --- layouts ------------------------------------------------------------------------------------


def test_a_column_is_laid_out_again_only_when_its_cell_or_the_scale_changes(
    model: CalendarModel,
) -> None:
    grid = Grid(zone=ZONE, first_minute=7 * 60, last_minute=18 * 60, column_width=150.0)
    cache = LayoutCache(model, grid)
    ash, birch = Column(PROVIDERS[0], DAY), Column(PROVIDERS[1], DAY)
    first = cache.column(ash)
    assert [c.view.id for c in first.cards] == ["0a", "0b", "0c", "0d", "0f"]
    assert cache.column(ash) is first

    model.upsert(replace(model.in_cell("prov_birch", DAY)[0], notes="changed"))
    assert cache.column(ash) is first  # another cell changed
    birch_layout = cache.column(birch)
    model.set_days([DAY + timedelta(days=7)])  # another week in view, and back
    model.set_days([DAY])
    assert cache.column(ash) is first and cache.column(birch) is birch_layout

    moved = replace(model.in_cell("prov_ash", DAY)[-1], start=at(15), end=at(15, 30))
    model.upsert(moved)
    again = cache.column(ash)
    assert again is not first and again.card(moved.id) is not None
    model.show_cancelled = True
    assert [c.view.id for c in cache.column(ash).cards][-2:] == ["0e", "0f"]
    grid.column_width = 120.0
    assert cache.column(ash).cards[0].w < again.cards[0].w


def test_cards_overlapping_in_time_share_the_width_and_hit_testing_finds_each(
    shown: CalendarView,
) -> None:
    first, second = (shown.viewport_rect_of(aid) for aid in ("0a", "0b"))
    assert first is not None and second is not None
    assert first.intersects(second) is False and first.top() < second.top()
    assert abs(first.width() - second.width()) <= 1
    for aid in ("0a", "0b", "2d"):
        rect = shown.viewport_rect_of(aid)
        assert rect is not None
        found = shown.item_at(rect.center())
        assert found is not None and found.id == aid


# --- the body layer -----------------------------------------------------------------------------


def test_a_repaint_with_nothing_changed_copies_the_layer(shown: CalendarView) -> None:
    before = image(shown)
    painted = shown.painted_area
    shown.viewport().repaint()
    assert shown.painted_area == painted
    assert image(shown) == before


def test_a_change_paints_only_its_column_and_matches_a_full_paint(
    qtbot: QtBot, shown: CalendarView, model: CalendarModel
) -> None:
    image(shown)
    painted = shown.painted_area
    moving = model.get("1b")
    assert moving is not None
    model.upsert(replace(moving, start=at(11), end=at(11, 30), sync_state="pending"))
    after = image(shown)
    strip = (shown.grid.column_width + 6) * shown.viewport().height()
    assert 0 < shown.painted_area - painted <= strip
    assert after == fresh(shown)


def test_selection_cursor_and_scrolling_paint_only_what_they_touch(
    qtbot: QtBot, shown: CalendarView
) -> None:
    image(shown)
    body_area = shown.viewport().width() * shown.viewport().height()

    painted = shown.painted_area
    shown.select("2d")
    selected = image(shown)
    assert 0 < shown.painted_area - painted < body_area / 8
    assert selected == fresh(shown)

    painted = shown.painted_area
    shown.set_cursor("prov_cedar", at(12, 15))
    cursor = image(shown)
    assert 0 < shown.painted_area - painted < body_area / 8
    assert cursor == fresh(shown)

    painted = shown.painted_area
    bar = shown.verticalScrollBar()
    bar.setValue(bar.value() + 48)
    scrolled = image(shown)
    assert 0 < shown.painted_area - painted <= 60 * shown.viewport().width()
    assert scrolled == fresh(shown)


def test_a_crowded_week_paints_colour_only_and_changes_still_match_a_full_paint(
    qtbot: QtBot, model: CalendarModel
) -> None:
    week = [DAY - timedelta(days=1) + timedelta(days=n) for n in range(5)]
    model.set_days(week)
    model.replace_all(
        replace(
            v,
            id=f"{v.id}-{n}",
            start=v.start + timedelta(days=n - 1),
            end=v.end + timedelta(days=n - 1),
        )
        for n in range(5)
        for v in busy_day()
    )
    calendar = CalendarView(model, now=lambda: at(9, 40))
    qtbot.addWidget(calendar)
    calendar.set_kind("week")
    calendar.set_zoom(Zoom(OVERVIEW_LEVEL))  # the whole week in the window
    calendar.resize(520, 520)
    calendar.show()
    qtbot.waitExposed(calendar)
    assert calendar.grid.column_width < 25  # too narrow for text or badges
    image(calendar)
    painted = calendar.painted_area
    moving = model.get("3b-2")
    assert moving is not None
    model.upsert(replace(moving, start=moving.start + timedelta(hours=3), sync_state="conflict"))
    calendar.select("1a-4")
    after = image(calendar)
    assert 0 < calendar.painted_area - painted < calendar.viewport().width() * 520 / 4
    assert after == fresh(calendar)


def test_a_period_painted_ahead_is_shown_by_a_copy_and_kept_true_to_changes(
    qtbot: QtBot, shown: CalendarView, model: CalendarModel
) -> None:
    tomorrow = DAY + timedelta(days=1)
    model.replace_days(
        [tomorrow],
        [replace(v, id=f"{v.id}+", start=v.start + timedelta(days=1), end=v.end + timedelta(days=1))
         for v in busy_day()],
    )  # fmt: skip
    image(shown)
    shown.lay_out_ahead([tomorrow])
    qtbot.wait(300)  # painted while idle, a few columns at a time

    painted = shown.painted_area
    model.set_days([tomorrow])
    ahead = image(shown)
    assert shown.painted_area == painted  # a copy: nothing painted on demand
    model.set_days([DAY])  # and back: the day shown before is still painted
    image(shown)
    assert shown.painted_area == painted
    model.set_days([tomorrow])
    assert ahead == fresh(shown)
    painted = shown.painted_area

    # A change on the day painted ahead, made while it waits, is painted before it is shown.
    moving = model.get("2b+")
    assert moving is not None
    model.set_days([DAY])
    image(shown)
    model.upsert(replace(moving, start=moving.start + timedelta(hours=5), sync_state="pending"))
    painted = shown.painted_area
    model.set_days([tomorrow])
    changed = image(shown)
    assert 0 < shown.painted_area - painted <= (shown.grid.column_width + 6) * 2000
    assert changed == fresh(shown)


def test_the_calendar_paints_in_a_stretch_the_background_steps_aside_for(
    shown: CalendarView, monkeypatch: pytest.MonkeyPatch
) -> None:
    from frontdesk_app.runtime import GUI_TURN

    busy: list[bool] = []
    paint = shown._paint.paint

    def watched(*args: object) -> None:
        busy.append(GUI_TURN.busy)
        paint(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(shown._paint, "paint", watched)
    shown.viewport().repaint()
    assert busy and all(busy)
    assert not GUI_TURN.busy
