"""The calendar's view-model and geometry, without a window: indexing, changes, free time,
lanes for overlaps and time ↔ position on a DST day."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from frontdesk_app.domain.models import Appointment, BlockedTime, Provider, TimeRange
from frontdesk_app.ui.calendar.geometry import Grid, assign_lanes
from frontdesk_app.ui.calendar.model import (
    AppointmentView,
    CalendarModel,
    ModelChange,
    sync_state_of,
)

ZONE = ZoneInfo("America/New_York")
DAY = date(2030, 3, 12)  # a Tuesday


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE).astimezone(UTC)


def provider(pid: str = "prov_a", *, blocked: list[BlockedTime] | None = None) -> Provider:
    hours = [TimeRange(start=time(8), end=time(12)), TimeRange(start=time(13), end=time(17))]
    return Provider(
        id=pid,
        name=f"Dr. {pid}",
        specialty="Family",
        timezone=ZONE.key,
        weekly_hours={d: hours for d in range(5)},
        blocked=blocked or [],
    )


def view(
    aid: str, start: datetime, minutes: int = 30, *, pid: str = "prov_a", status: str = "confirmed"
) -> AppointmentView:
    return AppointmentView(
        id=aid,
        provider_id=pid,
        patient_id="pat_1",
        start=start,
        end=start + timedelta(minutes=minutes),
        type="consultation",
        status=status,
    )


@pytest.fixture
def model() -> CalendarModel:
    m = CalendarModel(ZONE)
    m.set_providers([provider("prov_a"), provider("prov_b")])
    m.set_days([DAY])
    return m


def test_cells_are_sorted_and_changes_name_what_moved(model: CalendarModel) -> None:
    changes: list[ModelChange] = []
    model.add_listener(changes.append)
    model.replace_all([view("apt_2", at(10)), view("apt_1", at(9))])
    assert [v.id for v in model.in_cell("prov_a", DAY)] == ["apt_1", "apt_2"]
    assert changes[-1].reset

    moved = view("apt_1", at(11))
    model.upsert(moved)
    assert [v.id for v in model.in_cell("prov_a", DAY)] == ["apt_2", "apt_1"]
    assert changes[-1].before[0].start == at(9) and changes[-1].after == (moved,)
    model.upsert(moved)  # unchanged: nobody is told
    assert len(changes) == 2

    model.remove("apt_2")
    assert [v.id for v in model.in_cell("prov_a", DAY)] == ["apt_1"]
    assert changes[-1].before[0].id == "apt_2" and not changes[-1].after


def test_cancelled_are_hidden_unless_asked_for(model: CalendarModel) -> None:
    model.replace_all([view("apt_1", at(9), status="cancelled"), view("apt_2", at(10))])
    assert [v.id for v in model.in_cell("prov_a", DAY)] == ["apt_2"]
    model.show_cancelled = True
    assert [v.id for v in model.in_cell("prov_a", DAY)] == ["apt_1", "apt_2"]


def test_columns_are_day_major_over_the_shown_providers(model: CalendarModel) -> None:
    model.set_days([DAY, DAY + timedelta(days=1)])
    model.set_shown(["prov_b"])
    assert [(c.provider.id, c.day) for c in model.columns()] == [
        ("prov_b", DAY),
        ("prov_b", DAY + timedelta(days=1)),
    ]
    model.set_shown(["prov_b", "prov_a"])  # kept in the clinic's order
    assert [c.provider.id for c in model.columns()][:2] == ["prov_a", "prov_b"]


def test_free_time_respects_hours_blocks_and_other_appointments() -> None:
    lunch_meeting = BlockedTime(start_time=at(15), end_time=at(16), reason="meeting")
    m = CalendarModel(ZONE)
    m.set_providers([provider("prov_a", blocked=[lunch_meeting])])
    m.set_days([DAY])
    m.replace_all([view("apt_1", at(9))])
    assert m.is_free("prov_a", at(9, 30), at(10))  # back to back is fine
    assert not m.is_free("prov_a", at(9, 15), at(9, 45))
    assert m.is_free("prov_a", at(9, 15), at(9, 45), ignore_id="apt_1")  # moving itself
    assert not m.is_free("prov_a", at(11, 45), at(12, 15))  # runs into lunch
    assert not m.is_free("prov_a", at(7, 30), at(8))  # before opening
    assert not m.is_free("prov_a", at(15, 30), at(16))  # blocked
    assert [r for *_, r in m.blocked("prov_a", DAY)] == ["meeting"]


def test_sync_state_comes_from_the_backend_or_a_temporary_id() -> None:
    base = dict(
        status="confirmed",
        patient_id="pat_1",
        provider_id="prov_a",
        start_time=at(9),
        end_time=at(9, 30),
        duration_minutes=30,
        type="consultation",
        created_at=at(8),
        updated_at=at(8),
    )
    assert sync_state_of(Appointment(id="apt_x", **base)) == ("synced", None)  # type: ignore[arg-type]
    assert sync_state_of(Appointment(id="tmp_apt_x", **base))[0] == "pending"  # type: ignore[arg-type]


def test_lanes_share_width_only_within_a_cluster() -> None:
    items = [view("a", at(9)), view("b", at(9, 15)), view("c", at(9, 40)), view("d", at(11))]
    lanes = assign_lanes(items)
    assert lanes["a"] == (0, 2) and lanes["b"] == (1, 2)
    assert lanes["c"] == (0, 2)  # a ended: c takes its lane, same cluster as b
    assert lanes["d"] == (0, 1)


def test_grid_places_wall_clock_times_even_on_a_dst_day() -> None:
    spring = date(2030, 3, 10)  # clocks go forward at 02:00 in New York
    grid = Grid(zone=ZONE, first_minute=7 * 60, last_minute=19 * 60, px_per_minute=2.0)
    nine = at(9, day=spring)
    assert grid.y_of(nine, spring) == 240.0  # two hours below 07:00, 2 px a minute
    assert grid.instant_at(spring, 240.0 + 10) == nine  # snapped to the quarter hour
    assert grid.minute_at(-50) == 7 * 60 and grid.minute_at(10_000) == 19 * 60 - 15
    grid.columns, grid.column_width = 3, 100.0
    assert grid.column_at(250) == 2 and grid.column_at(301) is None
    assert list(grid.visible_columns(150, 220)) == [1, 2]


def test_days_read_ahead_are_held_but_neither_shown_nor_counted(model: CalendarModel) -> None:
    changes: list[ModelChange] = []
    model.add_listener(changes.append)
    tomorrow = DAY + timedelta(days=1)
    model.replace_all([view("apt_1", at(9))])
    model.replace_days([tomorrow], [view("apt_2", at(9, day=tomorrow))])
    assert len(changes) == 1  # the day read ahead is not in view: nothing to redraw
    assert model.covers([DAY, tomorrow]) and not model.covers([DAY + timedelta(days=2)])
    assert len(model) == 1 and [v.id for v in model.all()] == ["apt_1"]
    assert model.get("apt_2") is not None
    assert {v.id for v in model.all_held()} == {"apt_1", "apt_2"}

    model.set_days([tomorrow])
    assert [v.id for v in model.all()] == ["apt_2"]
    model.replace_days([tomorrow], [view("apt_3", at(10, day=tomorrow))])
    assert changes[-1].reset and [v.id for v in model.all()] == ["apt_3"]
    assert model.get("apt_2") is None and model.get("apt_1") is not None

    model.forget_days([])  # the day shown stays, the one before goes
    assert model.covers([tomorrow]) and not model.covers([DAY])
    assert model.get("apt_1") is None and model.get("apt_3") is not None


def test_a_cell_changes_version_only_when_what_it_answers_changes(model: CalendarModel) -> None:
    model.replace_all([view("apt_1", at(9)), view("apt_2", at(10), pid="prov_b")])
    a, b = model.cell_version("prov_a", DAY), model.cell_version("prov_b", DAY)
    assert a and b and model.cell_version("prov_a", DAY + timedelta(days=1)) == 0
    model.upsert(view("apt_3", at(11), pid="prov_b"))
    assert model.cell_version("prov_a", DAY) == a and model.cell_version("prov_b", DAY) > b
    model.set_days([DAY + timedelta(days=7)])
    model.set_days([DAY])
    assert model.cell_version("prov_a", DAY) == a
    model.show_cancelled = True
    assert model.cell_version("prov_a", DAY) > a


def test_names_redraw_the_view_only_when_one_in_view_changes(model: CalendarModel) -> None:
    changes: list[ModelChange] = []
    model.replace_all([view("apt_1", at(9))])
    model.add_listener(changes.append)
    model.set_patient_labels({"pat_1": "Ada Lovelace"})
    assert len(changes) == 1 and model.patient_label("pat_1") == "Ada Lovelace"
    model.set_patient_labels({"pat_1": "Ada Lovelace", "pat_9": "Someone Elsewhere"})
    assert len(changes) == 1  # nothing in view changed


def test_the_model_knows_which_appointments_wait_to_sync(model: CalendarModel) -> None:
    model.replace_all([view("apt_1", at(9)), replace(view("tmp_2", at(10)), sync_state="pending")])
    assert model.unsynced_ids() == {"tmp_2"}
    model.set_sync_state("apt_1", "conflict", "Slot taken")
    model.set_sync_state("tmp_2", "synced")
    assert model.unsynced_ids() == {"apt_1"}
    model.remove("apt_1")
    ahead = DAY + timedelta(days=1)
    model.replace_days([ahead], [replace(view("tmp_3", at(9, day=ahead)), sync_state="pending")])
    assert model.unsynced_ids() == {"tmp_3"}
    model.forget_days([])
    assert model.unsynced_ids() == set()
