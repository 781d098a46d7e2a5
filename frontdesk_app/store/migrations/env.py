"""Alembic environment: runs on the connection `Store.open` hands in, or on `-x db=PATH`."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine

from frontdesk_app.store.tables import Base

config = context.config
target_metadata = Base.metadata


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
    """Autogenerate looks only at the store's own tables.

    Other packages ship tables in these migrations too (the sync outbox, revision 0002) and
    describe them in their own metadata, which the store must not import; without this filter
    a generated revision would drop them.
    """
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table in target_metadata.tables


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    # Developer use (`alembic -c …/alembic.ini -x db=PATH revision --autogenerate`).
    url = config.get_main_option("sqlalchemy.url")
    db = context.get_x_argument(as_dictionary=True).get("db")
    engine = create_engine(f"sqlite:///{db}" if db else str(url))
    with engine.begin() as own:
        context.configure(
            connection=own,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
