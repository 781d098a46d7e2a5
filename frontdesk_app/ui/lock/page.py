"""The lock screen: sign in (or switch user), set up the first person, recover with the code.

It shows nothing about the clinic's patients: at most that a call is waiting and how urgent
it is, never who is calling. Modes:

- `sign_in`: choose who you are, type your PIN or password;
- `set_up`: the first start at this computer: the administrator's name and PIN, twice;
- `recover`: nobody can sign in any more: the recovery code, then a new administrator;
- `code`: the recovery code made at set-up, shown once, to write down.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from frontdesk_app.store.desk_keys import Person
from frontdesk_app.store.secret_rules import MIN_PASSWORD_LENGTH, MIN_PIN_DIGITS

Mode = Literal["sign_in", "set_up", "recover", "code"]

TEXTS: dict[str, tuple[str, str, str]] = {
    "sign_in": (
        "FrontDesk is locked",
        "Patient information is hidden while nobody is signed in. Choose your name and enter "
        "your PIN or password. Changes made before locking keep syncing.",
        "Sign in",
    ),
    "set_up": (
        "Set up FrontDesk at this computer",
        "You will be this computer's first administrator: you add the other people who work "
        "here in File → People at this desk. Choose a PIN of at least "
        f"{MIN_PIN_DIGITS} digits or a password of at least {MIN_PASSWORD_LENGTH} characters.",
        "Set up",
    ),
    "recover": (
        "Nobody can sign in at this computer",
        "Enter the recovery code printed when this computer was set up (IT keeps it), then "
        "the name and PIN of the new administrator.",
        "Recover",
    ),
    "code": (
        "Write down the recovery code",
        "If everybody who signs in here forgets their PIN or leaves, this code is the only "
        "way to open the clinic's data on this computer. Give it to IT on paper; it is not "
        "shown again and FrontDesk does not keep it.",
        "I have written it down",
    ),
}


class LockPage(QWidget):
    """Emits what the person asked for; the controller checks it and answers."""

    sign_in_requested = Signal(str, str)  # person id, secret
    set_up_requested = Signal(str, str, str)  # name, secret, repeated
    recover_requested = Signal(str, str, str, str)  # code, name, secret, repeated
    code_acknowledged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockPage")
        self.setAccessibleName("Lock screen")
        self.mode: Mode = "sign_in"
        self.title = QLabel()
        self.title.setProperty("role", "heading")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint = QLabel()
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
        self.person = QComboBox()
        self.person.setAccessibleName("Who is signing in")
        self.code = QLineEdit()
        self.code.setAccessibleName("Recovery code")
        self.code.setPlaceholderText("Six groups of five letters and digits, with dashes")
        self.name = QLineEdit()
        self.name.setAccessibleName("Your name")
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setAccessibleName("PIN or password")
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm.setAccessibleName("Repeat the PIN or password")
        self.shown_code = QLabel("")
        self.shown_code.setObjectName("recoveryCode")
        self.shown_code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.shown_code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.shown_code.setStyleSheet(
            "QLabel { font-family: monospace; font-size: 18px; font-weight: 600; padding: 8px; }"
        )
        self.error = QLabel("")
        self.error.setStyleSheet("QLabel { color: #b03a2e; }")
        self.error.setWordWrap(True)
        self.error.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.error.hide()
        self.button = QPushButton()
        self.button.setDefault(True)
        self.button.setMinimumWidth(200)

        form = QFormLayout()
        form.addRow("Who are you", self.person)
        form.addRow("Recovery code", self.code)
        form.addRow("Name", self.name)
        form.addRow("PIN or password", self.secret)
        form.addRow("Repeat it", self.confirm)
        self._form = form
        box = QWidget()
        # A fixed width lets the wrapped texts take the height they need.
        box.setFixedWidth(480)
        inner = QVBoxLayout(box)
        inner.setSpacing(12)
        inner.addWidget(self.title)
        inner.addWidget(self.hint)
        inner.addWidget(self.call_banner)
        inner.addLayout(form)
        inner.addWidget(self.shown_code)
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
        for field in (self.secret, self.confirm, self.code, self.name):
            field.returnPressed.connect(self.on_button_clicked)
        self.show_mode("sign_in")

    def show_mode(self, mode: Mode, *, code: str = "") -> None:
        """Switch what the page asks for; clears everything typed."""
        self.mode = mode
        title, hint, button = TEXTS[mode]
        self.title.setText(title)
        self.hint.setText(hint)
        self._button_text = button
        shown: dict[str, list[QWidget]] = {
            "sign_in": [self.person, self.secret],
            "set_up": [self.name, self.secret, self.confirm],
            "recover": [self.code, self.name, self.secret, self.confirm],
            "code": [],
        }
        rows = shown[mode]
        for field in (self.person, self.code, self.name, self.secret, self.confirm):
            self._form.setRowVisible(field, field in rows)
        self.shown_code.setText(code)
        self.shown_code.setVisible(mode == "code")
        self.clear()

    def set_people(self, people: Sequence[Person], chosen: str | None = None) -> None:
        """The people who can sign in, `chosen` (a person's id) preselected."""
        self.person.clear()
        for person in people:
            self.person.addItem(person.name, person.id)
        index = self.person.findData(chosen) if chosen else -1
        self.person.setCurrentIndex(max(0, index))

    def chosen_person(self) -> str:
        value = self.person.currentData()
        return str(value) if value else ""

    def clear(self) -> None:
        for field in (self.code, self.name, self.secret, self.confirm):
            field.clear()
        self.set_error("")
        self.set_busy(False)

    def set_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def set_busy(self, busy: bool, text: str = "Checking…") -> None:
        """While a PIN is checked (a fraction of a second, on purpose) or a wait runs."""
        self.button.setEnabled(not busy)
        for field in (self.person, self.code, self.name, self.secret, self.confirm):
            field.setEnabled(not busy)
        self.button.setText(text if busy else self._button_text)

    def set_waiting_calls(self, text: str) -> None:
        """A line about waiting calls (kind and urgency only), or nothing."""
        self.call_banner.setText(text)
        self.call_banner.setVisible(bool(text))

    def focus_input(self) -> None:
        first = {"sign_in": self.secret, "set_up": self.name, "recover": self.code}
        target = first.get(self.mode)
        if target is not None:
            target.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.button.setFocus(Qt.FocusReason.OtherFocusReason)

    def on_button_clicked(self) -> None:
        if not self.button.isEnabled():
            return
        if self.mode == "sign_in":
            self.sign_in_requested.emit(self.chosen_person(), self.secret.text())
        elif self.mode == "set_up":
            self.set_up_requested.emit(self.name.text(), self.secret.text(), self.confirm.text())
        elif self.mode == "recover":
            self.recover_requested.emit(
                self.code.text(), self.name.text(), self.secret.text(), self.confirm.text()
            )
        else:
            self.shown_code.setText("")
            self.code_acknowledged.emit()
