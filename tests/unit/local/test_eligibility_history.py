"""A patient's eligibility history: every answer kept, newest first, across sessions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from frontdesk_app.domain import errors
from frontdesk_app.domain.models import EligibilityRequest
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.store.db import Store
from tests.fixtures.store import Clock, SmallClinic

pytestmark = pytest.mark.asyncio


def request(clinic: SmallClinic, day: date, **overrides: object) -> EligibilityRequest:
    fields: dict[str, object] = {
        "patient_id": clinic.alice,
        "payer_id": clinic.payer,
        "member_id": clinic.member,
        "date_of_service": day,
    }
    return EligibilityRequest.model_validate({**fields, **overrides})


async def test_history_is_newest_first_and_limited(
    backend: LocalBackend, clinic: SmallClinic, clock: Clock
) -> None:
    first = await backend.check_eligibility(request(clinic, date(2026, 3, 3)))
    clock.advance(hours=1)
    wrong = await backend.check_eligibility(request(clinic, date(2026, 3, 4), member_id="X1"))
    clock.advance(hours=1)
    last = await backend.check_eligibility(request(clinic, date(2026, 3, 5)))

    history = await backend.list_eligibility_checks(clinic.alice)

    assert history == [last, wrong, first]
    assert not history[1].eligible  # a "not eligible" answer is history too
    assert await backend.list_eligibility_checks(clinic.alice, limit=2) == [last, wrong]
    assert await backend.list_eligibility_checks(clinic.bob) == []
    assert await backend.list_eligibility_checks("pat_nobody") == []


async def test_checks_in_the_same_instant_keep_the_order_they_were_made_in(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    """The clock does not move (a fast batch): the later check is still listed first."""
    made = [await backend.check_eligibility(request(clinic, date(2026, 3, d))) for d in (3, 4, 5)]
    assert [c.verified_at for c in made] == [made[0].verified_at] * 3
    history = await backend.list_eligibility_checks(clinic.alice)
    assert [c.id for c in history] == [c.id for c in reversed(made)]


async def test_a_payer_that_is_down_leaves_no_entry(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    with pytest.raises(errors.PayerUnavailable):
        await backend.check_eligibility(
            request(clinic, date(2026, 3, 3), patient_id=clinic.carol, payer_id=clinic.down_payer)
        )
    assert await backend.list_eligibility_checks(clinic.carol) == []


async def test_a_bad_limit_is_refused_with_its_field(
    backend: LocalBackend, clinic: SmallClinic
) -> None:
    for limit in (0, 1001):
        with pytest.raises(errors.ValidationFailed) as refused:
            await backend.list_eligibility_checks(clinic.alice, limit=limit)
        assert [e.field for e in refused.value.errors] == ["limit"]


async def test_history_outlives_the_session(
    store: Store, clinic: SmallClinic, clock: Clock
) -> None:
    earlier = LocalBackend(store, clock=clock)
    made = await earlier.check_eligibility(request(clinic, date(2026, 3, 3)))
    await earlier.aclose()  # closes the store too

    clock.advance(days=1)
    later = LocalBackend(Store.open(store.path), clock=clock)
    try:
        history = await later.list_eligibility_checks(clinic.alice)
        assert history == [made]
        assert clock() - history[0].verified_at == timedelta(days=1)
    finally:
        await later.aclose()
