"""Answers that need the network, kept for when it is gone: eligibility checks, prescriptions.

Each cached answer carries when it was fetched, so the desk can say "checked 3 h ago" instead
of passing an old answer off as a new one. An eligibility check asked for while offline can be
marked for a re-check, which runs when the API is back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from sqlalchemy import select, update
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from frontdesk_app.domain.models import EligibilityRequest, EligibilityResult, Prescription
from frontdesk_app.sync.tables import cache

T = TypeVar("T")
ELIGIBILITY = "eligibility"
ELIGIBILITY_HISTORY = "eligibility_history"
PRESCRIPTION = "prescription"
# A patient's history kept here: enough for the panel's list and the calendar's badge.
HISTORY_KEPT = 100


@dataclass(frozen=True, slots=True)
class Cached(Generic[T]):
    """A cached answer and when it was fetched from the API."""

    value: T
    fetched_at: datetime

    def age(self, now: datetime) -> timedelta:
        return max(timedelta(0), now - self.fetched_at)


def eligibility_key(request: EligibilityRequest) -> str:
    return f"{request.patient_id}|{request.payer_id}|{request.member_id}"


def _put(
    session: Session,
    kind: str,
    key: str,
    *,
    owner_id: str,
    value: object,
    fetched_at: datetime,
    request: object = None,
) -> None:
    values = {
        "kind": kind,
        "key": key,
        "owner_id": owner_id,
        "value": value,
        "fetched_at": fetched_at,
        "request": request,
        "recheck": False,
    }
    stmt = insert(cache).values(**values)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[cache.c.kind, cache.c.key],
            set_={k: v for k, v in values.items() if k not in ("kind", "key")},
        )
    )


def store_eligibility(
    session: Session, request: EligibilityRequest, result: EligibilityResult, *, now: datetime
) -> None:
    _put(
        session,
        ELIGIBILITY,
        eligibility_key(request),
        owner_id=request.patient_id,
        value=result.model_dump(mode="json"),
        fetched_at=now,
        request=request.model_dump(mode="json"),
    )


def cached_eligibility(
    session: Session, request: EligibilityRequest
) -> Cached[EligibilityResult] | None:
    """The last check of this patient, payer and member id (else of this patient and payer)."""
    row = session.execute(
        select(cache.c.value, cache.c.fetched_at).where(
            cache.c.kind == ELIGIBILITY,
            cache.c.key == eligibility_key(request),
            cache.c.value.is_not(None),
        )
    ).first()
    if row is None:
        rows = session.execute(
            select(cache.c.value, cache.c.fetched_at)
            .where(
                cache.c.kind == ELIGIBILITY,
                cache.c.owner_id == request.patient_id,
                cache.c.value.is_not(None),
            )
            .order_by(cache.c.fetched_at.desc())
        ).all()
        row = next((r for r in rows if r.value.get("payer_id") == request.payer_id), None)
    if row is None:
        return None
    return Cached(EligibilityResult.model_validate(row.value), row.fetched_at)


def store_eligibility_history(
    session: Session, patient_id: str, results: list[EligibilityResult], *, now: datetime
) -> None:
    """Keep a patient's history as the API listed it, merged with what was kept before (a
    shorter listing must not forget older answers)."""
    earlier = session.execute(
        select(cache.c.value).where(cache.c.kind == ELIGIBILITY_HISTORY, cache.c.key == patient_id)
    ).scalar()
    merged = _newest_first(
        [*results, *(EligibilityResult.model_validate(v) for v in earlier or [])]
    )
    _put(
        session,
        ELIGIBILITY_HISTORY,
        patient_id,
        owner_id=patient_id,
        value=[r.model_dump(mode="json") for r in merged[:HISTORY_KEPT]],
        fetched_at=now,
    )


def cached_eligibility_checks(
    session: Session, patient_id: str
) -> Cached[list[EligibilityResult]] | None:
    """Every answer this computer kept for the patient, newest first: the history last listed
    and each check's latest answer. `fetched_at` is the oldest fetch among them."""
    rows = session.execute(
        select(cache.c.kind, cache.c.value, cache.c.fetched_at).where(
            cache.c.kind.in_((ELIGIBILITY, ELIGIBILITY_HISTORY)),
            cache.c.owner_id == patient_id,
            cache.c.value.is_not(None),
        )
    ).all()
    if not rows:
        return None
    found: list[EligibilityResult] = []
    for row in rows:
        values = row.value if row.kind == ELIGIBILITY_HISTORY else [row.value]
        found.extend(EligibilityResult.model_validate(v) for v in values)
    return Cached(_newest_first(found), min(r.fetched_at for r in rows))


def _newest_first(results: list[EligibilityResult]) -> list[EligibilityResult]:
    """One entry per check id (the first seen wins), newest first; ties keep their order."""
    unique = {r.id: r for r in reversed(results)}
    ordered = [unique[r_id] for r_id in dict.fromkeys(r.id for r in results)]
    return sorted(ordered, key=lambda r: r.verified_at, reverse=True)


def request_recheck(session: Session, request: EligibilityRequest) -> None:
    """Remember to ask the payer again once the API is reachable."""
    stmt = insert(cache).values(
        kind=ELIGIBILITY,
        key=eligibility_key(request),
        owner_id=request.patient_id,
        value=None,
        fetched_at=None,
        request=request.model_dump(mode="json"),
        recheck=True,
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[cache.c.kind, cache.c.key],
            set_={"recheck": True, "request": request.model_dump(mode="json")},
        )
    )


def pending_rechecks(session: Session) -> list[EligibilityRequest]:
    rows = session.execute(
        select(cache.c.request).where(cache.c.kind == ELIGIBILITY, cache.c.recheck.is_(True))
    ).scalars()
    return [EligibilityRequest.model_validate(r) for r in rows if r]


def clear_recheck(session: Session, request: EligibilityRequest) -> None:
    session.execute(
        update(cache)
        .where(cache.c.kind == ELIGIBILITY, cache.c.key == eligibility_key(request))
        .values(recheck=False)
    )


def store_prescriptions(
    session: Session, prescriptions: list[Prescription], *, now: datetime
) -> None:
    for prescription in prescriptions:
        _put(
            session,
            PRESCRIPTION,
            prescription.id,
            owner_id=prescription.patient_id,
            value=prescription.model_dump(mode="json"),
            fetched_at=now,
        )


def cached_prescription(session: Session, prescription_id: str) -> Cached[Prescription] | None:
    row = session.execute(
        select(cache.c.value, cache.c.fetched_at).where(
            cache.c.kind == PRESCRIPTION, cache.c.key == prescription_id
        )
    ).first()
    if row is None or row.value is None:
        return None
    return Cached(Prescription.model_validate(row.value), row.fetched_at)


def cached_prescriptions(session: Session, patient_id: str) -> Cached[list[Prescription]] | None:
    """A patient's cached prescriptions; `fetched_at` is the oldest among them."""
    rows = session.execute(
        select(cache.c.value, cache.c.fetched_at)
        .where(cache.c.kind == PRESCRIPTION, cache.c.owner_id == patient_id)
        .order_by(cache.c.key)
    ).all()
    if not rows:
        return None
    return Cached(
        [Prescription.model_validate(r.value) for r in rows], min(r.fetched_at for r in rows)
    )
