"""Insurance enrolment, eligibility history and prescriptions."""

from __future__ import annotations

from sqlalchemy import literal_column, select, tuple_
from sqlalchemy.orm import Session

from frontdesk_app.domain.errors import NotFound
from frontdesk_app.domain.models import EligibilityResult, Page, Pharmacy, Prescription
from frontdesk_app.domain.timeutil import parse_utc
from frontdesk_app.store.repositories.paging import (
    bad_cursor,
    check_limit,
    decode_cursor,
    encode_cursor,
)
from frontdesk_app.store.tables import (
    EligibilityCheckRow,
    PayerMemberRow,
    PayerServiceRow,
    PrescriptionRow,
)

# --- eligibility -----------------------------------------------------------------------------


def member(session: Session, payer_id: str, member_id: str) -> PayerMemberRow | None:
    return session.get(PayerMemberRow, (payer_id, member_id.strip().upper()))


def service_rules(session: Session, payer_id: str, codes: list[str]) -> dict[str, PayerServiceRow]:
    if not codes:
        return {}
    rows = session.scalars(
        select(PayerServiceRow).where(
            PayerServiceRow.payer_id == payer_id, PayerServiceRow.code.in_(codes)
        )
    ).all()
    return {row.code: row for row in rows}


def record_check(session: Session, result: EligibilityResult) -> None:
    session.add(
        EligibilityCheckRow(
            id=result.id,
            patient_id=result.patient_id,
            payer_id=result.payer_id,
            member_id=result.member_id,
            date_of_service=result.date_of_service,
            eligible=result.eligible,
            verified_at=result.verified_at,
            result=result.model_dump(mode="json"),
        )
    )


def last_check(session: Session, patient_id: str) -> EligibilityResult | None:
    """The most recent answer for a patient (what the desk shows while a payer is down)."""
    row = session.scalars(
        select(EligibilityCheckRow)
        .where(EligibilityCheckRow.patient_id == patient_id)
        .order_by(EligibilityCheckRow.verified_at.desc(), EligibilityCheckRow.id.desc())
        .limit(1)
    ).first()
    return None if row is None else EligibilityResult.model_validate(row.result)


def list_checks(session: Session, patient_id: str, *, limit: int = 20) -> list[EligibilityResult]:
    """A patient's stored answers, newest first; two in the same instant by insertion order.

    The row id is random, so it cannot break a tie between checks made in the same instant (a
    day's batch, a stopped clock); SQLite's `rowid` follows the order they were recorded in.
    """
    check_limit(limit)
    rows = session.scalars(
        select(EligibilityCheckRow)
        .where(EligibilityCheckRow.patient_id == patient_id)
        .order_by(EligibilityCheckRow.verified_at.desc(), literal_column("rowid").desc())
        .limit(limit)
    ).all()
    return [EligibilityResult.model_validate(row.result) for row in rows]


# --- prescriptions ---------------------------------------------------------------------------


def prescription_to_model(row: PrescriptionRow) -> Prescription:
    return Prescription(
        id=row.id,
        medication=row.medication,
        status=row.status,
        refills_remaining=row.refills_remaining,
        last_filled=row.last_filled,
        next_refill_date=row.next_refill_date,
        pharmacy=Pharmacy(name=row.pharmacy_name, phone=row.pharmacy_phone),
        patient_id=row.patient_id,
        prescriber_id=row.prescriber_id,
    )


def get_prescription(session: Session, prescription_id: str) -> Prescription:
    row = session.get(PrescriptionRow, prescription_id)
    if row is None:
        raise NotFound("No such prescription.")
    return prescription_to_model(row)


def list_prescriptions(
    session: Session, patient_id: str, *, limit: int = 50, cursor: str | None = None
) -> Page[Prescription]:
    """A patient's prescriptions, newest first, keyset-paged."""
    check_limit(limit)
    query = select(PrescriptionRow).where(PrescriptionRow.patient_id == patient_id)
    if cursor:
        created_text, last_id = decode_cursor("prescriptions", cursor, 2)
        try:
            created = parse_utc(created_text)
        except ValueError as exc:  # well-formed but not ours: a made-up time
            raise bad_cursor() from exc
        query = query.where(
            tuple_(PrescriptionRow.created_at, PrescriptionRow.id) < (created, last_id)
        )
    rows = session.scalars(
        query.order_by(PrescriptionRow.created_at.desc(), PrescriptionRow.id.desc()).limit(
            limit + 1
        )
    ).all()
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        tail = page[-1]
        next_cursor = encode_cursor("prescriptions", [tail.created_at.isoformat(), tail.id])
    return Page[Prescription](
        data=[prescription_to_model(r) for r in page], next_cursor=next_cursor
    )
