"""The window's parts on their own: error sink, async bridge, status bar, conflict list,
settings dialog, the length box and the opening finder's search order."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import keyring
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from frontdesk_app.config import Settings, load_settings
from frontdesk_app.domain.errors import FrontDeskError, SlotUnavailable
from frontdesk_app.domain.models import Availability, Provider, Slot, TimeRange
from frontdesk_app.ui.async_bridge import AsyncBridge
from frontdesk_app.ui.calendar.duration_box import DurationBox
from frontdesk_app.ui.calendar.openings import find_next_opening
from frontdesk_app.ui.conflicts_dialog import ConflictListDialog
from frontdesk_app.ui.errors import ErrorSink
from frontdesk_app.ui.message_bar import MessageBar
from frontdesk_app.ui.settings_dialog import SettingsDialog
from frontdesk_app.ui.status_bar import FrontDeskStatusBar
from frontdesk_app.ui.sync_status import ConflictItem, StatusSnapshot
from tests.ui.calendar_support import ZONE, run

pytestmark = [
    pytest.mark.ui,
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


# --- error sink and bridge -----------------------------------------------------------------


def test_refusals_go_where_the_person_looks_and_bugs_are_reported(
    qtbot: QtBot, loop: object, caplog: pytest.LogCaptureFixture
) -> None:
    sink = ErrorSink()
    fallback, dialog_bar = MessageBar(), MessageBar()
    sink.set_fallback(fallback)
    sink.report(
        SlotUnavailable("Dr. Okafor already has a follow-up 10:00–10:30."), where=dialog_bar
    )
    assert dialog_bar.code == "slot_unavailable" and "Okafor" in dialog_bar.text
    assert fallback.code == ""
    sink.report(FrontDeskError("Something the server refused."))
    assert fallback.text == "Something the server refused."
    with qtbot.waitSignal(sink.bug_reported) as reported:
        sink.report(KeyError("Jane Doe"), context="testing")
    assert len(sink.bugs) == 1 and isinstance(sink.bugs[0][1], KeyError)
    assert reported.args[0] in caplog.text and "KeyError" in caplog.text
    assert "Jane Doe" not in caplog.text  # a bug's message may hold patient data: not logged
    sink.close_reports()


def test_the_bridge_keeps_tasks_routes_errors_and_shows_busy(qtbot: QtBot, loop: object) -> None:
    sink = ErrorSink()
    bar = MessageBar()
    sink.set_fallback(bar)
    bridge = AsyncBridge(sink, busy_delay_ms=10)
    seen: list[tuple[bool, str]] = []
    bridge.busy_changed.connect(lambda busy, label: seen.append((busy, label)))
    results: list[int] = []

    async def slow() -> int:
        await asyncio.sleep(0.1)
        return 7

    async def refused() -> int:
        raise SlotUnavailable("Taken.")

    bridge.run(slow(), on_success=results.append, busy="Working…")
    bridge.run(refused())
    qtbot.waitUntil(lambda: bridge.in_flight == 0, timeout=5000)
    assert results == [7]
    assert seen == [(True, "Working…"), (False, "")]
    assert bar.code == "slot_unavailable"
    handled: list[BaseException] = []
    bridge.run(refused(), on_error=lambda exc: handled.append(exc) or True)
    qtbot.waitUntil(lambda: bridge.in_flight == 0, timeout=5000)
    assert len(handled) == 1 and not sink.bugs


# --- status bar ------------------------------------------------------------------------------


@dataclass
class FakeSync:
    state: Any
    listeners: list[Callable[[Any], None]] = field(default_factory=list)

    def add_state_listener(self, listener: Callable[[Any], None]) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def push(self, state: Any) -> None:
        self.state = state
        for listener in list(self.listeners):
            listener(state)


@dataclass(frozen=True)
class Budget:
    limit: int
    remaining: int


@dataclass(frozen=True)
class State:
    connection: str
    pending: int = 0
    conflicts: int = 0
    rate_budget: Budget | None = None
    last_sync: datetime | None = None


def test_status_bar_follows_the_sync_state(qtbot: QtBot) -> None:
    bar = FrontDeskStatusBar()
    qtbot.addWidget(bar)
    source = FakeSync(State("online", rate_budget=Budget(10_000, 9_990)))
    bar.attach(source, environment="Demo clinic")
    assert bar.connection.text() == "Online · Demo clinic"
    assert bar.rate.text() == "API budget 9,990/10,000"
    assert bar.pending.isHidden() and bar.conflicts.isHidden()
    source.push(State("offline", pending=3, conflicts=1))
    assert bar.connection.text().startswith("Offline")
    assert bar.pending.text() == "3 changes waiting" and not bar.pending.isHidden()
    assert bar.conflicts.text() == "1 conflict" and not bar.conflicts.isHidden()
    with qtbot.waitSignal(bar.conflicts_clicked):
        qtbot.mouseClick(bar.conflicts, Qt.MouseButton.LeftButton)
    bar.detach()
    assert not source.listeners
    bar.attach(object(), environment="Standalone")  # a backend with no sync state at all
    assert bar.snapshot == StatusSnapshot(connection="standalone")
    assert bar.connection.text() == "Standalone"


# --- conflict list ---------------------------------------------------------------------------


@dataclass
class FakeConflict:
    id: str
    kind: str
    reason: str
    provider_id: str
    patient_id: str
    duration_minutes: int
    request: Any
    can_choose_slot: bool = True
    appointment_id: str = "tmp_apt_1"


@dataclass
class FakeRequest:
    start_time: datetime


class ConflictBackend:
    """Only what the conflict list calls: conflicts, free slots, resolve."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.conflicts = [
            FakeConflict(
                "out_1",
                "create",
                "Dr. A already has a consultation.",
                "prov_a",
                "pat_1",
                30,
                FakeRequest(start),
            )
        ]
        self.resolved: list[tuple[str, datetime | None]] = []

    async def list_conflicts(self) -> list[FakeConflict]:
        return list(self.conflicts)

    async def resolve_conflict(
        self, conflict_id: str, *, new_start_time: datetime | None = None
    ) -> None:
        self.resolved.append((conflict_id, new_start_time))
        self.conflicts = [c for c in self.conflicts if c.id != conflict_id]

    async def provider_availability(
        self, provider_id: str, day: date, minutes: int
    ) -> Availability:
        later = self.start + timedelta(hours=1)
        return Availability(
            provider_id=provider_id,
            date=day,
            duration_minutes=minutes,
            slots=[Slot(start_time=later, end_time=later + timedelta(minutes=30))],
        )


