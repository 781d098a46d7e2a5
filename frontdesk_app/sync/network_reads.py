"""The operations only the server can answer: eligibility, prescriptions, calls, transfers,
agents.

Eligibility and prescriptions are cached on every answer; while the API is unreachable they
come from the cache (the answer's `verified_at`, or `cached_*`'s `fetched_at`, tells its age),
and an eligibility check asked for offline is re-run once the API is back. Calls and transfers
are live phone work and have no offline form: they raise `Offline` with a clear sentence.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from frontdesk_app.domain.errors import Offline
from frontdesk_app.domain.models import (
    Agent,
    AgentStatus,
    Call,
    CallStatus,
    EligibilityRequest,
    EligibilityResult,
    Event,
    Notification,
    Page,
    Prescription,
    SimulatedCallRequest,
    Transfer,
    TransferCompletion,
    TransferRequest,
    TransferStatus,
)
from frontdesk_app.local.call_ops import caller_patient
from frontdesk_app.sync import cache, mirror
from frontdesk_app.sync.base import SyncCore
from frontdesk_app.sync.cache import Cached
from frontdesk_app.sync.failures import classify

# A local event: an eligibility check asked for while offline was answered once back online.
RECHECKED = "eligibility.rechecked"
log = logging.getLogger(__name__)

NO_ELIGIBILITY_OFFLINE = (
    "No connection, and this computer has no earlier eligibility check for this patient and "
    "payer. It will be checked as soon as the connection is back."
)
NO_HISTORY_OFFLINE = (
    "No connection, and this computer has kept no eligibility checks of this patient."
)
NO_PRESCRIPTION_OFFLINE = (
    "No connection, and this prescription has not been looked up on this computer before."
)


class NetworkReads:
    """The network-only part of `OfflineFirstBackend`, over the shared `SyncCore`."""

    def __init__(self, core: SyncCore) -> None:
        self.core = core

    # --- eligibility ---------------------------------------------------------------------------

    async def check_eligibility(
        self, request: EligibilityRequest, *, idempotency_key: str | None = None
    ) -> EligibilityResult:
        """The payer's answer; offline, the last cached one (its `verified_at` shows its age)."""
        if self.core.reachable:
            try:
                result = await self.core.network(
                    self.core.api.check_eligibility(request, idempotency_key=idempotency_key)
                )
            except Exception as exc:
                if classify(exc) != "network":
                    raise
            else:
                now = self.core.clock()

                def keep(session: Session) -> None:
                    cache.store_eligibility(session, request, result, now=now)
                    cache.clear_recheck(session, request)

                await self.core.db.write(keep)
                await self.core.audit("eligibility.check", result.patient_id, result.id)
                return result
        await self.core.db.write(lambda s: cache.request_recheck(s, request))
        cached = await self.cached_eligibility(request)
        if cached is None:
            raise Offline(NO_ELIGIBILITY_OFFLINE)
        await self.core.audit("eligibility.check", cached.value.patient_id, cached.value.id)
        return cached.value

    async def cached_eligibility(
        self, request: EligibilityRequest
    ) -> Cached[EligibilityResult] | None:
        """The last answer this computer saw for the patient and payer, with when it came."""
        return await self.core.db.read(lambda s: cache.cached_eligibility(s, request))

    async def list_eligibility_checks(
        self, patient_id: str, *, limit: int = 20
    ) -> list[EligibilityResult]:
        """The patient's checks as the API lists them (kept here); offline, the ones this
        computer kept (each answer's `verified_at` tells its age)."""

        async def kept() -> list[EligibilityResult]:
            cached = await self.cached_eligibility_checks(patient_id)
            if cached is None:
                raise Offline(NO_HISTORY_OFFLINE)
            return cached.value[:limit]

        if not self.core.reachable:
            return await kept()
        try:
            found = await self.core.network(
                self.core.api.list_eligibility_checks(patient_id, limit=limit)
            )
        except Exception as exc:
            if classify(exc) != "network":
                raise
            return await kept()
        now = self.core.clock()
        await self.core.db.write(
            lambda s: cache.store_eligibility_history(s, patient_id, found, now=now)
        )
        return found

    async def cached_eligibility_checks(
        self, patient_id: str
    ) -> Cached[list[EligibilityResult]] | None:
        """What this computer kept of a patient's checks, without asking the API (the
        calendar's badges read this)."""
        return await self.core.db.read(lambda s: cache.cached_eligibility_checks(s, patient_id))

    async def run_rechecks(self) -> None:
        """Re-ask the checks requested while offline (the results land in the cache)."""
        requests = await self.core.db.read(cache.pending_rechecks)
        for request in requests:
            if not self.core.reachable:
                return
            try:
                fresh = await self.check_eligibility(request)
            except Exception as exc:
                # A payer that is still down, say: the request stays marked for next time.
                log.info("eligibility re-check failed (%s)", type(exc).__name__)
                continue
            # A desk showing the offline answer replaces it with this one at once.
            self.core.emit([self.core.local_event(RECHECKED, fresh.model_dump(mode="json"))])

    # --- prescriptions -------------------------------------------------------------------------

    async def get_prescription(self, prescription_id: str) -> Prescription:
        """The pharmacy's status; offline, the cached one (see `cached_prescription`)."""

        async def cached_value() -> Prescription:
            cached = await self.cached_prescription(prescription_id)
            if cached is None:
                raise Offline(NO_PRESCRIPTION_OFFLINE)
            await self.core.audit("prescription.view", cached.value.patient_id, cached.value.id)
            return cached.value

        if not self.core.reachable:
            return await cached_value()
        try:
            found = await self.core.network(self.core.api.get_prescription(prescription_id))
        except Exception as exc:
            if classify(exc) != "network":
                raise
            return await cached_value()
        now = self.core.clock()
        await self.core.db.write(lambda s: cache.store_prescriptions(s, [found], now=now))
        await self.core.audit("prescription.view", found.patient_id, found.id)
        return found

    async def cached_prescription(self, prescription_id: str) -> Cached[Prescription] | None:
        """The last status seen for a prescription, with when it was fetched."""
        return await self.core.db.read(lambda s: cache.cached_prescription(s, prescription_id))

    async def list_prescriptions(
        self, patient_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[Prescription]:
        """A patient's prescriptions; offline, the cached ones in one page."""

        async def cached_page() -> Page[Prescription]:
            cached = await self.cached_prescriptions(patient_id)
            if cached is None:
                raise Offline(NO_PRESCRIPTION_OFFLINE)
            await self.core.audit("prescription.list", patient_id, None)
            return Page[Prescription](data=cached.value[:limit], next_cursor=None)

        if not self.core.reachable:
            return await cached_page()
        try:
            page = await self.core.network(
                self.core.api.list_prescriptions(patient_id, limit=limit, cursor=cursor)
            )
        except Exception as exc:
            if classify(exc) != "network":
                raise
            return await cached_page()
        now = self.core.clock()
        await self.core.db.write(lambda s: cache.store_prescriptions(s, page.data, now=now))
        await self.core.audit("prescription.list", patient_id, None)
        return page

    async def cached_prescriptions(self, patient_id: str) -> Cached[list[Prescription]] | None:
        return await self.core.db.read(lambda s: cache.cached_prescriptions(s, patient_id))

    # --- calls and transfers: live work, online only -------------------------------------------

    async def list_calls(self, status: CallStatus | None = None) -> list[Call]:
        return await self.core.online(self.core.api.list_calls(status))

    async def get_call(self, call_id: str) -> Call:
        return await self.core.online(self.core.api.get_call(call_id))

    async def transfer_call(
        self, call_id: str, request: TransferRequest, *, idempotency_key: str | None = None
    ) -> Transfer:
        return await self.core.online(
            self.core.api.transfer_call(call_id, request, idempotency_key=idempotency_key)
        )

    async def list_transfers(
        self, *, agent_id: str | None = None, status: TransferStatus | None = None
    ) -> list[Transfer]:
        return await self.core.online(
            self.core.api.list_transfers(agent_id=agent_id, status=status)
        )

    async def accept_transfer(
        self, transfer_id: str, agent_id: str, *, idempotency_key: str | None = None
    ) -> Transfer:
        accepted = await self.core.online(
            self.core.api.accept_transfer(transfer_id, agent_id, idempotency_key=idempotency_key)
        )
        await self.core.audit("transfer.accept", caller_patient(accepted), accepted.transfer_id)
        return accepted

    async def decline_transfer(
        self, transfer_id: str, agent_id: str, *, idempotency_key: str | None = None
    ) -> Transfer:
        return await self.core.online(
            self.core.api.decline_transfer(transfer_id, agent_id, idempotency_key=idempotency_key)
        )

    async def complete_transfer(
        self,
        transfer_id: str,
        request: TransferCompletion,
        *,
        idempotency_key: str | None = None,
    ) -> Transfer:
        completed = await self.core.online(
            self.core.api.complete_transfer(transfer_id, request, idempotency_key=idempotency_key)
        )
        await self.core.audit("transfer.complete", caller_patient(completed), completed.transfer_id)
        return completed

    async def simulate_call(
        self, request: SimulatedCallRequest, *, idempotency_key: str | None = None
    ) -> Call:
        return await self.core.online(
            self.core.api.simulate_call(request, idempotency_key=idempotency_key)
        )

    # --- agents: the server's list, else the mirror's; a status change online only ----------------

    async def list_agents(self) -> list[Agent]:
        return await self.core.online_or(self.core.api.list_agents(), self.core.local.list_agents)

    async def set_agent_status(self, agent_id: str, status: AgentStatus) -> Agent:
        agent = await self.core.online(self.core.api.set_agent_status(agent_id, status))
        await self.core.db.write(lambda s: mirror.set_agent_status(s, agent.id, agent.status))
        return agent

    # --- the server's own logs -----------------------------------------------------------------

    async def list_events(self, *, after: int = 0, limit: int = 100) -> Page[Event]:
        return await self.core.online(self.core.api.list_events(after=after, limit=limit))

    async def list_notifications(self, *, appointment_id: str | None = None) -> list[Notification]:
        api = self.core.api
        return await self.core.online_or(
            api.list_notifications(appointment_id=appointment_id),
            lambda: self.core.local.list_notifications(appointment_id=appointment_id),
        )
