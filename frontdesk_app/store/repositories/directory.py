"""The clinic's directory: settings, providers with hours and blocks, patients, payers."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, tuple_
from sqlalchemy.orm import Session

from frontdesk_app.domain.errors import NotFound
from frontdesk_app.domain.models import (
    BlockedTime,
    Insurance,
    Page,
    Patient,
    Payer,
    Provider,
    TimeRange,
)
from frontdesk_app.store.directory_cache import cache_for
from frontdesk_app.store.repositories.paging import check_limit, decode_cursor, encode_cursor
from frontdesk_app.store.tables import (
    ClinicRow,
    PatientRow,
    PayerRow,
    ProviderBlockRow,
    ProviderHoursRow,
    ProviderRow,
)

DEFAULT_TIMEZONE = "America/New_York"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A query of digits and phone punctuation only is a phone number, not a name.
_PHONE = re.compile(r"^[\d\s().+\-]+$")
MIN_PHONE_DIGITS = 3


def clinic_timezone(session: Session) -> str:
    """The clinic's IANA time zone (a store without settings is in the default zone)."""
    value = session.scalar(select(ClinicRow.timezone).where(ClinicRow.id == 1))
    return value or DEFAULT_TIMEZONE


# --- providers -------------------------------------------------------------------------------


def provider_names(session: Session) -> dict[str, str]:
    _ordered, by_id = cache_for(session).providers(session, _load_providers)
    return {pid: provider.name for pid, provider in by_id.items()}


def provider_timezone(session: Session, provider_id: str) -> str:
    value = session.scalar(select(ProviderRow.timezone).where(ProviderRow.id == provider_id))
    if value is None:
        raise NotFound("No such provider.")
    return value


def get_provider(
    session: Session,
    provider_id: str,
    *,
    blocks_from: datetime | None = None,
    blocks_to: datetime | None = None,
) -> Provider:
    """One provider; blocks limited to those overlapping [blocks_from, blocks_to) when given."""
    _ordered, by_id = cache_for(session).providers(session, _load_providers)
    provider = by_id.get(provider_id)
    if provider is None:
        raise NotFound("No such provider.")
    if blocks_from is None and blocks_to is None:
        return provider
    blocked = [
        b
        for b in provider.blocked
        if (blocks_to is None or b.start_time < blocks_to)
        and (blocks_from is None or b.end_time > blocks_from)
    ]
    return provider.model_copy(update={"blocked": blocked})


def list_providers(session: Session) -> list[Provider]:
    ordered, _by_id = cache_for(session).providers(session, _load_providers)
    return list(ordered)


def _load_providers(session: Session) -> list[Provider]:
    """Every provider with all its hours and blocks, by name (kept by `directory_cache`)."""
    rows = session.scalars(select(ProviderRow).order_by(ProviderRow.name, ProviderRow.id)).all()
    return _providers(session, list(rows))


def _providers(
    session: Session,
    rows: list[ProviderRow],
    *,
    blocks_from: datetime | None = None,
    blocks_to: datetime | None = None,
) -> list[Provider]:
    ids = [row.id for row in rows]
    hours: dict[str, dict[int, list[TimeRange]]] = defaultdict(lambda: defaultdict(list))
    for h in session.scalars(
        select(ProviderHoursRow)
        .where(ProviderHoursRow.provider_id.in_(ids))
        .order_by(ProviderHoursRow.weekday, ProviderHoursRow.start)
    ):
        hours[h.provider_id][h.weekday].append(TimeRange(start=h.start, end=h.end))
    block_query = select(ProviderBlockRow).where(ProviderBlockRow.provider_id.in_(ids))
    if blocks_to is not None:
        block_query = block_query.where(ProviderBlockRow.start_time < blocks_to)
    if blocks_from is not None:
        block_query = block_query.where(ProviderBlockRow.end_time > blocks_from)
    blocks: dict[str, list[BlockedTime]] = defaultdict(list)
    for b in session.scalars(block_query.order_by(ProviderBlockRow.start_time)):
        blocks[b.provider_id].append(
            BlockedTime(start_time=b.start_time, end_time=b.end_time, reason=b.reason)
        )
    return [
        Provider(
            id=row.id,
            name=row.name,
            specialty=row.specialty,
            timezone=row.timezone,
            weekly_hours=dict(hours[row.id]),
            blocked=blocks[row.id],
        )
        for row in rows
    ]


# --- patients --------------------------------------------------------------------------------


def patient_to_model(row: PatientRow) -> Patient:
    insurance = (
        Insurance(payer_id=row.payer_id, member_id=row.member_id)
        if row.payer_id and row.member_id
        else None
    )
    return Patient(
        id=row.id,
        first_name=row.first_name,
        last_name=row.last_name,
        date_of_birth=row.date_of_birth,
        phone=row.phone,
        email=row.email,
        address=row.address,
        insurance=insurance,
    )


def get_patient(session: Session, patient_id: str) -> Patient:
    row = session.get(PatientRow, patient_id)
    if row is None:
        raise NotFound("No such patient.")
    return patient_to_model(row)


def patient_exists(session: Session, patient_id: str) -> bool:
    found = (
        session.connection()
        .exec_driver_sql("SELECT 1 FROM patients WHERE id = ?", (patient_id,))
        .first()
    )
    return found is not None


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _like(fragment: str) -> str:
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _patient_filter(q: str) -> ColumnElement[bool] | None:
    """Date of birth (YYYY-MM-DD), phone digits, or every word inside a first or last name."""
    text = q.strip()
    if not text:
        return None
    if _DATE.match(text):
        try:
            return PatientRow.date_of_birth == date.fromisoformat(text)
        except ValueError:
            pass  # not a real date: search it as text
    if _PHONE.match(text) and len(digits(text)) >= MIN_PHONE_DIGITS:
        return PatientRow.phone_digits.like(_like(digits(text)), escape="\\")
    words = text.lower().replace(",", " ").split()
    return and_(
        *(
            or_(
                func.lower(PatientRow.first_name).like(_like(word), escape="\\"),
                func.lower(PatientRow.last_name).like(_like(word), escape="\\"),
            )
            for word in words
        )
    )


def search_patients(
    session: Session, q: str | None = None, *, limit: int = 50, cursor: str | None = None
) -> Page[Patient]:
    """Patients matching `q` (see `_patient_filter`), by last then first name, paged."""
    check_limit(limit)
    query = select(PatientRow)
    condition = _patient_filter(q) if q else None
    if condition is not None:
        query = query.where(condition)
    order = (PatientRow.last_name, PatientRow.first_name, PatientRow.id)
    if cursor:
        last, first, pid = decode_cursor("patients", cursor, 3)
        query = query.where(tuple_(*order) > tuple_(last, first, pid))
    rows = session.scalars(query.order_by(*order).limit(limit + 1)).all()
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        tail = page[-1]
        next_cursor = encode_cursor("patients", [tail.last_name, tail.first_name, tail.id])
    return Page[Patient](data=[patient_to_model(r) for r in page], next_cursor=next_cursor)


# --- payers ----------------------------------------------------------------------------------


def payer_to_model(row: PayerRow) -> Payer:
    return Payer(id=row.id, name=row.name, available=row.available)


def list_payers(session: Session) -> list[Payer]:
    rows = session.scalars(select(PayerRow).order_by(PayerRow.name)).all()
    return [payer_to_model(row) for row in rows]


def get_payer_row(session: Session, payer_id: str) -> PayerRow:
    row = session.get(PayerRow, payer_id)
    if row is None:
        raise NotFound("No such insurance payer.")
    return row