def test_a_conflict_is_resolved_with_another_free_time(qtbot: QtBot, loop: object) -> None:
    start = datetime(2031, 5, 6, 14, 0, tzinfo=UTC)
    backend = ConflictBackend(start)
    bridge = AsyncBridge(ErrorSink())
    dialog = ConflictListDialog(
        backend,
        bridge,
        zone=ZONE,  # type: ignore[arg-type]
        provider_names={"prov_a": "Dr. A"},
        patient_names={"pat_1": "Pat One"},
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: len(dialog.items) == 1, timeout=5000)
    row = dialog.table.topLevelItem(0)
    assert row is not None and row.text(2) == "Dr. A" and "already has" in row.text(4)
    qtbot.waitUntil(lambda: dialog.time.selected() is not None, timeout=5000)
    with qtbot.waitSignal(dialog.resolved):
        qtbot.mouseClick(dialog.resend, Qt.MouseButton.LeftButton)
    assert backend.resolved == [("out_1", start + timedelta(hours=1))]
    qtbot.waitUntil(lambda: not dialog.items, timeout=5000)
    assert dialog.empty.isVisibleTo(dialog)


def test_conflict_items_read_the_sync_layers_shape() -> None:
    start = datetime(2031, 5, 6, 14, 0, tzinfo=UTC)
    item = ConflictItem.from_conflict(
        FakeConflict(
            "out_2",
            "reschedule",
            "Provider is away.",
            "prov_a",
            "pat_1",
            45,
            FakeRequest(start),
            can_choose_slot=True,
        )
    )
    assert (item.id, item.operation, item.start, item.duration_minutes) == (
        "out_2",
        "reschedule",
        start,
        45,
    )


# --- settings --------------------------------------------------------------------------------


def test_settings_keep_secrets_in_the_keyring_only(
    qtbot: QtBot, loop: object, tmp_path: Path
) -> None:
    path = tmp_path / "settings.json"
    dialog = SettingsDialog(Settings(), settings_path=path)
    qtbot.addWidget(dialog)
    dialog.environment.setCurrentIndex(dialog.environment.findData("custom"))
    dialog.custom_url.setText("http://clinic.example.org")  # plain http off this machine
    saved: list[tuple[Settings, bool]] = []
    dialog.saved.connect(lambda s, r: saved.append((s, r)))
    dialog.submit()
    assert not saved and dialog.message.isVisibleTo(dialog)

    dialog.custom_url.setText("https://clinic.example.org/")
    dialog.api_key.setText("fdk_live_secretvalue123")
    dialog.zone.setCurrentText("America/Chicago")
    dialog.submit()
    qtbot.waitUntil(lambda: bool(saved), timeout=5000)
    assert saved[0][1] is True
    stored = json.loads(path.read_text())
    assert (
        stored["environment"] == "custom" and stored["custom_url"] == "https://clinic.example.org"
    )
    assert "fdk_live_secretvalue123" not in path.read_text()
    assert keyring.get_password("FrontDesk", "custom/api_key") == "fdk_live_secretvalue123"
    assert load_settings(path).clinic_timezone == "America/Chicago"


