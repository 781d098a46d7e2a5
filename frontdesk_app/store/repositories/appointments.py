"""Appointments and the notifications their changes would send."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select, tuple_
from sqlalchemy.orm import Session

from frontdesk_app.domain.errors import NotFound
from frontdesk_app.domain.ids import NOTIFICATION, new_id
from frontdesk_app.domain.models import (
    Appointment,
    AppointmentQuery,
    CalendarRow,
    Notification,
    Page,
)
from frontdesk_app.domain.scheduling import MAX_DURATION
from frontdesk_app.domain.timeutil import parse_utc
from frontdesk_app.store.raw import driver
from frontdesk_app.store.repositories.paging import (
    bad_cursor,
    check_limit,
    decode_cursor,
    encode_cursor,
)
from frontdesk_app.store.tables import (
    AppointmentRow,
    NotificationRow,
    UtcTimestamp,
    timestamp_text,
    timestamp_value,
)


def to_model(row: AppointmentRow) -> Appointment:
    return Appointment(
        id=row.id,
        status=row.status,
        patient_id=row.patient_id,
        provider_id=row.provider_id,
        start_time=row.start_time,
        end_time=row.end_time,
        duration_minutes=row.duration_minutes,
        type=row.type,
        notes=row.notes,
        created_at=row.created_at,
        updated_at=row.updated_at,
        previous_time=row.previous_time,
        reschedule_reason=row.reschedule_reason,
        reason_code=row.reason_code,
        cancelled_at=row.cancelled_at,
        client_reference=row.client_reference,
        series_id=row.series_id,
    )


_COLUMNS = tuple(AppointmentRow.__table__.columns)
_NAMES = tuple(column.name for column in _COLUMNS)
_TIMES = frozenset(c.name for c in _COLUMNS if isinstance(c.type, UtcTimestamp))


def _fast_models(session: Session, query: Select[Any]) -> list[Appointment]:
    """Appointments straight from Core rows on the session's connection.

    Skipping the ORM's row-to-object loading roughly halves the cost of a provider's week;
    pydantic-core validation of the plain rows is as fast as `model_construct`, so it stays.
    """
    result = session.connection().execute(query)
    keys = list(result.keys())
    # dict(zip(...)) is about a third cheaper per row than Row._asdict().
    return [Appointment.model_validate(dict(zip(keys, row, strict=True))) for row in result]


def get_row(session: Session, appointment_id: str) -> AppointmentRow:
    row = session.get(AppointmentRow, appointment_id)
    if row is None:
        raise NotFound("No such appointment.")
    return row


def get(session: Session, appointment_id: str) -> Appointment:
    return to_model(get_row(session, appointment_id))


def _window(start: datetime, end: datetime) -> ColumnElement[bool]:
    """Appointments intersecting [start, end).

    The lower bound on `start_time` (no appointment is longer than MAX_DURATION) turns the
    `end_time > start` test into a short range scan of the (who, start_time) index instead
    of a walk through everything before `end`.
    """
    return (
        (AppointmentRow.start_time < end)
        & (AppointmentRow.start_time > start - MAX_DURATION)
        & (AppointmentRow.end_time > start)
    )


def active_overlapping(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    provider_id: str | None = None,
    patient_id: str | None = None,
) -> list[Appointment]:
    """Not-cancelled appointments of a provider or a patient that intersect [start, end).

    Plain SQL on the driver (the same window as `_window`): every booking runs this twice, and
    building the statement with SQLAlchemy's expressions cost more than running it.
    """
    sql = [
        f"SELECT {', '.join(_NAMES)} FROM appointments "
        "WHERE start_time < ? AND start_time > ? AND end_time > ? AND status != 'cancelled'"
    ]
    params: list[Any] = [
        timestamp_text(end),
        timestamp_text(start - MAX_DURATION),
        timestamp_text(start),
    ]
    for column, value in (("provider_id", provider_id), ("patient_id", patient_id)):
        if value is not None:
            sql.append(f" AND {column} = ?")
            params.append(value)
    sql.append(" ORDER BY start_time")
    rows = driver(session).execute("".join(sql), tuple(params))
    read = timestamp_value
    found = []
    for row in rows:
        values = dict(zip(_NAMES, row, strict=True))
        for name in _TIMES:
            if values[name] is not None:
                values[name] = read(values[name])
        found.append(Appointment.model_validate(values))
    return found


def list_page(session: Session, query: AppointmentQuery) -> Page[Appointment]:
    """Appointments by start time (then id), filtered as the calendar asks, keyset-paged."""
    limit = check_limit(query.limit)
    stmt = select(*_COLUMNS)
    if query.provider_id is not None:
        stmt = stmt.where(AppointmentRow.provider_id == query.provider_id)
    if query.patient_id is not None:
        stmt = stmt.where(AppointmentRow.patient_id == query.patient_id)
    if query.status is not None:
        stmt = stmt.where(AppointmentRow.status == query.status)
    if query.client_reference is not None:
        stmt = stmt.where(AppointmentRow.client_reference == query.client_reference)
    if query.start is not None and query.end is not None:
        stmt = stmt.where(_window(query.start, query.end))
    elif query.start is not None:
        stmt = stmt.where(AppointmentRow.end_time > query.start)
    elif query.end is not None:
        stmt = stmt.where(AppointmentRow.start_time < query.end)
    if query.cursor:
        start_text, last_id = decode_cursor("appointments", query.cursor, 2)
        try:
            after = parse_utc(start_text)
        except ValueError as exc:  # well-formed but not ours: a made-up time or shape
            raise bad_cursor() from exc
        stmt = stmt.where(tuple_(AppointmentRow.start_time, AppointmentRow.id) > (after, last_id))
    stmt = stmt.order_by(AppointmentRow.start_time, AppointmentRow.id).limit(limit + 1)
    rows = _fast_models(session, stmt)
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        tail = page[-1]
        next_cursor = encode_cursor("appointments", [tail.start_time.isoformat(), tail.id])
    return Page[Appointment](data=page, next_cursor=next_cursor)


def calendar_rows(session: Session, start: datetime, end: datetime) -> list[CalendarRow]:
    """Every appointment intersecting [start, end), by start time then id, as `CalendarRow`s.

    A busy clinic's week holds thousands: plain tuples straight from the driver, without
    SQLAlchemy's result processing or a model per row, cost a fraction of `list_page`'s.
    """
    sql = (
        "SELECT id, provider_id, patient_id, start_time, end_time, type, status, notes, "
        "reschedule_reason, series_id FROM appointments "
        "WHERE start_time < ? AND start_time > ? AND end_time > ? ORDER BY start_time, id"
    )
    # The same window as `_window`: the lower bound on start_time keeps it an index range scan.
    bounds = (timestamp_text(end), timestamp_text(start - MAX_DURATION), timestamp_text(start))
    read = timestamp_value
    return [
        (i, provider, patient, read(begins), read(ends), kind, status, notes, reason, series)
        for i, provider, patient, begins, ends, kind, status, notes, reason, series in (
            session.connection().exec_driver_sql(sql, bounds)
        )
    ]


_INSERT = (
    f"INSERT INTO appointments ({', '.join(_NAMES)}) VALUES ({', '.join('?' for _ in _NAMES)})"
)


def insert(session: Session, appointment: Appointment) -> None:
    """One row, straight to the driver (the ORM's unit of work costs several times more)."""
    values = appointment.model_dump()
    driver(session).execute(
        _INSERT,
        tuple(
            timestamp_text(values[n]) if n in _TIMES and values[n] is not None else values[n]
            for n in _NAMES
        ),
    )


def apply(row: AppointmentRow, appointment: Appointment) -> None:
    """Copy a changed appointment onto its row."""
    for name, value in appointment.model_dump().items():
        setattr(row, name, value)


# --- notifications ---------------------------------------------------------------------------


def record_notifications(
    session: Session, appointment: Appointment, kind: str, *, now: datetime
) -> None:
    """The patient's and the provider's notification for a change."""
    # Written with the driver, after any change the session holds (the appointment row).
    session.flush()
    at = timestamp_text(now)
    driver(session).executemany(
        "INSERT INTO notifications (id, appointment_id, recipient, recipient_id, kind, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (new_id(NOTIFICATION), appointment.id, recipient, recipient_id, kind, at)
            for recipient, recipient_id in (
                ("patient", appointment.patient_id),
                ("provider", appointment.provider_id),
            )
        ],
    )


def list_notifications(
    session: Session, *, appointment_id: str | None = None
) -> list[Notification]:
    query = select(NotificationRow)
    if appointment_id is not None:
        query = query.where(NotificationRow.appointment_id == appointment_id)
    rows = session.scalars(query.order_by(NotificationRow.created_at, NotificationRow.id)).all()
    return [
        Notification(
            id=r.id,
            appointment_id=r.appointment_id,
            recipient=r.recipient,
            recipient_id=r.recipient_id,
            kind=r.kind,
            created_at=r.created_at,
        )
        for r in rows
    ]
