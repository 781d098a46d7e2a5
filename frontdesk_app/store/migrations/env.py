"""Alembic environment: runs on the connection `Store.open` hands in, or on `-x db=PATH`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from frontdesk_app.store.tables import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    # Developer use (`alembic -c …/alembic.ini -x db=PATH revision --autogenerate`).
    url = config.get_main_option("sqlalchemy.url")
    db = context.get_x_argument(as_dictionary=True).get("db")
    engine = create_engine(f"sqlite:///{db}" if db else str(url))
    with engine.begin() as own:
        context.configure(connection=own, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
