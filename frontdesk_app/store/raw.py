"""The session's own DB-API connection, for the few statements where SQLAlchemy costs most."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def driver(session: Session) -> Any:
    """A cursor of the session's DB-API connection, inside the session's transaction.

    For the hottest statements (a booking's checks and inserts): SQLAlchemy's per-statement
    result handling costs more than SQLite's work there. Statements run this way are not seen
    by engine events, so never use it to write the directory's tables (`directory_cache`).
    """
    connection = session.connection().connection.driver_connection
    if connection is None:  # only after the pool let go of it, never inside a transaction
        raise RuntimeError("the session has no open database connection")
    return connection.cursor()
