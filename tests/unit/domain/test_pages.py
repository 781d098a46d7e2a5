"""Every page of a listing, read by one bounded loop (`domain/pages.py`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.models import Appointment, AppointmentQuery, Page
from frontdesk_app.domain.pages import every_appointment

START = datetime(2026, 3, 3, 14, tzinfo=UTC)


def _appointment(index: int) -> Appointment:
    start = START + timedelta(minutes=30 * index)
    return Appointment(
        id=f"apt_{index:04d}",
        status="confirmed",
        patient_id="pat_1",
        provider_id="prov_a",
        start_time=start,
        end_time=start + timedelta(minutes=30),
        duration_minutes=30,
        type="consultation",
        created_at=START,
        updated_at=START,
    )


class Pages:
    """`list_appointments` over `total` appointments in pages of the query's limit; with
    `endless`, a cursor on every page (a server that never says it is done)."""

    def __init__(self, total: int, *, endless: bool = False) -> None:
        self.all = [_appointment(i) for i in range(total)]
        self.endless = endless
        self.queries: list[AppointmentQuery] = []

    async def list_appointments(self, query: AppointmentQuery) -> Page[Appointment]:
        self.queries.append(query)
        first = int(query.cursor or 0)
        data = self.all[first : first + query.limit]
        more = first + query.limit < len(self.all)
        cursor = str(first + query.limit) if more or self.endless else None
        return Page[Appointment](data=data, next_cursor=cursor)


async def _read(pages: Pages, *, max_pages: int, **query: Any) -> list[Appointment]:
    return await every_appointment(
        cast(Backend, pages), AppointmentQuery(limit=5, **query), max_pages=max_pages
    )


@pytest.mark.asyncio
async def test_every_page_is_read_with_the_query_and_its_cursor() -> None:
    pages = Pages(12)
    found = await _read(pages, max_pages=10, provider_id="prov_a")
    assert [a.id for a in found] == [a.id for a in pages.all]
    assert [q.cursor for q in pages.queries] == [None, "5", "10"]
    assert {q.provider_id for q in pages.queries} == {"prov_a"}


@pytest.mark.asyncio
async def test_the_read_is_bounded_even_when_the_server_never_says_it_is_done() -> None:
    pages = Pages(1_000, endless=True)
    found = await _read(pages, max_pages=3)
    assert len(pages.queries) == 3 and len(found) == 15
    pages = Pages(7, endless=True)
    found = await _read(pages, max_pages=50)
    assert len(found) == 7 and len(pages.queries) == 3  # the empty page ends it
