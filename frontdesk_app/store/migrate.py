"""Run the packaged Alembic migrations against a `Store` (on open, and from tests)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

if TYPE_CHECKING:
    from frontdesk_app.store.db import Store


def alembic_config(store: Store | None = None) -> Config:
    """An Alembic configuration pointing at the migrations shipped inside the package."""
    from frontdesk_app.store.db import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if store is not None:
        config.set_main_option("sqlalchemy.url", f"sqlite:///{store.path}")
    return config


def head_revision() -> str | None:
    """The newest migration shipped with this version of the app."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(store: Store) -> str | None:
    """The migration the database is at, or None for an empty database."""
    with store.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(store: Store, revision: str = "head") -> None:
    """Upgrade the database in one immediate transaction (a second process waits for it)."""
    if revision == "head" and current_revision(store) == head_revision():
        return
    config = alembic_config(store)
    with store.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(store: Store, revision: str) -> None:
    """Downgrade (used by the migration tests)."""
    config = alembic_config(store)
    with store.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
