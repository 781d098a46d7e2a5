"""`OfflineFirstBackend.list_eligibility_checks`: the API's list online (kept), the kept one off."""

from __future__ import annotations

from datetime import date

import pytest

from frontdesk_app.domain.errors import Offline, ValidationFailed
from frontdesk_app.domain.models import EligibilityRequest
from tests.unit.sync.conftest import Desk

pytestmark = pytest.mark.asyncio


def request(desk: Desk, day: date, **change: str) -> EligibilityRequest:
    fields = {
        "patient_id": desk.clinic.alice,
        "payer_id": desk.clinic.payer,
        "member_id": desk.clinic.member,
        "date_of_service": day,
    }
    return EligibilityRequest.model_validate({**fields, **change})


async def test_online_the_history_is_the_servers_and_offline_the_one_kept(desk: Desk) -> None:
    alice = desk.clinic.alice
    # Another desk checked Alice earlier: only the server knows of that one.
    elsewhere = await desk.server.check_eligibility(request(desk, date(2026, 3, 3)))
    desk.clock.advance(hours=1)
    here = await desk.backend.check_eligibility(request(desk, date(2026, 3, 4), member_id="X1"))

    online = await desk.backend.list_eligibility_checks(alice)
    assert online == [here, elsewhere]
    assert await desk.backend.list_eligibility_checks(alice, limit=1) == [here]

    desk.clock.advance(hours=1)
    later = await desk.backend.check_eligibility(request(desk, date(2026, 3, 5)))
    desk.unplug()
    offline = await desk.backend.list_eligibility_checks(alice)
    # The listed history, plus the check made after it, newest first; no request was needed.
    assert offline == [later, here, elsewhere]
    assert await desk.backend.list_eligibility_checks(alice, limit=2) == [later, here]
    kept = await desk.backend.cached_eligibility_checks(alice)
    assert kept is not None and kept.value == offline
    assert desk.backend.state.connection == "offline"


async def test_a_shorter_listing_does_not_forget_older_answers(desk: Desk) -> None:
    alice = desk.clinic.alice
    made = []
    for day in (3, 4, 5):
        made.append(await desk.backend.check_eligibility(request(desk, date(2026, 3, day))))
        desk.clock.advance(minutes=10)
    await desk.backend.list_eligibility_checks(alice)
    await desk.backend.list_eligibility_checks(alice, limit=1)
    desk.unplug()
    assert await desk.backend.list_eligibility_checks(alice) == list(reversed(made))


async def test_offline_with_nothing_kept_says_so(desk: Desk) -> None:
    desk.unplug()
    with pytest.raises(Offline) as refused:
        await desk.backend.list_eligibility_checks(desk.clinic.bob)
    assert "no eligibility checks of this patient" in refused.value.message
    assert await desk.backend.cached_eligibility_checks(desk.clinic.bob) is None


async def test_the_servers_refusal_is_not_taken_for_being_offline(desk: Desk) -> None:
    with pytest.raises(ValidationFailed):
        await desk.backend.list_eligibility_checks(desk.clinic.alice, limit=0)
    assert desk.backend.state.connection == "online"
