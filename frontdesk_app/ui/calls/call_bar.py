"""The call bar: while this agent has a caller on the line, who and for how long, on every panel.

The live-calls panel keeps it current; the main window shows it above every panel (a toolbar),
so an agent who went to the calendar to book never loses sight of the call, and can go back to
it or complete it in one click.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QToolBar, QWidget

from frontdesk_app.domain.models import Transfer
from frontdesk_app.ui.calls.card import caller_title
from frontdesk_app.ui.calls.labels import PRIORITY_STYLE, intent_label


def elapsed(seconds: float) -> str:
    """`0:42`, `12:05`, `1:02:09`: how long the caller has been with this agent."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class CallBar(QWidget):
    """Hidden without a call; `open_requested` and `complete_requested` carry the transfer id."""

    open_requested = Signal(str)
    complete_requested = Signal(str)
    active_changed = Signal(bool)  # a call is on the line (the window shows or hides the bar)

    def __init__(self, clock: Callable[[], datetime], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callBar")
        self.setAccessibleName("Call on the line")
        self._clock = clock
        self.transfer: Transfer | None = None
        self.badge = QLabel(self)
        self.caller = QLabel(self)
        self.caller.setObjectName("callBarCaller")
        self.timer = QLabel(self)
        self.timer.setObjectName("callBarTimer")
        self.timer.setAccessibleName("Time on the call")
        self.intent = QLabel(self)
        self.intent.setProperty("role", "hint")
        self.open_button = QPushButton("Open call", self)
        self.open_button.setToolTip("Back to the call's transcript and actions (Ctrl+4)")
        self.complete_button = QPushButton("Complete…", self)
        self.complete_button.setToolTip("Wrap the call up (Alt+C in the call)")
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 3, 10, 3)
        row.setSpacing(10)
        row.addWidget(QLabel("On the line:", self))
        row.addWidget(self.badge)
        row.addWidget(self.caller)
        row.addWidget(self.timer)
        row.addWidget(self.intent, 1)
        row.addWidget(self.open_button)
        row.addWidget(self.complete_button)
        self.setStyleSheet(
            "QWidget#callBar { background: #e8f3ec; border-bottom: 1px solid #b9dcc6; }"
            " QLabel#callBarCaller { font-weight: 700; }"
            " QLabel#callBarTimer { font-family: monospace; font-weight: 700; color: #1e6b3a; }"
        )
        self.open_button.clicked.connect(self.on_open_clicked)
        self.complete_button.clicked.connect(self.on_complete_clicked)
        self._toolbar: QToolBar | None = None
        self.show_call(None)

    @property
    def active(self) -> bool:
        return self.transfer is not None

    def place_in(self, toolbar: QToolBar) -> None:
        """Live in the window's toolbar, which shows exactly while a call is on the line."""
        self._toolbar = toolbar
        self.setVisible(True)
        toolbar.addWidget(self)
        toolbar.setVisible(self.active)
        self.active_changed.connect(toolbar.setVisible)

    def show_call(self, transfer: Transfer | None) -> None:
        """The call this agent has on the line, or None (the bar hides)."""
        was_active = self.transfer is not None
        self.transfer = transfer
        if was_active != (transfer is not None):
            self.active_changed.emit(transfer is not None)
        if self._toolbar is None:
            self.setVisible(transfer is not None)  # the toolbar hides itself otherwise
        if transfer is None:
            return
        badge, strong, _ = PRIORITY_STYLE[transfer.priority]
        self.badge.setText(badge)
        self.badge.setStyleSheet(f"color: {strong}; font-weight: 700;")
        self.caller.setText(caller_title(transfer))
        call = transfer.call
        self.intent.setText(intent_label(call.intent.name) if call else "")
        self.refresh()

    def refresh(self) -> None:
        transfer = self.transfer
        if transfer is None:
            return
        since = transfer.accepted_at or transfer.transferred_at
        self.timer.setText(elapsed((self._clock() - since).total_seconds()))

    def on_open_clicked(self) -> None:
        if self.transfer is not None:
            self.open_requested.emit(self.transfer.transfer_id)

    def on_complete_clicked(self) -> None:
        if self.transfer is not None:
            self.complete_requested.emit(self.transfer.transfer_id)
