"""Run the packaged Alembic migrations against a `Store` (on open, and from tests).

A store already at `HEAD` opens without Alembic (importing it and reading its scripts took
~0.4 s of every start); `tests/unit/store/test_migrations.py` holds `HEAD` to the scripts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

    from frontdesk_app.store.db import Store

HEAD = "0009"  # the newest migration shipped: a new one moves it (a test says so)


def alembic_config(store: Store | None = None) -> Config:
    """An Alembic configuration pointing at the migrations shipped inside the package."""
    from alembic.config import Config

    from frontdesk_app.store.db import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if store is not None:
        config.set_main_option("sqlalchemy.url", f"sqlite:///{store.path}")
    return config


def head_revision() -> str | None:
    """The newest migration shipped with this version of the app, as Alembic reads it."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(store: Store) -> str | None:
    """The migration the database is at, or None for an empty database."""
    with store.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        return next(iter(found), None)


def upgrade_to_head(store: Store, revision: str = "head") -> None:
    """Upgrade the database in one immediate transaction (a second process waits for it)."""
    if revision == "head" and current_revision(store) == HEAD:
        return
    from alembic import command

    config = alembic_config(store)
    with store.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(store: Store, revision: str) -> None:
    """Downgrade (used by the migration tests)."""
    from alembic import command

    config = alembic_config(store)
    with store.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
