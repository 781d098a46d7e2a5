"""Reading every page of the appointments a query matches: one bounded loop for every reader.

A listing comes in pages joined by a cursor (`Page.next_cursor`). Each reader names how many
pages it may read at most, so a server that kept answering with a cursor could never hold a
panel in an endless read.
"""

from __future__ import annotations

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.models import Appointment, AppointmentQuery

PAGE = 500  # appointments a page: what every backend serves (the API allows up to 1,000)
DAY_PAGES = 40  # a clinic-local day of a very large clinic: 20,000 appointments


async def every_appointment(
    backend: Backend, query: AppointmentQuery, *, max_pages: int
) -> list[Appointment]:
    """Every appointment `query` matches, in the backend's order (its `limit` is the size of
    a page), from at most `max_pages` pages; an empty page ends the read too."""
    found: list[Appointment] = []
    cursor = query.cursor
    for _ in range(max_pages):
        page = await backend.list_appointments(query.model_copy(update={"cursor": cursor}))
        found.extend(page.data)
        cursor = page.next_cursor
        if not cursor or not page.data:
            break
    return found
