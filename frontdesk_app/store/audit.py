"""The audit log: who at this desk looked up or changed which patient's data, and when.

Entries are appended by the layer that performs the action (`LocalBackend` for the embedded
store, `OfflineFirstBackend` for the API's answers and queued writes), in the same store as
the clinic's data, so they are encrypted with it. They hold ids, never names or details: the
log itself must not become a second copy of the health data. The table is append-only: the
app has no code path that changes or removes an entry, and triggers (migration 0003) make
SQLite refuse an UPDATE or DELETE from any connection.
"""

from __future__ import annotations

import csv
import getpass
import logging
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final, TextIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from frontdesk_app.store.db import Store

from frontdesk_app.domain.timeutil import utc_now
from frontdesk_app.store import audit_chain
from frontdesk_app.store.tables import UtcTimestamp, timestamp_text, timestamp_value

log = logging.getLogger(__name__)

metadata = sa.MetaData()

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("at", UtcTimestamp(), nullable=False),
    sa.Column("user", sa.String(120), nullable=False),
    sa.Column("workstation", sa.String(120), nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("patient_id", sa.String(40), nullable=True),
    sa.Column("object_id", sa.String(64), nullable=True),
    sa.Column("person_id", sa.String(40), nullable=True),
    sa.Column("person", sa.String(120), nullable=True),
    sa.Column("linked_id", sa.String(64), nullable=True),
    sa.Column("prev_hash", sa.String(64), nullable=True),
    sa.Column("hash", sa.String(64), nullable=True),
    sa.Index("ix_audit_log_at", "at"),
    sa.Index("ix_audit_log_patient_id_at", "patient_id", "at"),
    sqlite_autoincrement=True,
)

# Every action the app records, with the words the admin view shows for it.
ACTIONS: Final[dict[str, str]] = {
    "eligibility.check": "Eligibility checked",
    "prescription.view": "Prescription looked up",
    "prescription.list": "Prescriptions listed",
    "appointment.create": "Appointment booked",
    "appointment.reschedule": "Appointment moved",
    "appointment.cancel": "Appointment cancelled",
    "patient.create": "Patient registered",
    "visit.change": "Patient checked in or moved on (flow board)",
    "waitlist.save": "Waitlist entry added, changed or removed",
    "series.book": "Recurring series booked",
    "series.cancel": "Recurring series cancelled (all or from one on)",
    "series.reschedule": "Recurring series moved to another time (all or from one on)",
    "transfer.accept": "Transferred call taken",
    "transfer.complete": "Transferred call completed",
    "appointment.server_id": "Booking made offline reached the server",
    "patient.view": "Patient looked at",
    "call.view": "Call looked at",
    "eligibility.history.view": "Eligibility history looked at",
    "daysheet.print": "Day sheet printed",
    "daysheet.export": "Day sheet exported",
    "audit.export": "Audit log exported",
    "sign_in": "Signed in",
    "sign_in.failed": "Wrong PIN or password",
    "lock": "Locked",
    "unlock": "Unlocked",
    "person.added": "Person added",
    "person.disabled": "Person disabled",
}
# The event a write emits → the action it is recorded as.
WRITE_ACTIONS: Final[dict[str, str]] = {
    "appointment.created": "appointment.create",
    "appointment.rescheduled": "appointment.reschedule",
    "appointment.cancelled": "appointment.cancel",
    "visit.changed": "visit.change",
}
CSV_COLUMNS: Final = (
    "time_utc",
    "person",
    "person_id",
    "user",
    "workstation",
    "action",
    "patient_id",
    "object_id",
    "linked_id",
)
MAX_ROWS: Final = 10_000
_NAME_WIDTH: Final = 120


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: the operating system's login at this workstation, and its name."""

    user: str
    workstation: str


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The person signed in at the desk (their id in the desk file, and their name)."""

    id: str
    name: str


def current_actor(workstation_name: str = "") -> Actor:
    """The person logged in to this computer, and the workstation's chosen name (or host)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name (a service account without one)
        user = "unknown"
    workstation = workstation_name.strip() or socket.gethostname() or "unknown"
    return Actor(user=user[:_NAME_WIDTH], workstation=workstation[:_NAME_WIDTH])


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: datetime
    user: str
    workstation: str
    action: str
    patient_id: str | None
    object_id: str | None
    person: str | None = None
    person_id: str | None = None
    linked_id: str | None = None

    @property
    def label(self) -> str:
        return ACTIONS.get(self.action, self.action)


