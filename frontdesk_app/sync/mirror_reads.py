"""Reads from the mirror: appointments, the calendar, providers, patients, visits, the waitlist.

The mirror is kept current by `pull`; a span of appointments outside the pulled window (a week
far ahead, say) is fetched into it first, and an appointment it lacks is fetched before use.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from frontdesk_app.domain.errors import NotFound
from frontdesk_app.domain.ids import is_temporary_patient
from frontdesk_app.domain.models import (
    Appointment,
    AppointmentQuery,
    Availability,
    CalendarRow,
    Page,
    Patient,
    Payer,
    Provider,
)
from frontdesk_app.domain.series import Series
from frontdesk_app.domain.visits import Visit
from frontdesk_app.domain.waitlist import WaitlistEntry, WaitlistStatus
from frontdesk_app.sync import apply, mirror, patients, waitlist
from frontdesk_app.sync.base import SyncCore
from frontdesk_app.sync.failures import classify
from frontdesk_app.sync.pull import APPOINTMENT_PAGE, MirrorPuller, store_server_appointments

# A calendar asks for a day or a week; a span longer than this is not pulled on demand.
MAX_FETCH_SPAN = timedelta(days=62)
MAX_FETCH_PAGES = 20


class MirrorReads:
    """The read part of `OfflineFirstBackend`, over the shared `SyncCore` and the puller's
    window."""

    def __init__(self, core: SyncCore, puller: MirrorPuller) -> None:
        self.core = core
        self.puller = puller
        self._fetched: list[tuple[datetime, datetime]] = []

    async def known(self, appointment_id: str) -> str:
        """The id to use locally; an appointment outside the mirror is fetched first."""
        resolved = await self.core.db.read(lambda s: apply.resolve_id(s, appointment_id))
        found = await self.core.db.read(lambda s: mirror.get_appointment(s, resolved))
        if found is None:
            if self.core.api is None or not self.core.reachable:
                raise NotFound("No such appointment on this computer.")
            await self.core.fetch_into_mirror(resolved)
        return resolved

    # --- reads from the mirror ----------------------------------------------------------------

    async def get_appointment(self, appointment_id: str) -> Appointment:
        return await self.core.local.get_appointment(await self.known(appointment_id))

    async def list_appointments(self, query: AppointmentQuery) -> Page[Appointment]:
        """From the mirror; a span outside the pulled window is fetched into it first."""
        if query.start is not None and query.end is not None and not self._covers(query):
            await self._fetch_span(query.start, query.end)
        return await self.core.local.list_appointments(query)

    async def calendar_rows(self, start: datetime, end: datetime) -> list[CalendarRow]:
        """`list_appointments` of a span as plain tuples, for the calendar (see
        `LocalBackend.calendar_rows`): from the mirror, a span it lacks fetched first."""
        if not self._covers(AppointmentQuery(start=start, end=end)):
            await self._fetch_span(start, end)
        return await self.core.local.calendar_rows(start, end)

    def _covers(self, query: AppointmentQuery) -> bool:
        assert query.start is not None and query.end is not None
        spans = list(self._fetched)
        if self.puller.window is not None:
            spans.append(self.puller.window)
        return any(start <= query.start and query.end <= end for start, end in spans)

    async def _fetch_span(self, start: datetime, end: datetime) -> None:
        """Pull the server's appointments of a span the mirror lacks (a week far ahead, say).

        Once fetched, the live stream keeps the span current like the rest of the mirror.
        Offline, or for an unreasonably long span, the mirror answers with what it has.
        """
        if self.core.api is None or not self.core.reachable or end - start > MAX_FETCH_SPAN:
            return
        query = AppointmentQuery(start=start, end=end, limit=APPOINTMENT_PAGE)
        found: list[Appointment] = []
        try:
            for _ in range(MAX_FETCH_PAGES):
                page = await self.core.network(self.core.api.list_appointments(query))
                found.extend(page.data)
                if not page.next_cursor:
                    break
                query = query.model_copy(update={"cursor": page.next_cursor})
            await store_server_appointments(self.core.db, self.core.api, found)
        except Exception as exc:
            if classify(exc) in ("refusal", "auth"):
                raise
            return  # the mirror's own copy will do until the connection is better
        self._fetched.append((start, end))

    async def list_providers(self) -> list[Provider]:
        return await self.core.local.list_providers()

    async def get_provider(self, provider_id: str) -> Provider:
        return await self.core.local.get_provider(provider_id)

    async def provider_availability(
        self, provider_id: str, day: date, duration_minutes: int
    ) -> Availability:
        return await self.core.local.provider_availability(provider_id, day, duration_minutes)

    async def search_patients(
        self, q: str | None = None, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Patient]:
        return await self.core.local.search_patients(q, limit=limit, cursor=cursor)

    async def get_patient(self, patient_id: str) -> Patient:
        if is_temporary_patient(patient_id):
            patient_id = await self.core.db.read(
                lambda s: patients.resolve_patient_id(s, patient_id)
            )
        return await self.core.local.get_patient(patient_id)

    async def list_payers(self) -> list[Payer]:
        return await self.core.local.list_payers()

    async def get_visit(self, appointment_id: str) -> Visit:
        """As this computer keeps it (the event stream keeps it current)."""
        target = await self.known(appointment_id)
        [visit] = await self.core.db.read(lambda s: mirror.visits_of(s, [target]))
        return visit

    async def list_visits(self, start: datetime, end: datetime) -> list[Visit]:
        """The server's visits (kept here); offline, the ones this computer kept."""

        async def kept() -> list[Visit]:
            return await self.core.local.list_visits(start, end)

        if not self.core.reachable:
            return await kept()
        try:
            found = await self.core.network(self.core.api.list_visits(start, end))
        except Exception as exc:
            if classify(exc) != "network":
                raise
            return await kept()
        await self.core.db.write(lambda s: mirror.keep_visits(s, found))
        return found

    async def get_series(self, series_id: str) -> Series:
        try:
            return await self.core.local.get_series(series_id)
        except NotFound:
            if not self.core.reachable:
                raise
        return await self.core.network(self.core.api.get_series(series_id))

    async def get_waitlist_entry(self, entry_id: str) -> WaitlistEntry:
        return await self.core.local.get_waitlist_entry(entry_id)

    async def list_waitlist(self, status: WaitlistStatus | None = "waiting") -> list[WaitlistEntry]:
        """The server's list (kept here, but for what this desk is still sending); offline,
        the list as this computer has it."""
        if self.core.reachable:
            try:
                found = await self.core.network(self.core.api.list_waitlist(None))
            except Exception as exc:
                if classify(exc) != "network":
                    raise
            else:
                await self.core.db.write(lambda s: waitlist.keep_server_entries(s, found))
        return await self.core.local.list_waitlist(status)
