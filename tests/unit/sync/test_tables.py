"""The sync's Core tables describe exactly what store migration 0002 creates."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from frontdesk_app.store.db import Store
from frontdesk_app.store.migrate import downgrade, upgrade_to_head
from frontdesk_app.sync.tables import metadata


def _diffs(store: Store) -> list[object]:
    names = set(metadata.tables)

    def include(obj: object, name: str | None, type_: str, *_: object) -> bool:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in names

    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include}
        )
        return list(compare_metadata(context, metadata))


def test_the_tables_match_the_migration(tmp_path: Path) -> None:
    with Store.open(tmp_path / "mirror.sqlite", synchronous_full=True) as store:
        assert _diffs(store) == []


def test_migration_0002_goes_down_and_up_again(tmp_path: Path) -> None:
    with Store.open(tmp_path / "mirror.sqlite") as store:
        downgrade(store, "0001")
        with store.engine.connect() as connection:
            tables = set(connection.dialect.get_table_names(connection))
        assert not tables & set(metadata.tables)
        upgrade_to_head(store)
        assert _diffs(store) == []
