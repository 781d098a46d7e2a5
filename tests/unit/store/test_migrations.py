"""Alembic builds the schema from nothing, and the ORM classes describe exactly that schema."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from frontdesk_app.store.db import Store
from frontdesk_app.store.migrate import (
    HEAD,
    current_revision,
    downgrade,
    head_revision,
    upgrade_to_head,
)
from frontdesk_app.store.tables import Base

# Other packages ship tables in the store's migrations too (the sync outbox does) and check
# them against their own metadata; this file checks the store's ORM, table by table.
OTHER_METADATA = ("frontdesk_app.sync.tables", "frontdesk_app.store.audit")


def _owned(metadata: sa.MetaData) -> Callable[..., bool]:
    names = set(metadata.tables)

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in names

    return include


def _diffs(store: Store, metadata: sa.MetaData) -> list[object]:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": _owned(metadata)}
        )
        return list(compare_metadata(context, metadata))


def _copy(metadata: sa.MetaData) -> sa.MetaData:
    copy = sa.MetaData()
    for table in metadata.tables.values():
        table.to_metadata(copy)
    return copy


def test_open_upgrades_an_empty_file_to_head(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    assert not path.exists()
    with Store.open(path) as store:
        assert head_revision() is not None
        assert current_revision(store) == head_revision()
        tables = set(sa.inspect(store.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_downgrade_to_nothing_and_upgrade_again(store: Store) -> None:
    downgrade(store, "base")
    assert current_revision(store) is None
    assert sa.inspect(store.engine).get_table_names() == ["alembic_version"]
    upgrade_to_head(store)
    assert current_revision(store) == head_revision()
    assert _diffs(store, Base.metadata) == []


def test_orm_metadata_matches_the_migrated_schema(store: Store) -> None:
    assert _diffs(store, Base.metadata) == []


def test_every_migrated_table_is_declared_by_some_package(store: Store) -> None:
    declared = set(Base.metadata.tables) | {"alembic_version"}
    for name in OTHER_METADATA:
        try:
            declared |= set(importlib.import_module(name).metadata.tables)
        except ImportError:
            continue
    assert set(sa.inspect(store.engine).get_table_names()) <= declared


def test_the_comparison_would_notice_a_drift(store: Store) -> None:
    drifted = _copy(Base.metadata)
    drifted.tables["appointments"].append_column(sa.Column("extra", sa.Integer()))
    drifted.tables["patients"].indexes.clear()
    kinds = {diff[0] for diff in _diffs(store, drifted) if isinstance(diff, tuple)}
    assert {"add_column", "remove_index"} <= kinds


def test_reopening_a_current_store_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "again.sqlite"
    Store.open(path).close()
    with Store.open(path) as store:
        assert current_revision(store) == head_revision()


def test_head_is_the_newest_migration_shipped() -> None:
    # A new migration moves HEAD with it: a store at the old head would otherwise open as
    # current and never be upgraded.
    assert head_revision() == HEAD


def test_a_current_store_opens_without_alembic(tmp_path: Path) -> None:
    path = tmp_path / "current.sqlite"
    Store.open(path).close()
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from frontdesk_app.store.db import Store\n"
        f"Store.open(Path({str(path)!r})).close()\n"
        "print('alembic' in sys.modules)\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert found.stdout.strip() == "False"


@pytest.mark.parametrize(("full", "level"), [(False, 1), (True, 2)])
def test_pragmas_wal_foreign_keys_and_synchronous(tmp_path: Path, full: bool, level: int) -> None:
    with Store.open(tmp_path / "p.sqlite", synchronous_full=full) as store, store.read() as s:
        assert s.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        assert s.execute(sa.text("PRAGMA synchronous")).scalar() == level


def test_foreign_keys_are_enforced(store: Store) -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    with pytest.raises(IntegrityError), store.write() as session:
        session.execute(
            sa.text(
                "INSERT INTO notifications (id, appointment_id, recipient, recipient_id, kind,"
                " created_at) VALUES ('ntf_x', 'apt_missing', 'patient', 'pat_x', 'created', :at)"
            ),
            {"at": now.isoformat()},
        )


def test_a_closed_store_refuses_work(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "c.sqlite")
    store.close()
    store.close()  # twice is fine
    with pytest.raises(RuntimeError), store.read():
        pass
