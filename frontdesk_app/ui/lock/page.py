"""The lock screen: asks for the workstation PIN (or, on first run, to choose one).

It shows nothing about the clinic's patients. While locked it may say that a call is
waiting and how urgent it is, never who is calling.
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from frontdesk_app.ui.lock.credential import MIN_LENGTH

Mode = Literal["unlock", "setup"]

UNLOCK_TITLE = "FrontDesk is locked"
UNLOCK_HINT = (
    "Patient information is hidden while nobody is at the desk. Enter the workstation PIN or "
    "password to continue. Changes made before locking keep syncing."
)
SETUP_TITLE = "Choose the workstation PIN"
SETUP_HINT = (
    "FrontDesk locks itself when the desk is left idle. Choose a PIN or password of at least "
    f"{MIN_LENGTH} characters that the people working at this desk will use to unlock it."
)


class LockPage(QWidget):
    """`unlock_requested(secret)` and `setup_requested(secret, confirmation)`."""

    unlock_requested = Signal(str)
    setup_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockPage")
        self.setAccessibleName("Lock screen")
        self.mode: Mode = "unlock"
        self.title = QLabel(UNLOCK_TITLE)
        self.title.setProperty("role", "heading")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint = QLabel(UNLOCK_HINT)
        self.hint.setProperty("role", "hint")
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.call_banner = QLabel("")
        self.call_banner.setObjectName("lockCallBanner")
        self.call_banner.setAccessibleName("Waiting calls")
        self.call_banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.call_banner.setWordWrap(True)
        # Own colours (not the app's stylesheet): a waiting caller must stand out here.
        self.call_banner.setStyleSheet(
            "QLabel { background: #fdf1dc; color: #7a4a00; border: 1px solid #e8c37a;"
            " border-radius: 6px; padding: 8px; font-weight: 600; }"
        )
        self.call_banner.hide()
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setAccessibleName("Workstation PIN or password")
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm.setAccessibleName("Repeat the PIN or password")
        self.error = QLabel("")
        self.error.setStyleSheet("QLabel { color: #b03a2e; }")
        self.error.setWordWrap(True)
        self.error.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.error.hide()
        self.button = QPushButton("Unlock")
        self.button.setDefault(True)
        self.button.setMinimumWidth(200)

        form = QFormLayout()
        form.addRow("PIN or password", self.secret)
        form.addRow("Repeat it", self.confirm)
        self._form = form
        box = QWidget()
        # A fixed width lets the wrapped texts take the height they need.
        box.setFixedWidth(460)
        inner = QVBoxLayout(box)
        inner.setSpacing(12)
        inner.addWidget(self.title)
        inner.addWidget(self.hint)
        inner.addWidget(self.call_banner)
        inner.addLayout(form)
        inner.addWidget(self.error)
        inner.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        # Centred by stretches, not by an alignment flag: an aligned widget gets its plain size
        # hint, and the wrapped texts would be cut to one line's height.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(box)
        row.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addStretch(2)
        outer.addLayout(row)
        outer.addStretch(3)

        self.button.clicked.connect(self.on_button_clicked)
        self.secret.returnPressed.connect(self.on_button_clicked)
        self.confirm.returnPressed.connect(self.on_button_clicked)
        self.show_mode("unlock")

    def show_mode(self, mode: Mode) -> None:
        """Unlock (one field) or first-run setup (the PIN twice); clears what was typed."""
        self.mode = mode
        setup = mode == "setup"
        self.title.setText(SETUP_TITLE if setup else UNLOCK_TITLE)
        self.hint.setText(SETUP_HINT if setup else UNLOCK_HINT)
        self.button.setText("Save and continue" if setup else "Unlock")
        self.confirm.setVisible(setup)
        label = self._form.labelForField(self.confirm)
        if label is not None:
            label.setVisible(setup)
        self.clear()

    def clear(self) -> None:
        self.secret.clear()
        self.confirm.clear()
        self.set_error("")
        self.set_busy(False)

    def set_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def set_busy(self, busy: bool, text: str = "Checking…") -> None:
        """While the PIN is checked (half a second, on purpose) or input is held back."""
        self.button.setEnabled(not busy)
        self.secret.setEnabled(not busy)
        self.confirm.setEnabled(not busy)
        if busy:
            self.button.setText(text)
        else:
            self.button.setText("Save and continue" if self.mode == "setup" else "Unlock")

    def set_waiting_calls(self, text: str) -> None:
        """A line about waiting calls (kind and urgency only), or nothing."""
        self.call_banner.setText(text)
        self.call_banner.setVisible(bool(text))

    def focus_input(self) -> None:
        self.secret.setFocus(Qt.FocusReason.OtherFocusReason)

    def on_button_clicked(self) -> None:
        if not self.button.isEnabled():
            return
        if self.mode == "setup":
            self.setup_requested.emit(self.secret.text(), self.confirm.text())
        else:
            self.unlock_requested.emit(self.secret.text())
