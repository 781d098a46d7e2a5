"""One waiting call as a card: who, how pressing, what they want, how they feel, the gist.

Emergency and urgent cards carry a coloured edge, a tinted face and a worded badge, so the
priority never rests on colour alone and cannot be missed in a long queue.
"""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from frontdesk_app.domain.models import Transfer
from frontdesk_app.ui.calls.labels import (
    PRIORITY_STYLE,
    intent_label,
    sentiment_colour,
    sentiment_text,
    waited,
)


def caller_title(transfer: Transfer) -> str:
    call = transfer.call
    if call is None:
        return "Transferred call"
    return call.caller.name or call.caller.phone


class TransferCard(QFrame):
    """A transfer in the queue; `open_requested` and `accept_requested` carry its id."""

    open_requested = Signal(str)
    accept_requested = Signal(str)
    decline_requested = Signal(str)

    def __init__(self, transfer: Transfer, zone: ZoneInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transferCard")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._zone = zone
        self.transfer = transfer

        self.badge = QLabel(self)
        self.badge.setObjectName("priorityBadge")
        self.caller = QLabel(self)
        self.caller.setMinimumWidth(60)
        self.caller.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        font = self.caller.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.caller.setFont(font)
        self.when = QLabel(self)
        self.when.setProperty("role", "hint")
        self.intent = QLabel(self)
        self.sentiment = QLabel(self)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.state = QLabel(self)
        self.state.setProperty("role", "hint")
        # The countdown may be long; it yields width to the buttons instead of widening cards.
        self.state.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.state.setMinimumWidth(80)
        self.open_button = QPushButton("Open", self)
        self.accept_button = QPushButton("Accept", self)
        self.accept_button.setProperty("primary", True)
        self.accept_button.setToolTip("Accept this call (Alt+A)")
        self.decline_button = QPushButton("Decline", self)
        self.decline_button.setToolTip("Pass this call to another agent now (Alt+D)")
        self.mine = False
        # The style sheets last set: setting one again re-polishes every child for nothing.
        self._style = ""
        self._sentiment_style = ""
        self._wait_texts = ("", "")  # the `when` and `state` labels' texts (`refresh_wait`)
        # Seconds left to accept an offer; None when the card is not an offer.
        self.seconds_left: int | None = None

        top = QHBoxLayout()
        top.setSpacing(10)
        top.addWidget(self.badge)
        top.addWidget(self.caller, 1)
        top.addWidget(self.when)
        middle = QHBoxLayout()
        middle.setSpacing(16)
        middle.addWidget(self.intent)
        middle.addWidget(self.sentiment)
        middle.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.state, 1)
        bottom.addWidget(self.open_button)
        bottom.addWidget(self.decline_button)
        bottom.addWidget(self.accept_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 10, 12, 10)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addLayout(middle)
        layout.addWidget(self.summary)
        layout.addLayout(bottom)

        self.open_button.clicked.connect(self.on_open_clicked)
        self.accept_button.clicked.connect(self.on_accept_clicked)
        self.decline_button.clicked.connect(self.on_decline_clicked)
        self.set_transfer(transfer, mine=False)

    def set_transfer(self, transfer: Transfer, *, mine: bool) -> None:
        self.transfer = transfer
        badge, strong, tint = PRIORITY_STYLE[transfer.priority]
        loud = transfer.priority != "normal"
        border = f"2px solid {strong}" if transfer.priority == "emergency" else "1px solid #d5dde6"
        style = (
            f"QFrame#transferCard {{ background: {tint}; border: {border};"
            f" border-left: 6px solid {strong}; border-radius: 8px; }}"
            " QFrame#transferCard QLabel { background: transparent; border: none; }"
            f" QFrame#transferCard QLabel#priorityBadge {{ color: {'#ffffff' if loud else strong};"
            f" background: {strong if loud else '#eef2f6'}; border-radius: 4px;"
            " padding: 2px 8px; font-weight: 700; }"
        )
        if style != self._style:
            self._style = style
            self.setStyleSheet(style)
        self.badge.setText(badge)
        self.caller.setText(caller_title(transfer))
        call = transfer.call
        if call is not None:
            self.intent.setText(
                f"{intent_label(call.intent.name)} · {round(call.intent.confidence * 100)}%"
            )
            self.sentiment.setText(sentiment_text(call.sentiment))
            self._set_sentiment_style(f"color: {sentiment_colour(call.sentiment)};")
        else:
            self.intent.setText("")
            self.sentiment.setText("")
        self.summary.setText(transfer.context_summary or (call.summary if call else ""))
        self.mine = mine
        self.accept_button.setVisible(not mine)
        self.decline_button.setVisible(not mine and transfer.status == "connected")
        self.setAccessibleName(
            f"{badge} call: {caller_title(transfer)}, {self.intent.text()}".replace(
                "⚠ ", ""
            ).replace("▲ ", "")
        )
        self.refresh_wait(None)

    def _set_sentiment_style(self, style: str) -> None:
        if style != self._sentiment_style:
            self._sentiment_style = style
            self.sentiment.setStyleSheet(style)

    def refresh_wait(self, now: datetime | None) -> None:
        """The time waited, and for an offer the seconds left to accept it (a countdown)."""
        transfer = self.transfer
        at = transfer.transferred_at.astimezone(self._zone)
        text = f"{at:%H:%M}"
        if now is not None:
            text += f" · {waited(now - transfer.transferred_at).removeprefix('waiting ')}"
        self.seconds_left = None
        if self.mine:
            state = "Yours: on the line"
        elif transfer.status == "queued":
            state = "Waiting for any agent"
        elif transfer.offer_expires_at is not None and now is not None:
            left = max(0, math.ceil((transfer.offer_expires_at - now).total_seconds()))
            self.seconds_left = left
            state = f"Offered · {left} s to accept" if left else "Passing on…"
        else:
            state = "Offered to you"
        # Every card is refreshed each second: only a text that changed goes to its label.
        if (text, state) != self._wait_texts:
            self._wait_texts = (text, state)
            self.when.setText(text)
            self.state.setText(state)

    def on_open_clicked(self) -> None:
        self.open_requested.emit(self.transfer.transfer_id)

    def on_accept_clicked(self) -> None:
        self.accept_requested.emit(self.transfer.transfer_id)

    def on_decline_clicked(self) -> None:
        self.decline_requested.emit(self.transfer.transfer_id)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter opens the focused card; the keyboard alone can work the queue.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.open_requested.emit(self.transfer.transfer_id)
            return
        super().keyPressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.open_requested.emit(self.transfer.transfer_id)
        super().mouseReleaseEvent(event)
