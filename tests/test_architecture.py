"""The layering promises: Qt only in the UI, dependencies pointing one way, lint clean."""

from __future__ import annotations

import ast
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "frontdesk_app"
QT_MODULES = ("PySide6", "qasync", "shiboken6")


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _allowed_qt(path: pathlib.Path) -> bool:
    rel = path.relative_to(PACKAGE).as_posix()
    return rel.startswith("ui/") or rel == "app.py"


def test_no_qt_outside_ui_and_app() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in PACKAGE.rglob("*.py")
        if not _allowed_qt(path)
        and any(name.split(".")[0] in QT_MODULES for name in _imports(path))
    ]
    assert offenders == []


def test_every_module_has_a_docstring() -> None:
    missing = [
        str(path.relative_to(ROOT))
        for path in PACKAGE.rglob("*.py")
        if path.stat().st_size and ast.get_docstring(ast.parse(path.read_text("utf-8"))) is None
    ]
    assert missing == []


def _tool(name: str) -> str:
    exe = pathlib.Path(sys.executable).parent / name
    found = str(exe) if exe.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; run ./packaging/bootstrap.sh --test")
    return found


def test_import_linter_contracts_hold() -> None:
    result = subprocess.run(
        [_tool("lint-imports")], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_is_clean() -> None:
    result = subprocess.run(
        [_tool("ruff"), "check", "frontdesk_app", "tests", "main.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = subprocess.run(
        [_tool("mypy")], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# Wall-clock reads that must go through `frontdesk_app.domain.clock` (monotonic timers are fine).
_WALL_CLOCK_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
    ("time", "ctime"),
    ("QDate", "currentDate"),
    ("QDateTime", "currentDateTime"),
    ("QDateTime", "currentDateTimeUtc"),
    ("QDateTime", "currentSecsSinceEpoch"),
    ("QDateTime", "currentMSecsSinceEpoch"),
    ("QTime", "currentTime"),
}
_WALL_CLOCK_NAMES = {"time", "time_ns", "localtime", "gmtime", "utcnow"}


def _wall_clock_reads(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "time":
            found += [
                f"{path.name}:{node.lineno} from time import {alias.name}"
                for alias in node.names
                if alias.name in _WALL_CLOCK_NAMES
            ]
        # An attribute, called or not (`wall=time.time` as a default is a read too).
        target = node
        if isinstance(target, ast.Attribute):
            owner = target.value
            owner_name = (
                owner.id
                if isinstance(owner, ast.Name)
                else owner.attr
                if isinstance(owner, ast.Attribute)
                else None
            )
            if (owner_name, target.attr) in _WALL_CLOCK_CALLS:
                found.append(f"{path.name}:{node.lineno} {owner_name}.{target.attr}")
    return found


def test_the_wall_clock_is_read_in_one_place() -> None:
    """Every "now" and "today" comes from domain/clock.py, so a test can choose its instant."""
    offenders = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).as_posix() != "domain/clock.py"
        for hit in _wall_clock_reads(path)
    ]
    assert offenders == []


def test_the_wall_clock_check_finds_what_it_looks_for(tmp_path: pathlib.Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import time\nfrom datetime import date, datetime\n"
        "a = datetime.now()\nb = date.today()\nc = time.time()\nd = time.monotonic()\n",
        encoding="utf-8",
    )
    hits = _wall_clock_reads(sample)
    assert [hit.split()[-1] for hit in hits] == ["datetime.now", "date.today", "time.time"]


# Tests that read the real clock on purpose: each is checked against a third party that reads
# the operating system's clock itself (OpenSSL, the Standard Webhooks verifier), or measures.
_REAL_CLOCK_TESTS = {
    "tests/unit/security/test_transport.py",  # certificate validity, checked by OpenSSL
    "tests/integration/sandbox/test_webhooks.py",  # signature age, checked by the verifier
    "tests/unit/api/test_errors.py",  # passes its own `now` to the function under test
    "tests/test_architecture.py",  # the sample above
}


def test_tests_choose_their_instant() -> None:
    """A test that reads the real date passes on the day it was written and fails on another."""
    tests = ROOT / "tests"
    offenders = [
        hit
        for path in sorted(tests.rglob("*.py"))
        if not path.is_relative_to(tests / "bench")
        and path.relative_to(ROOT).as_posix() not in _REAL_CLOCK_TESTS
        for hit in _wall_clock_reads(path)
    ]
    assert offenders == []


def test_the_lock_page_comes_up_before_the_heavy_libraries_load() -> None:
    """What the app imports before its window and lock page are up names no model, store,
    HTTP or server library: those load while the page is up (`app.warm_up`), so that a person
    can start signing in at once and the key derivation overlaps them."""
    script = (
        "import sys\n"
        "import frontdesk_app.app, frontdesk_app.store.desk_keys, qasync\n"
        "import frontdesk_app.ui.lock.controller, frontdesk_app.ui.audit_menu\n"
        "heavy = ('pydantic', 'sqlalchemy', 'httpx', 'fastapi', 'uvicorn', 'alembic')\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
