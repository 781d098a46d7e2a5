"""The waitlist in a store: save an entry by `domain/waitlist.py` (booking one is an
appointment create naming it: `appointment_ops.create`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from frontdesk_app.domain import waitlist as rules
from frontdesk_app.domain.errors import NotFound
from frontdesk_app.domain.waitlist import WaitlistEntry, WaitlistRequest, WaitlistStatus
from frontdesk_app.local.appointment_ops import Outcome, waitlist_event
from frontdesk_app.store.repositories import directory
from frontdesk_app.store.repositories import waitlist as waitlist_repo


def save(
    session: Session, entry_id: str, request: WaitlistRequest, *, now: datetime
) -> Outcome[WaitlistEntry]:
    """Create or replace the entry (`PUT`): the same body twice leaves one entry."""
    rules.validate_request(entry_id, request)
    if not directory.patient_exists(session, request.patient_id):
        raise NotFound("No such patient.")
    if request.provider_id is not None:
        directory.get_provider(session, request.provider_id)  # NotFound when unknown
    entry = rules.saved(entry_id, request, waitlist_repo.find(session, entry_id), now=now)
    waitlist_repo.save(session, entry)
    return Outcome(entry, [waitlist_event(entry)])


def listed(session: Session, status: WaitlistStatus | None) -> list[WaitlistEntry]:
    return waitlist_repo.listed(session, status)
