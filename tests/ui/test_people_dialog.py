"""File → People at this desk: an administrator adds a person (who can then sign in), resets a
PIN, disables someone (their slot goes, their name stays), makes a new recovery code; each
change is reported for the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from frontdesk_app.store.keyslots import WrongSecret
from frontdesk_app.ui.people_dialog import PeopleDialog, PersonForm
from tests.fixtures.desk import set_up_desk
from tests.ui.calendar_support import WAIT

pytestmark = pytest.mark.ui


def answer_form(monkeypatch: pytest.MonkeyPatch, name: str, secret: str, admin: bool) -> None:
    """The next PersonForm is filled in and accepted as a person would."""

    def fill(form: PersonForm) -> int:
        if not form.name.isReadOnly():
            form.name.setText(name)
        form.secret.setText(secret)
        form.repeat.setText(secret)
        form.admin.setChecked(admin)
        form.on_accepted()
        return int(form.result())

    monkeypatch.setattr(PersonForm, "exec", fill)


def test_an_administrator_adds_resets_and_disables_people(
    qtbot: QtBot, loop: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk, key, admin, code = set_up_desk(tmp_path)
    dialog = PeopleDialog(desk, key, me=admin)
    qtbot.addWidget(dialog)
    seen: list[tuple[str, str]] = []
    dialog.activity.connect(lambda action, who: seen.append((action, who)))

    answer_form(monkeypatch, "Sam Ortiz", "815302", admin=False)
    dialog.on_add_clicked()
    qtbot.waitUntil(lambda: "can sign in now" in dialog.message.text(), timeout=WAIT)
    sam = next(p for p in desk.people() if p.name == "Sam Ortiz")
    assert sam.role == "staff" and desk.sign_in(sam.id, "815302") == key
    assert seen == [("person.added", sam.id)]

    dialog.list.setCurrentRow(0)  # the administrator cannot disable themselves here
    assert not dialog.disable_button.isEnabled()
    dialog.list.setCurrentRow(1)
    answer_form(monkeypatch, "", "staff pass 9", admin=False)
    dialog.on_reset_clicked()
    qtbot.waitUntil(lambda: "works now" in dialog.message.text(), timeout=WAIT)
    assert desk.sign_in(sam.id, "staff pass 9") == key

    dialog.list.setCurrentRow(1)
    dialog.on_disable_clicked()
    qtbot.waitUntil(lambda: "no longer sign in" in dialog.message.text(), timeout=WAIT)
    assert [p.name for p in desk.people()] == ["Dana Admin"]
    assert dialog.list.item(1).text() == "Sam Ortiz — staff (disabled)"
    assert seen[-1] == ("person.disabled", sam.id)

    dialog.on_code_clicked()
    qtbot.waitUntil(lambda: "New recovery code" in dialog.message.text(), timeout=WAIT)
    new_code = dialog.message.text().split(": ", 1)[1].split()[0]
    assert desk.recover(new_code) == key
    with pytest.raises(WrongSecret):
        desk.recover(code)


def test_the_form_refuses_weak_or_differing_pins(qtbot: QtBot) -> None:
    form = PersonForm("Add a person", name=None)
    qtbot.addWidget(form)
    form.name.setText("Lee")
    for first, second, complaint in (("604729", "604720", "differ"), ("123456", "123456", "easy")):
        form.secret.setText(first)
        form.repeat.setText(second)
        form.on_accepted()
        assert complaint in form.error.text() and form.result() != QDialog.DialogCode.Accepted
