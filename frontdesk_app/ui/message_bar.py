"""A message strip: refusals and notices shown where the person is looking.

In a panel the strip floats over what lies under its place (`overlay`): showing or hiding it
never moves the calendar's grid or a list under the pointer. Its place in the panel's layout is
taken by a zero-height stand-in whose geometry it follows. In a dialog it stays in the layout
(the dialog grows instead of hiding a field under it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.ui.errors import describe
from frontdesk_app.ui.resources import icon

Level = Literal["info", "warning", "error"]
_ICONS: dict[Level, str] = {"info": "info", "warning": "pending", "error": "error"}


NOTICE_MS = 6000
ACTION_NOTICE_MS = 20_000


class MessageBar(QFrame):
    """Hidden until `show_error` or `show_message`; the person closes it or it fades (info)."""

    def __init__(self, parent: QWidget | None = None, *, overlay: bool | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MessageBar")
        self.setAccessibleName("Message")
        self.overlay = not isinstance(parent, QDialog) if overlay is None else overlay
        self._stand_in: QWidget | None = None
        self._icon = QLabel()
        self._icon.setFixedSize(20, 20)
        self._title = QLabel()
        self._title.setObjectName("MessageTitle")
        self._text = QLabel()
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action_button = QPushButton()
        self.action_button.setAutoDefault(False)  # Enter in a dialog goes to its own default
        self.action_button.hide()
        self.action_button.clicked.connect(self._on_action_clicked)
        self._action: Callable[[], None] | None = None
        close = QToolButton()
        close.setIcon(icon("close"))
        close.setAccessibleName("Close message")
        close.setToolTip("Close")
        close.clicked.connect(self.hide)
        # Floating over a panel, title and text share a line: it covers as little as it can.
        texts = QHBoxLayout() if self.overlay else QVBoxLayout()
        texts.setSpacing(10 if self.overlay else 1)
        align = Qt.AlignmentFlag.AlignVCenter if self.overlay else Qt.AlignmentFlag.AlignTop
        texts.addWidget(self._title, 0, align)
        texts.addWidget(self._text, 1, align)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 4 if self.overlay else 6, 6, 4 if self.overlay else 6)
        row.setSpacing(10)
        row.addWidget(self._icon, 0, align)
        row.addLayout(texts, 1)
        row.addWidget(self.action_button, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(close, 0, align)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.code = ""
        self.level: Level = "info"
        self.hide()

    @property
    def title(self) -> str:
        return self._title.text()

    @property
    def text(self) -> str:
        return self._text.text()

    def show_error(self, error: FrontDeskError) -> None:
        level: Level = "warning" if error.code in {"offline", "rate_limited"} else "error"
        self.show_message(error.title, describe(error), level=level, code=error.code)

    def show_message(
        self,
        title: str,
        text: str = "",
        *,
        level: Level = "info",
        code: str = "",
        timeout_ms: int | None = None,
        action: tuple[str, Callable[[], None]] | None = None,
    ) -> None:
        """Show a message; `action` adds a button (its label, what it does; the message closes
        when it is pressed)."""
        self.code = code
        self.level = level
        self.setProperty("level", level)
        self._icon.setPixmap(icon(_ICONS[level]).pixmap(20, 20))
        self._title.setText(title)
        self._text.setText(text)
        self._text.setVisible(bool(text))
        self._action = action[1] if action else None
        self.action_button.setText(action[0] if action else "")
        self.action_button.setAccessibleName(action[0] if action else "")
        self.action_button.setVisible(action is not None)
        self.setAccessibleDescription(f"{title}. {text}".strip())
        # Re-polish so the [level=…] style rule follows the property change.
        self.style().unpolish(self)
        self.style().polish(self)
        if self.overlay:
            self._float()
        self.show()
        if self._stand_in is not None:
            self._place()
            self.raise_()
        self._timer.stop()
        if timeout_ms is None and level == "info":
            # A notice with something to do (offer the freed time, put a patient back) stays
            # long enough to read it and reach for the button.
            timeout_ms = ACTION_NOTICE_MS if action is not None else NOTICE_MS
        if timeout_ms:
            self._timer.start(timeout_ms)

    def hide_errors(self) -> None:
        """Let a refusal or warning go (what it was about is no longer shown); notices stay."""
        if self.level != "info":
            self.hide()

    def _on_action_clicked(self) -> None:
        action = self._action
        self.hide()
        if action is not None:
            action()

    # --- floating over the panel --------------------------------------------------------------
    def _float(self) -> None:
        """Leave the layout the panel put the strip in; a zero-height stand-in keeps its place."""
        if self._stand_in is not None:
            return
        host = self.parentWidget()
        layout = _layout_holding(host.layout(), self) if host is not None else None
        if host is None or layout is None:
            return
        stand_in = QWidget(host)
        stand_in.setObjectName("MessageBarPlace")
        stand_in.setFixedHeight(0)
        stand_in.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        layout.replaceWidget(self, stand_in)
        stand_in.installEventFilter(self)
        self._stand_in = stand_in

    def _place(self) -> None:
        """Over the stand-in's place, as tall as the text needs, above everything under it."""
        stand_in = self._stand_in
        if stand_in is None:
            return
        width = stand_in.width()
        height = self.heightForWidth(width) if self.hasHeightForWidth() else -1
        self.setGeometry(stand_in.x(), stand_in.y(), width, max(height, self.sizeHint().height()))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._stand_in and event.type() in (QEvent.Type.Move, QEvent.Type.Resize):
            self._place()
        return False


def _layout_holding(layout: QLayout | None, widget: QWidget) -> QLayout | None:
    """The layout (the panel's, or one nested in it) that holds `widget`."""
    if layout is None:
        return None
    if layout.indexOf(widget) >= 0:
        return layout
    for index in range(layout.count()):
        item = layout.itemAt(index)
        inner = item.layout() if item is not None else None
        found = _layout_holding(inner, widget)
        if found is not None:
            return found
    return None