class AuditTrail:
    """Appends entries for one actor and whoever is signed in; `record` joins the caller's
    (write) transaction, so an action and its entry commit (or are undone) together."""

    def __init__(self, actor: Actor, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.actor = actor
        self.clock = clock
        # Set by the app as people sign in; None before anybody has (background sync).
        self.person: SignedIn | None = None

    def record(
        self,
        session: Session,
        action: str,
        *,
        patient_id: str | None = None,
        object_id: str | None = None,
        linked_id: str | None = None,
        person: SignedIn | None = None,
    ) -> None:
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        who = person or self.person
        fields: dict[str, object] = {
            "at": timestamp_text(self.clock()),
            "user": self.actor.user,
            "workstation": self.actor.workstation,
            "person_id": who.id if who else None,
            "person": who.name[:_NAME_WIDTH] if who else None,
            "action": action,
            "patient_id": patient_id,
            "object_id": object_id,
            "linked_id": linked_id,
        }
        previous = audit_chain.last_hash(session, audit_log)
        own = audit_chain.entry_hash(previous, fields)
        values = {**fields, "at": timestamp_value(str(fields["at"]))}
        session.execute(audit_log.insert().values(**values, prev_hash=previous, hash=own))


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """The admin view's filters; None means any. `end` is exclusive."""

    start: datetime | None = None
    end: datetime | None = None
    user: str | None = None
    action: str | None = None
    patient_id: str | None = None
    limit: int = MAX_ROWS


def search(session: Session, query: AuditQuery) -> list[AuditEntry]:
    """Entries matching every filter, newest first, at most `query.limit`."""
    statement = sa.select(audit_log)
    if query.start is not None:
        statement = statement.where(audit_log.c.at >= query.start)
    if query.end is not None:
        statement = statement.where(audit_log.c.at < query.end)
    if query.user:
        statement = statement.where(
            sa.or_(audit_log.c.person == query.user, audit_log.c.user == query.user)
        )
    if query.action:
        statement = statement.where(audit_log.c.action == query.action)
    if query.patient_id:
        statement = statement.where(audit_log.c.patient_id == query.patient_id.strip())
    statement = statement.order_by(audit_log.c.at.desc(), audit_log.c.seq.desc())
    statement = statement.limit(max(1, query.limit))
    return [
        AuditEntry(
            seq=row.seq,
            at=row.at,
            user=row.user,
            workstation=row.workstation,
            action=row.action,
            patient_id=row.patient_id,
            object_id=row.object_id,
            person=row.person,
            person_id=row.person_id,
            linked_id=row.linked_id,
        )
        for row in session.execute(statement)
    ]


def known_users(session: Session) -> list[str]:
    """Every person and login that has an entry (for the view's filter list)."""
    people = session.execute(
        sa.select(audit_log.c.person).where(audit_log.c.person.is_not(None)).distinct()
    )
    logins = session.execute(sa.select(audit_log.c.user).distinct())
    return sorted({str(name) for (name,) in people} | {str(user) for (user,) in logins})


def record_now(
    trail: AuditTrail,
    store: Store,
    action: str,
    *,
    patient_id: str | None = None,
    object_id: str | None = None,
    person: SignedIn | None = None,
) -> None:
    """An entry in a transaction of its own (a sign-in, a lock, a day sheet printed)."""
    with store.write() as session:
        trail.record(session, action, patient_id=patient_id, object_id=object_id, person=person)


def verify(store: Store) -> audit_chain.ChainReport:
    """Walk the store's audit log; the first broken link, if any (`frontdesk audit verify`)."""
    with store.read() as session:
        return audit_chain.verify(session, audit_log)


def count(session: Session) -> int:
    return int(session.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar_one())


def write_csv(entries: Iterable[AuditEntry], stream: TextIO) -> int:
    """Write `entries` as CSV (UTC times, ids only); returns the number of rows written."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    written = 0
    for entry in entries:
        writer.writerow(
            [
                entry.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                _cell(entry.person or ""),
                _cell(entry.person_id or ""),
                _cell(entry.user),
                _cell(entry.workstation),
                entry.action,
                _cell(entry.patient_id or ""),
                _cell(entry.object_id or ""),
                _cell(entry.linked_id or ""),
            ]
        )
        written += 1
    return written


def _cell(value: str) -> str:
    # A spreadsheet runs a cell that starts with one of these as a formula (CSV injection);
    # a login or workstation name is chosen by whoever set up the computer.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
