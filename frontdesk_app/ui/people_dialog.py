"""Settings → People at this desk: an administrator adds people, resets a PIN, disables someone
who left, and makes a new recovery code (shown once).

Every change goes through `DeskKeys` with the store key the administrator's sign-in opened:
a new person gets their own slot; disabling removes the slot (the name stays for the audit
log); PIN checks take a fraction of a second on purpose and run off the GUI thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.store.desk_keys import DeskKeys, Person, Role
from frontdesk_app.store.secret_rules import weakness


class PersonForm(QDialog):
    """A name (new people only), the PIN or password twice, and the administrator box."""

    def __init__(self, title: str, *, name: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.name = QLineEdit(name or "")
        self.name.setAccessibleName("Name")
        self.name.setReadOnly(name is not None)
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setAccessibleName("PIN or password")
        self.repeat = QLineEdit()
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat.setAccessibleName("Repeat the PIN or password")
        self.admin = QCheckBox("Administrator (adds and disables people)")
        self.admin.setVisible(name is None)
        self.error = QLabel("")
        self.error.setStyleSheet("QLabel { color: #b03a2e; }")
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("PIN or password", self.secret)
        form.addRow("Repeat it", self.repeat)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.on_accepted)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.admin)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def on_accepted(self) -> None:
        if not self.name.text().strip():
            self.error.setText("Enter the person's name.")
        elif self.secret.text() != self.repeat.text():
            self.error.setText("The two entries differ: type the same PIN or password twice.")
        elif (problem := weakness(self.secret.text())) is not None:
            self.error.setText(problem)
        else:
            self.accept()


class PeopleDialog(QDialog):
    """The people who sign in here; `activity(action, person id)` after each change."""

    activity = Signal(str, str)

    def __init__(
        self, desk: DeskKeys, key: str, *, me: Person, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("People at this desk")
        self.setAccessibleName("People at this desk")
        self.setMinimumWidth(520)
        self.desk = desk
        self._key = key
        self.me = me
        self._task: asyncio.Future[None] | None = None
        self.list = QListWidget()
        self.list.setAccessibleName("People who sign in here")
        self.add_button = QPushButton("Add…")
        self.reset_button = QPushButton("Reset PIN…")
        self.disable_button = QPushButton("Disable")
        self.code_button = QPushButton("New recovery code")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        for button in (self.add_button, self.reset_button, self.disable_button, self.code_button):
            row.addWidget(button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(close)
        self.add_button.clicked.connect(self.on_add_clicked)
        self.reset_button.clicked.connect(self.on_reset_clicked)
        self.disable_button.clicked.connect(self.on_disable_clicked)
        self.code_button.clicked.connect(self.on_code_clicked)
        self.list.currentItemChanged.connect(lambda *_: self._enable())
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        for person in self.desk.people(include_disabled=True):
            role = "administrator" if person.is_admin else "staff"
            text = f"{person.name} — {role}" + ("" if person.active else " (disabled)")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, person)
            self.list.addItem(item)
        self._enable()

    def chosen(self) -> Person | None:
        item = self.list.currentItem()
        person = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return person if isinstance(person, Person) else None

    def _enable(self) -> None:
        person = self.chosen()
        active = person is not None and person.active
        self.reset_button.setEnabled(active)
        self.disable_button.setEnabled(active and person is not None and person.id != self.me.id)

    # --- actions ------------------------------------------------------------------------------

    def on_add_clicked(self) -> None:
        form = PersonForm("Add a person", name=None, parent=self)
        if form.exec() != QDialog.DialogCode.Accepted:
            return
        role: Role = "admin" if form.admin.isChecked() else "staff"
        name, secret = form.name.text(), form.secret.text()
        self._run(
            lambda: self.desk.add_person(self._key, name, secret, role),
            lambda person: f"{person.name} can sign in now.",
            lambda person: ("person.added", person.id),
        )

    def on_reset_clicked(self) -> None:
        person = self.chosen()
        if person is None:
            return
        form = PersonForm("Reset the PIN", name=person.name, parent=self)
        if form.exec() != QDialog.DialogCode.Accepted:
            return
        secret = form.secret.text()
        self._run(
            lambda: self.desk.reset(self._key, person.id, secret),
            lambda _none: f"{person.name}'s new PIN or password works now.",
        )

    def on_disable_clicked(self) -> None:
        person = self.chosen()
        if person is None:
            return
        self._run(
            lambda: self.desk.disable(person.id),
            lambda _none: f"{person.name} can no longer sign in at this computer.",
            lambda _none: ("person.disabled", person.id),
        )

    def on_code_clicked(self) -> None:
        self._run(
            lambda: self.desk.new_recovery_code(self._key),
            lambda code: (
                f"New recovery code (the old one no longer works): {code}\n"
                "Write it down for IT now: it is not shown again."
            ),
        )

    def _run(
        self,
        work: Callable[[], Any],
        describe: Callable[[Any], str],
        audit: Callable[[Any], tuple[str, str]] | None = None,
    ) -> None:
        if self._task is not None and not self._task.done():
            return
        self.message.setText("Saving…")
        self._task = asyncio.ensure_future(self._apply(work, describe, audit))

    async def _apply(
        self,
        work: Callable[[], Any],
        describe: Callable[[Any], str],
        audit: Callable[[Any], tuple[str, str]] | None,
    ) -> None:
        try:
            result = await asyncio.to_thread(work)
        except (FrontDeskError, OSError) as exc:
            text = exc.message if isinstance(exc, FrontDeskError) else "It could not be saved."
            if shiboken6.isValid(self):
                self.message.setText(text)
            return
        if not shiboken6.isValid(self):
            return
        self.message.setText(describe(result))
        self.refresh()
        if audit is not None:
            self.activity.emit(*audit(result))
