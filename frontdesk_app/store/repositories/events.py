"""The event log: append in the writer's transaction, read after a `seq`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk_app.domain.ids import EVENT, new_id
from frontdesk_app.domain.models import EVENT_TYPES, Event, Page
from frontdesk_app.store.raw import driver
from frontdesk_app.store.repositories.paging import check_limit
from frontdesk_app.store.tables import EventRow, timestamp_text


def append(
    session: Session, items: Sequence[tuple[str, dict[str, Any]]], *, now: datetime
) -> list[Event]:
    """Append events (type, JSON data) in the caller's transaction and return them with seqs.

    Straight to the driver, after what the session holds: the log's order is the writes'.
    """
    for event_type, _data in items:
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event_type!r}")
    if not items:
        return []
    session.flush()
    cursor = driver(session)
    at = timestamp_text(now)
    appended: list[Event] = []
    for event_type, data in items:
        event_id = new_id(EVENT)
        seq = cursor.execute(
            "INSERT INTO events (id, type, created_at, data) VALUES (?, ?, ?, ?) RETURNING seq",
            (event_id, event_type, at, json.dumps(data)),
        ).fetchone()[0]
        appended.append(Event(id=event_id, seq=seq, type=event_type, created_at=now, data=data))
    return appended


def list_after(session: Session, *, after: int = 0, limit: int = 100) -> Page[Event]:
    """Events with `seq > after`, oldest first; `next_cursor` is the last seq when more wait."""
    check_limit(limit)
    rows = session.scalars(
        select(EventRow).where(EventRow.seq > after).order_by(EventRow.seq).limit(limit + 1)
    ).all()
    more = len(rows) > limit
    page = [to_model(row) for row in rows[:limit]]
    return Page[Event](data=page, next_cursor=str(page[-1].seq) if more and page else None)


def last_seq(session: Session) -> int:
    """The newest seq, 0 for an empty log."""
    value = session.scalar(select(EventRow.seq).order_by(EventRow.seq.desc()).limit(1))
    return int(value or 0)


def to_model(row: EventRow) -> Event:
    return Event(id=row.id, seq=row.seq, type=row.type, created_at=row.created_at, data=row.data)
