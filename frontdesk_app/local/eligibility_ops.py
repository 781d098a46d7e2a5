"""Insurance eligibility in a store: the payer's records read, the rules of
`local.eligibility` applied, the answer kept (a payer that is down refuses)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from frontdesk_app.domain.errors import PayerUnavailable
from frontdesk_app.domain.ids import ELIGIBILITY, new_id
from frontdesk_app.domain.models import EligibilityRequest, EligibilityResult
from frontdesk_app.local.appointment_ops import Outcome
from frontdesk_app.local.eligibility import MemberTerms, ServiceRule, evaluate
from frontdesk_app.store.repositories import care, directory


def check(
    session: Session, request: EligibilityRequest, *, now: datetime
) -> Outcome[EligibilityResult]:
    """Answer from the payer's records and keep the answer; a payer that is down refuses."""
    directory.get_patient(session, request.patient_id)
    payer = directory.get_payer_row(session, request.payer_id)
    if not payer.available:
        raise PayerUnavailable(
            f"{payer.name} is not answering eligibility checks right now; try again shortly.",
            retry_after=float(payer.retry_after_seconds),
        )
    member = care.member(session, request.payer_id, request.member_id)
    terms = (
        None
        if member is None
        else MemberTerms(
            patient_id=member.patient_id,
            active=member.active,
            coverage_start=member.coverage_start,
            coverage_end=member.coverage_end,
            copay=member.copay,
            deductible_total=member.deductible_total,
            deductible_met=member.deductible_met,
            coinsurance_pct=member.coinsurance_pct,
            in_network=member.in_network,
        )
    )
    codes = [code.strip().upper() for code in request.service_codes]
    rules = {
        code: ServiceRule(covered=row.covered, requires_prior_auth=row.requires_prior_auth)
        for code, row in care.service_rules(session, request.payer_id, codes).items()
    }
    result = evaluate(
        request,
        check_id=new_id(ELIGIBILITY),
        payer_name=payer.name,
        terms=terms,
        rules=rules,
        now=now,
    )
    care.record_check(session, result)
    return Outcome(result, [])
