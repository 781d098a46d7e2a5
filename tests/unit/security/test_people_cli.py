"""`frontdesk people …` from a terminal (answers on standard input, as a script gives them):
set up the first administrator and print the recovery code once, list, disable with an
administrator's PIN or the recovery code, recover when nobody can sign in."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from frontdesk_app.cli import main
from frontdesk_app.store.desk_keys import DeskKeys

CODE = re.compile(r"\b[0-9A-Z]{5}(?:-[0-9A-Z]{5}){5}\b")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("FRONTDESK_HOME", str(tmp_path))
    umask = os.umask(0o022)  # the command makes this process's files private: undone below
    os.umask(umask)
    yield tmp_path
    os.umask(umask)


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], answers: str, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(answers))
    code = main(["people", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_set_up_list_disable_and_recover(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = run(monkeypatch, capsys, "604729\n604729\n", "set-up", "--name", "Dana")
    assert code == 0
    found = CODE.search(out)
    assert found is not None
    recovery = found.group(0)
    assert recovery not in (home / "desk-keys.json").read_text()
    code, _out, err = run(monkeypatch, capsys, "604729\n604729\n", "set-up", "--name", "Eve")
    assert code == 1 and "already" in err  # never a second administrator this way

    dana = DeskKeys(home).people()[0]
    code, out, _err = run(monkeypatch, capsys, "", "list")
    assert code == 0 and f"{dana.id}  admin  Dana" in out

    code, _out, err = run(monkeypatch, capsys, "Dana\n111222\n", "disable", dana.id)
    assert code == 1 and "not right" in err
    code, _out, err = run(monkeypatch, capsys, "Dana\n604729\n", "disable", dana.id)
    assert code == 1 and "last" in err  # the last administrator stays …
    code, _out, _err = run(
        monkeypatch, capsys, f"{recovery}\n", "disable", dana.id, "--recovery-code"
    )
    assert code == 0 and DeskKeys(home).people() == []  # … unless IT uses the code

    answers = f"{recovery.lower()}\n246813\n246813\n"
    code, out, _err = run(monkeypatch, capsys, answers, "recover", "--name", "Lee")
    assert code == 0
    again = CODE.search(out)
    assert again is not None and again.group(0) != recovery
    assert [p.name for p in DeskKeys(home).people()] == ["Lee"]


def test_weak_or_differing_pins_change_nothing(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for answers, complaint in (("604729\n604720\n", "differ"), ("123456\n123456\n", "easy")):
        code, _out, err = run(monkeypatch, capsys, answers, "set-up", "--name", "Dana")
        assert code == 1 and complaint in err
    assert not (home / "desk-keys.json").exists()
