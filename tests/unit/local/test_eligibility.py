"""Eligibility comes from the payer's records: deterministic, recorded; a down payer refuses."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update

from frontdesk_app.domain import errors
from frontdesk_app.domain.models import EligibilityRequest
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.local.eligibility import default_rule
from frontdesk_app.store.db import Store
from frontdesk_app.store.tables import PayerMemberRow
from tests.fixtures.store import SmallClinic


def request(clinic: SmallClinic, **overrides: object) -> EligibilityRequest:
    fields: dict[str, object] = {
        "patient_id": clinic.alice,
        "payer_id": clinic.payer,
        "member_id": clinic.member,
        "date_of_service": date(2026, 3, 3),
    }
    fields.update(overrides)
    return EligibilityRequest.model_validate(fields)


@pytest.mark.asyncio
async def test_an_active_member_is_covered_with_the_plans_figures(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    result = await backend.check_eligibility(
        request(clinic, service_codes=["99213", "97110", "70551", "J1100", "XYZ"])
    )
    assert result.eligible
    assert result.payer == "Acme Health"
    assert (result.coverage.copay, result.coverage.deductible_remaining) == (25, 500)
    services = {s.code: (s.covered, s.requires_prior_auth) for s in result.services}
    assert services == {
        "99213": (True, False),  # office visit
        "97110": (False, False),  # this payer's own rule
        "70551": (True, True),  # imaging needs prior authorisation
        "J1100": (True, True),  # drug code
        "XYZ": (False, False),  # unknown
    }
    again = await backend.check_eligibility(
        request(clinic, service_codes=["99213", "97110", "70551", "J1100", "XYZ"])
    )
    assert again.model_dump(exclude={"id", "verified_at"}) == result.model_dump(
        exclude={"id", "verified_at"}
    )


@pytest.mark.asyncio
async def test_member_id_is_matched_without_case_or_spaces(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    result = await backend.check_eligibility(request(clinic, member_id=" acm000000001 "))
    assert result.eligible


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "overrides",
    [
        {"member_id": "ACM999999999"},  # unknown member
        {"date_of_service": date(2023, 12, 31)},  # before coverage began
        {"patient_id": "pat_bob"},  # somebody else's member id
    ],
)
async def test_ineligible_answers(
    backend: LocalBackend, clinic: SmallClinic, overrides: dict[str, object]
) -> None:
    result = await backend.check_eligibility(request(clinic, service_codes=["99213"], **overrides))
    assert not result.eligible
    assert result.coverage.copay == 0 and not result.coverage.in_network
    assert [(s.covered, s.requires_prior_auth) for s in result.services] == [(False, False)]


@pytest.mark.asyncio
async def test_ended_or_inactive_coverage_is_ineligible(
    backend: LocalBackend, clinic: SmallClinic, store: Store
) -> None:
    with store.write() as session:
        session.execute(update(PayerMemberRow).values(coverage_end=date(2026, 3, 2)))
    assert not (await backend.check_eligibility(request(clinic))).eligible
    assert (
        await backend.check_eligibility(request(clinic, date_of_service=date(2026, 3, 2)))
    ).eligible
    with store.write() as session:
        session.execute(update(PayerMemberRow).values(coverage_end=None, active=False))
    assert not (await backend.check_eligibility(request(clinic))).eligible


@pytest.mark.asyncio
async def test_a_payer_that_is_down_answers_payer_unavailable(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    with pytest.raises(errors.PayerUnavailable) as refused:
        await backend.check_eligibility(
            request(clinic, patient_id=clinic.carol, payer_id=clinic.down_payer, member_id="DWN1")
        )
    assert refused.value.code == "payer_unavailable"
    assert refused.value.retry_after == 90
    assert "Carol" not in refused.value.message


@pytest.mark.asyncio
async def test_unknown_payer_or_patient_is_not_found(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    with pytest.raises(errors.NotFound):
        await backend.check_eligibility(request(clinic, payer_id="payer_nobody"))
    with pytest.raises(errors.NotFound):
        await backend.check_eligibility(request(clinic, patient_id="pat_nobody"))


@pytest.mark.asyncio
async def test_answers_are_kept_and_the_latest_is_at_hand(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    assert await backend.last_eligibility(clinic.alice) is None
    first = await backend.check_eligibility(request(clinic))
    assert await backend.last_eligibility(clinic.alice) == first
    # An eligibility check is not an event of the API's list.
    assert (await backend.list_events()).data == []


def test_default_rules_by_code_range() -> None:
    assert default_rule("99214").covered and not default_rule("99214").requires_prior_auth
    assert default_rule("80053").covered  # lab panel
    assert default_rule("27447").requires_prior_auth  # knee replacement
    assert not default_rule("0001U").covered
    assert not default_rule("").covered