def test_settings_are_saved_off_the_gui_thread_and_the_dialog_waits_for_it(
    qtbot: QtBot, loop: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import frontdesk_app.api

    release = threading.Event()
    threads: list[str] = []

    def slow_keyring(credentials: object, *, environment: str) -> None:
        threads.append(threading.current_thread().name)
        release.wait(5)

    monkeypatch.setattr(frontdesk_app.api, "save_credentials", slow_keyring)
    dialog = SettingsDialog(Settings(), settings_path=tmp_path / "settings.json")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.environment.setCurrentIndex(dialog.environment.findData("custom"))
    dialog.custom_url.setText("https://clinic.example.org")
    dialog.api_key.setText("fdk_live_secretvalue123")
    saved: list[Settings] = []
    dialog.saved.connect(lambda s, _r: saved.append(s))
    dialog.submit()
    qtbot.waitUntil(lambda: bool(threads), timeout=5000)
    assert threads[0] != threading.main_thread().name  # the keyring, on a worker thread
    # Meanwhile the window answers; the dialog waits, and Esc does not drop the save.
    assert not dialog.save_button.isEnabled() and dialog.save_button.text() == "Saving…"
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible() and not saved
    release.set()
    qtbot.waitUntil(lambda: bool(saved), timeout=5000)
    assert not dialog.isVisible() and saved[0].custom_url == "https://clinic.example.org"


# --- small widgets and the search ------------------------------------------------------------


def test_length_box_offers_common_lengths_and_takes_typed_ones(qtbot: QtBot) -> None:
    box = DurationBox(30)
    qtbot.addWidget(box)
    assert box.value() == 30
    with qtbot.waitSignal(box.valueChanged) as blocker:
        box.setEditText("50")
    assert blocker.args == [50] and box.value() == 50
    box.setEditText("1000")
    assert box.value() == 480  # the rules' maximum


class OpeningsBackend:
    def __init__(self, free: dict[tuple[str, date], list[datetime]]) -> None:
        self.free = free
        self.asked: list[tuple[str, date]] = []

    async def provider_availability(
        self, provider_id: str, day: date, minutes: int
    ) -> Availability:
        self.asked.append((provider_id, day))
        starts = self.free.get((provider_id, day), [])
        return Availability(
            provider_id=provider_id,
            date=day,
            duration_minutes=minutes,
            slots=[Slot(start_time=s, end_time=s + timedelta(minutes=minutes)) for s in starts],
        )


def weekday_provider(pid: str) -> Provider:
    hours = [TimeRange(start=time(8), end=time(17))]
    return Provider(
        id=pid,
        name=pid,
        specialty="x",
        timezone=ZONE.key,
        weekly_hours={d: hours for d in range(5)},
    )


def test_next_opening_is_the_earliest_day_then_the_earliest_time(
    qtbot: QtBot, loop: object
) -> None:
    friday = date(2031, 5, 9)
    monday = friday + timedelta(days=3)
    a, b = weekday_provider("prov_a"), weekday_provider("prov_b")
    late = datetime(2031, 5, 12, 19, tzinfo=UTC)
    early = datetime(2031, 5, 12, 14, tzinfo=UTC)
    backend = OpeningsBackend({("prov_a", monday): [late], ("prov_b", monday): [early]})
    found = run(qtbot, find_next_opening(backend, [a, b], 30, first_day=friday))  # type: ignore[arg-type]
    assert found is not None and (found.provider.id, found.start) == ("prov_b", early)
    # The weekend is never asked about: nobody works then.
    assert {d for _, d in backend.asked} == {friday, monday}
    after = run(
        qtbot,
        find_next_opening(
            backend,
            [a, b],
            30,
            first_day=monday,  # type: ignore[arg-type]
            not_before=early + timedelta(minutes=1),
        ),
    )
    assert after is not None and after.start == late
    assert (
        run(
            qtbot,
            find_next_opening(
                backend,
                [a],
                30,
                first_day=friday,  # type: ignore[arg-type]
                max_days=2,
            ),
        )
        is None
    )
