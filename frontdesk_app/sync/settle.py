"""Settling a write the server accepted: the hot path of a drain, in plain SQL.

After an outage thousands of answers settle in a row, each in the desk's own process next to
the UI, so this path skips SQLAlchemy's statement building (several times the cost of SQLite
itself here) and speaks SQL directly, in the same text formats the store's types write. What
it does is unchanged: give an offline booking the server's id everywhere, take the server's
version unless later writes are still queued, close the entry, note the time of the sync.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from frontdesk_app.domain.models import Appointment, CancelResult, RescheduleResult
from frontdesk_app.domain.transitions import cancelled_as_answered, moved_as_answered
from frontdesk_app.store.tables import timestamp_text, timestamp_value
from frontdesk_app.sync.entries import OutboxEntry

A = TypeVar("A", RescheduleResult, CancelResult)
LAST_SYNC = "last_sync"
REMAP_PREFIX = "remap:"
_COLUMNS = (
    "id",
    "status",
    "patient_id",
    "provider_id",
    "start_time",
    "end_time",
    "duration_minutes",
    "type",
    "notes",
    "created_at",
    "updated_at",
    "previous_time",
    "reschedule_reason",
    "reason_code",
    "cancelled_at",
    "client_reference",
    "series_id",
)
_TIMES = frozenset(
    {"start_time", "end_time", "created_at", "updated_at", "previous_time", "cancelled_at"}
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM appointments WHERE id = ?"
_INSERT = (
    f"INSERT INTO appointments ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
)
_UPDATE_ALL = f"UPDATE appointments SET {', '.join(c + ' = ?' for c in _COLUMNS)} WHERE id = ?"
_SET_META = (
    "INSERT INTO sync_meta (key, value) VALUES (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)


def _row(appointment: Appointment) -> tuple[Any, ...]:
    values = appointment.model_dump()
    return tuple(
        timestamp_text(values[c]) if c in _TIMES and values[c] is not None else values[c]
        for c in _COLUMNS
    )


def _load(conn: Connection, appointment_id: str) -> Appointment | None:
    row = conn.exec_driver_sql(_SELECT, (appointment_id,)).first()
    if row is None:
        return None
    values = dict(zip(_COLUMNS, row, strict=True))
    for column in _TIMES:
        if values[column] is not None:
            values[column] = timestamp_value(values[column])
    return Appointment.model_validate(values)


def _has_later(conn: Connection, entry: OutboxEntry) -> bool:
    found = conn.exec_driver_sql(
        "SELECT 1 FROM sync_outbox WHERE appointment_id = ? AND seq > ? "
        "AND state IN ('pending', 'conflict') LIMIT 1",
        (entry.appointment_id, entry.seq),
    ).first()
    return found is not None


def _remap(
    conn: Connection, temporary_id: str, server: Appointment, *, keep_local: bool
) -> Appointment:
    """The booking's row and notifications move to the server's id (see `mirror`)."""
    # Its id changes under its notifications: the foreign key is checked at commit.
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    # A row the live feed inserted under the server id first is replaced, never doubled.
    conn.exec_driver_sql("DELETE FROM notifications WHERE appointment_id = ?", (server.id,))
    conn.exec_driver_sql("DELETE FROM visits WHERE appointment_id = ?", (server.id,))
    conn.exec_driver_sql("DELETE FROM appointments WHERE id = ?", (server.id,))
    local = _load(conn, temporary_id) if keep_local else None
    if local is not None:
        final = local.model_copy(update={"id": server.id, "created_at": server.created_at})
        moved = conn.exec_driver_sql(
            "UPDATE appointments SET id = ?, created_at = ? WHERE id = ?",
            (server.id, timestamp_text(server.created_at), temporary_id),
        )
    else:
        final = server
        moved = conn.exec_driver_sql(_UPDATE_ALL, (*_row(server), temporary_id))
    if moved.rowcount:
        # A patient checked in, or booked from the waitlist, while offline too.
        for table in ("notifications", "visits", "waitlist"):
            conn.exec_driver_sql(
                f"UPDATE {table} SET appointment_id = ? WHERE appointment_id = ?",
                (server.id, temporary_id),
            )
    else:
        conn.exec_driver_sql(_INSERT, _row(final))
    conn.exec_driver_sql(
        "UPDATE sync_outbox SET appointment_id = ? WHERE appointment_id = ?",
        (server.id, temporary_id),
    )
    conn.exec_driver_sql(_SET_META, (REMAP_PREFIX + temporary_id, server.id))
    return final


def _changed(
    conn: Connection,
    current: Appointment | None,
    transition: Callable[[Appointment, A], Appointment],
    answer: A,
) -> Appointment | None:
    if current is None:
        return None
    updated: Appointment = transition(current, answer)
    conn.exec_driver_sql(_UPDATE_ALL, (*_row(updated), updated.id))
    return updated


def settle_success(
    session: Session, entry: OutboxEntry, response: dict[str, Any], *, now: datetime
) -> tuple[Appointment | None, str | None]:
    """Record the server's answer to `entry` and close it; (the appointment, remapped from)."""
    conn = session.connection()
    keep_local = _has_later(conn, entry)
    remapped_from: str | None = None
    appointment: Appointment | None
    if entry.kind == "create":
        server = Appointment.model_validate(response)
        if server.id != entry.appointment_id:
            remapped_from = entry.appointment_id
            appointment = _remap(conn, entry.appointment_id, server, keep_local=keep_local)
        else:
            current = _load(conn, server.id)
            if current is None:
                conn.exec_driver_sql(_INSERT, _row(server))
            else:
                conn.exec_driver_sql(_UPDATE_ALL, (*_row(server), server.id))
            appointment = server
    elif keep_local:
        appointment = _load(conn, entry.appointment_id)
    elif entry.kind == "reschedule":
        moved = RescheduleResult.model_validate(response)
        appointment = _changed(conn, _load(conn, moved.id), moved_as_answered, moved)
    else:
        cancelled = CancelResult.model_validate(response)
        appointment = _changed(conn, _load(conn, cancelled.id), cancelled_as_answered, cancelled)
    conn.exec_driver_sql(
        "UPDATE sync_outbox SET state = 'done', result = ?, done_at = ?, next_attempt_at = NULL "
        "WHERE seq = ?",
        (json.dumps(response), timestamp_text(now), entry.seq),
    )
    conn.exec_driver_sql(_SET_META, (LAST_SYNC, now.isoformat()))
    return appointment, remapped_from


