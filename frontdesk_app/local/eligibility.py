"""Deterministic insurance eligibility from a payer's enrolment record and coverage rules.

The same request against the same records always gives the same answer, so the desk, the
sandbox and the tests agree on who is covered for what.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from frontdesk_app.domain.models import (
    Coverage,
    EligibilityReason,
    EligibilityRequest,
    EligibilityResult,
    ServiceCoverage,
)

_CPT = re.compile(r"^\d{5}$")
_HCPCS = re.compile(r"^[A-V]\d{4}$")


@dataclass(frozen=True, slots=True)
class MemberTerms:
    """What a payer's enrolment record says about one member."""

    patient_id: str | None
    active: bool
    coverage_start: date
    coverage_end: date | None
    copay: int
    deductible_total: int
    deductible_met: int
    coinsurance_pct: int
    in_network: bool


@dataclass(frozen=True, slots=True)
class ServiceRule:
    covered: bool
    requires_prior_auth: bool


NO_COVERAGE = Coverage(copay=0, deductible_remaining=0, coinsurance_pct=0, in_network=False)


def member_reason(
    terms: MemberTerms | None, *, patient_id: str, date_of_service: date
) -> EligibilityReason:
    """Why the member is (not) eligible: no such member, someone else's record, inactive, not
    started or ended by the date of service, or active."""
    if terms is None:
        return "member_not_found"
    if terms.patient_id is not None and terms.patient_id != patient_id:
        return "member_mismatch"
    if not terms.active:
        return "coverage_inactive"
    if date_of_service < terms.coverage_start:
        return "coverage_not_started"
    if terms.coverage_end is not None and date_of_service > terms.coverage_end:
        return "coverage_ended"
    return "active"


def member_is_eligible(
    terms: MemberTerms | None, *, patient_id: str, date_of_service: date
) -> bool:
    """Enrolled, active, covering that date, and the record belongs to this patient."""
    return member_reason(terms, patient_id=patient_id, date_of_service=date_of_service) == "active"


def default_rule(code: str) -> ServiceRule:
    """How a plan treats a code it has no specific rule for, by CPT/HCPCS range.

    Office visits, labs and medicine are covered outright; surgery and imaging need prior
    authorisation; HCPCS drug codes (J…) need it too; anything unrecognised is not covered.
    """
    if _CPT.match(code):
        number = int(code)
        if 99202 <= number <= 99499 or 80047 <= number <= 89398 or 90281 <= number <= 99199:
            return ServiceRule(covered=True, requires_prior_auth=False)
        if 10004 <= number <= 69990 or 70010 <= number <= 79999:
            return ServiceRule(covered=True, requires_prior_auth=True)
        return ServiceRule(covered=False, requires_prior_auth=False)
    if _HCPCS.match(code):
        return ServiceRule(covered=True, requires_prior_auth=code.startswith("J"))
    return ServiceRule(covered=False, requires_prior_auth=False)


def evaluate(
    request: EligibilityRequest,
    *,
    check_id: str,
    payer_name: str,
    terms: MemberTerms | None,
    rules: dict[str, ServiceRule],
    now: datetime,
) -> EligibilityResult:
    """The seed's eligibility object, plus per-service coverage for the codes asked about."""
    reason = member_reason(
        terms, patient_id=request.patient_id, date_of_service=request.date_of_service
    )
    eligible = reason == "active"
    if eligible and terms is not None:
        coverage = Coverage(
            copay=terms.copay,
            deductible_remaining=max(0, terms.deductible_total - terms.deductible_met),
            coinsurance_pct=terms.coinsurance_pct,
            in_network=terms.in_network,
        )
    else:
        coverage = NO_COVERAGE
    services: list[ServiceCoverage] = []
    for raw in dict.fromkeys(request.service_codes):
        code = raw.strip().upper()
        rule = rules.get(code) or default_rule(code)
        services.append(
            ServiceCoverage(
                code=code,
                covered=eligible and rule.covered,
                requires_prior_auth=eligible and rule.covered and rule.requires_prior_auth,
            )
        )
    return EligibilityResult(
        eligible=eligible,
        payer=payer_name,
        member_id=request.member_id.strip(),
        coverage=coverage,
        verified_at=now,
        id=check_id,
        patient_id=request.patient_id,
        payer_id=request.payer_id,
        date_of_service=request.date_of_service,
        services=services,
        reason=reason,
    )
