"""The status bar: connection, pending writes, conflicts, rate budget, clinic zone, busy work.

It reads a `SyncStatusSource` when the backend has one (the offline-first backend), else the
API client's rate budget, else it says "Standalone": every backend gives a truthful bar.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolButton, QWidget

from frontdesk_app.ui.resources import icon
from frontdesk_app.ui.sync_status import (
    RateBudgetSource,
    StatusSnapshot,
    SyncStatusSource,
    rate_of,
)

_CONNECTION_TEXT = {
    "connecting": "Connecting…",
    "online": "Online",
    "offline": "Offline",
    "syncing": "Syncing",
    "conflicts": "Online",
    "standalone": "Standalone",
}
_CONNECTION_ICON = {
    "connecting": "syncing",
    "online": "online",
    "offline": "offline",
    "syncing": "syncing",
    "conflicts": "online",
    "standalone": "standalone",
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class FrontDeskStatusBar(QStatusBar):
    """`attach(backend, environment=…)` after the backend is ready; `detach()` before it goes."""

    conflicts_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeGripEnabled(True)
        self._unsubscribe: list[Callable[[], None]] = []
        self._environment = ""
        self.snapshot = StatusSnapshot()

        self.connection = QToolButton()
        self.connection.setAccessibleName("Connection")
        self.connection.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.connection.setIconSize(QSize(12, 12))
        self.connection.setAutoRaise(True)
        self.pending = QLabel()
        self.pending.setAccessibleName("Pending changes")
        self.conflicts = QToolButton()
        self.conflicts.setAccessibleName("Conflicts")
        self.conflicts.setIcon(icon("conflict"))
        self.conflicts.setIconSize(QSize(14, 14))
        self.conflicts.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.conflicts.setToolTip("Show the changes the server refused, and resolve them")
        self.conflicts.clicked.connect(self.conflicts_clicked)
        self.rate = QLabel()
        self.rate.setAccessibleName("Request budget")
        self.rate.setToolTip("Requests left in this minute's budget of the FrontDeskOS API")
        self.zone = QLabel()
        self.zone.setAccessibleName("Clinic time zone")
        self.busy_label = QLabel()
        self.busy = QProgressBar()
        self.busy.setAccessibleName("Working")
        self.busy.setRange(0, 0)
        self.busy.setFixedWidth(90)
        self.busy.setTextVisible(False)
        self.busy_label.hide()
        self.busy.hide()

        self.addWidget(self.busy_label)
        self.addWidget(self.busy)
        for widget in (self.connection, self.pending, self.conflicts, self.rate, self.zone):
            self.addPermanentWidget(widget)
        self.show_snapshot(self.snapshot)

    # --- wiring ------------------------------------------------------------------------------
    def attach(self, backend: object, *, environment: str) -> None:
        self.detach()
        self._environment = environment
        if isinstance(backend, SyncStatusSource):
            self._unsubscribe.append(backend.add_state_listener(self._on_backend_state_changed))
            self.show_snapshot(StatusSnapshot.from_state(backend.state))
        elif isinstance(backend, RateBudgetSource):
            budget: Any = backend.rate_budget
            if hasattr(budget, "subscribe"):
                self._unsubscribe.append(budget.subscribe(self._on_rate_budget_changed))
            self.show_snapshot(StatusSnapshot(connection="online"))
            self._on_rate_budget_changed(getattr(budget, "value", budget))
        else:
            self.show_snapshot(StatusSnapshot(connection="standalone"))

    def detach(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self.show_snapshot(StatusSnapshot(connection="connecting"))

    def set_zone(self, zone_name: str) -> None:
        self.zone.setText(zone_name.replace("_", " "))
        self.zone.setToolTip(f"Times are shown in the clinic's time zone, {zone_name}")

    def set_busy(self, busy: bool, label: str) -> None:
        self.busy.setVisible(busy)
        self.busy_label.setVisible(busy and bool(label))
        self.busy_label.setText(label)

    # --- rendering ---------------------------------------------------------------------------
    def _on_backend_state_changed(self, state: object) -> None:
        self.show_snapshot(StatusSnapshot.from_state(state))

    def _on_rate_budget_changed(self, budget: object) -> None:
        remaining, limit = rate_of(budget)
        snap = self.snapshot
        self.show_snapshot(
            StatusSnapshot(
                connection=snap.connection,
                pending=snap.pending,
                conflicts=snap.conflicts,
                rate_remaining=remaining,
                rate_limit=limit,
                last_sync=snap.last_sync,
            )
        )

    def show_snapshot(self, snap: StatusSnapshot) -> None:
        self.snapshot = snap
        text = _CONNECTION_TEXT[snap.connection]
        if self._environment and snap.connection != "standalone":
            text = f"{text} · {self._environment}"
        self.connection.setText(text)
        self.connection.setIcon(icon(_CONNECTION_ICON[snap.connection]))
        tip = {
            "online": "Connected; every change is saved to the server at once.",
            "offline": "The server cannot be reached. Keep working: changes wait here and are "
            "sent when the connection is back.",
            "syncing": "Sending the changes made while offline.",
            "standalone": "Working on this computer only (no server).",
            "connecting": "Starting up…",
            "conflicts": "Connected, but some changes need your decision.",
        }[snap.connection]
        if snap.last_sync is not None:
            tip += f"\nLast sync: {snap.last_sync.astimezone():%H:%M:%S}"
        self.connection.setToolTip(tip)
        self.pending.setVisible(snap.pending > 0)
        self.pending.setText(_plural(snap.pending, "change") + " waiting")
        self.pending.setToolTip("Changes saved here and not yet confirmed by the server")
        self.conflicts.setVisible(snap.conflicts > 0)
        self.conflicts.setText(_plural(snap.conflicts, "conflict"))
        if snap.rate_limit:
            remaining = snap.rate_remaining if snap.rate_remaining is not None else snap.rate_limit
            self.rate.setText(f"API budget {remaining:,}/{snap.rate_limit:,}")
            self.rate.show()
        else:
            self.rate.hide()

    @staticmethod
    def format_time(value: datetime | None) -> str:
        return "never" if value is None else f"{value.astimezone():%H:%M}"