# --- for writes of many appointments at once (a recurring series, `sync.series`) -------------


def _still_queued(conn: Connection, appointment_id: str) -> bool:
    found = conn.exec_driver_sql(
        "SELECT 1 FROM sync_outbox WHERE appointment_id = ? "
        "AND state IN ('pending', 'conflict') LIMIT 1",
        (appointment_id,),
    ).first()
    return found is not None


def adopt(session: Session, temporary_id: str | None, server: Appointment) -> Appointment:
    """The server's version of one appointment of a settled write: an offline booking takes
    its id (keeping the desk's version while later writes of it wait), any other is stored."""
    conn = session.connection()
    if temporary_id is not None and temporary_id != server.id:
        return _remap(conn, temporary_id, server, keep_local=_still_queued(conn, temporary_id))
    if _still_queued(conn, server.id):
        return _load(conn, server.id) or server
    current = _load(conn, server.id)
    if current is None:
        conn.exec_driver_sql(_INSERT, _row(server))
    else:
        conn.exec_driver_sql(_UPDATE_ALL, (*_row(server), server.id))
    return server


def adopt_move(session: Session, answer: RescheduleResult) -> Appointment | None:
    """The server's answer to one move of a settled write, unless later writes wait."""
    conn = session.connection()
    current = _load(conn, answer.id)
    if current is None or _still_queued(conn, answer.id):
        return current
    return _changed(conn, current, moved_as_answered, answer)


def adopt_cancel(session: Session, answer: CancelResult) -> Appointment | None:
    """The server's answer to one cancel of a settled write, unless later writes wait."""
    conn = session.connection()
    current = _load(conn, answer.id)
    if current is None or _still_queued(conn, answer.id):
        return current
    return _changed(conn, current, cancelled_as_answered, answer)
