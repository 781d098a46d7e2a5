"""The clinic on any day: a Monday morning, a Thursday afternoon, a Saturday night, both DST
switches and New Year's Eve at 23:50 — the demo clinic is current, "today" is the clinic's, and
nothing is offered or booked in the past."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from frontdesk_app.domain import clock
from frontdesk_app.domain.models import AppointmentCreate, AppointmentQuery, EligibilityRequest
from frontdesk_app.domain.timeutil import local_day_bounds
from frontdesk_app.local.backend import LocalBackend
from frontdesk_app.ui.calendar.openings import find_next_opening
from tests.fixtures.clock import NY


@pytest_asyncio.fixture
async def clinic(instant: datetime, tmp_path: Path) -> AsyncIterator[LocalBackend]:
    """The demo clinic, built at the test's instant (as a first start on that day builds it)."""
    backend = LocalBackend.open(tmp_path / "clinic.sqlite", demo=True)
    yield backend
    await backend.aclose()


@pytest.mark.asyncio
async def test_the_demo_clinic_is_booked_around_the_clinics_today(
    instant: datetime, clinic: LocalBackend
) -> None:
    today = clock.today(NY)
    assert today == instant.astimezone(NY).date()
    start, _ = local_day_bounds(today - timedelta(days=3), NY)
    _, end = local_day_bounds(today + timedelta(days=3), NY)
    page = await clinic.list_appointments(AppointmentQuery(start=start, end=end, limit=500))
    days = {a.start_time.astimezone(NY).date() for a in page.data}
    assert any(day < today for day in days) and any(day > today for day in days)


@pytest.mark.asyncio
async def test_nothing_is_offered_in_the_past(instant: datetime, clinic: LocalBackend) -> None:
    now = clock.now()
    today = clock.today(NY)
    for provider in await clinic.list_providers():
        for day in (today, today + timedelta(days=1)):
            slots = (await clinic.provider_availability(provider.id, day, 30)).slots
            assert all(slot.start_time >= now - timedelta(minutes=1) for slot in slots), (
                provider.id,
                day,
            )


@pytest.mark.asyncio
async def test_the_next_opening_is_booked_ahead_of_now(
    instant: datetime, clinic: LocalBackend
) -> None:
    now = clock.now()
    providers = await clinic.list_providers()
    opening = await find_next_opening(
        clinic, providers, 30, first_day=clock.today(NY), not_before=now
    )
    assert opening is not None and opening.start >= now
    patient = (await clinic.search_patients(limit=1)).data[0]
    booked = await clinic.create_appointment(
        AppointmentCreate(
            patient_id=patient.id,
            provider_id=opening.provider.id,
            start_time=opening.start,
            duration_minutes=30,
            type="consultation",
        )
    )
    assert booked.status == "confirmed" and booked.start_time == opening.start
    assert booked.created_at <= clock.now() + timedelta(seconds=1)
    assert booked.created_at >= instant - timedelta(seconds=1)


@pytest.mark.asyncio
async def test_eligibility_for_the_clinics_today(instant: datetime, clinic: LocalBackend) -> None:
    patients = (await clinic.search_patients(limit=50)).data
    patient = next(p for p in patients if p.insurance is not None)
    assert patient.insurance is not None
    answer = await clinic.check_eligibility(
        EligibilityRequest(
            patient_id=patient.id,
            payer_id=patient.insurance.payer_id,
            member_id=patient.insurance.member_id,
            date_of_service=clock.today(NY),
        )
    )
    assert answer.verified_at >= instant - timedelta(seconds=1)
