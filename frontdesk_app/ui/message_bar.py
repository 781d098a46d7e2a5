"""An inline message strip: refusals and notices shown where the person is looking."""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.ui.errors import describe
from frontdesk_app.ui.resources import icon

Level = Literal["info", "warning", "error"]
_ICONS: dict[Level, str] = {"info": "info", "warning": "pending", "error": "error"}


class MessageBar(QFrame):
    """Hidden until `show_error` or `show_message`; the person closes it or it fades (info)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MessageBar")
        self.setAccessibleName("Message")
        self._icon = QLabel()
        self._icon.setFixedSize(20, 20)
        self._title = QLabel()
        self._title.setObjectName("MessageTitle")
        self._text = QLabel()
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setIcon(icon("close"))
        close.setAccessibleName("Close message")
        close.setToolTip("Close")
        close.clicked.connect(self.hide)
        texts = QVBoxLayout()
        texts.setSpacing(1)
        texts.addWidget(self._title)
        texts.addWidget(self._text)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 6, 6)
        row.setSpacing(10)
        row.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(texts, 1)
        row.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.code = ""
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
    ) -> None:
        self.code = code
        self.setProperty("level", level)
        self._icon.setPixmap(icon(_ICONS[level]).pixmap(20, 20))
        self._title.setText(title)
        self._text.setText(text)
        self._text.setVisible(bool(text))
        self.setAccessibleDescription(f"{title}. {text}".strip())
        # Re-polish so the [level=…] style rule follows the property change.
        self.style().unpolish(self)
        self.style().polish(self)
        self.show()
        self._timer.stop()
        if timeout_ms is None and level == "info":
            timeout_ms = 6000
        if timeout_ms:
            self._timer.start(timeout_ms)
