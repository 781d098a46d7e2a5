"""Patients registered through the sync: queued under a temporary id, remapped once synced.

The bookings queued for such a patient after the registration are carried along. A
registration is an outbox entry of kind `patient` whose `appointment_id` and `patient_id`
are the temporary id (`tmp_pat_…`). It holds every time of that patient (`ordering`), so a
booking for them waits until the server knows them; on success the mirror's rows and every
open entry (its column and the JSON body still to be sent) take the server's id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from frontdesk_app.domain.ids import TEMPORARY_PATIENT, is_temporary_patient, new_id
from frontdesk_app.domain.models import Patient, PatientCreate
from frontdesk_app.local import patient_ops
from frontdesk_app.store.repositories import patients as patients_repo
from frontdesk_app.sync import mirror, outbox
from frontdesk_app.sync.entries import OutboxEntry
from frontdesk_app.sync.settle import LAST_SYNC, REMAP_PREFIX
from frontdesk_app.sync.tables import outbox as outbox_table

KIND = "patient"


@dataclass(frozen=True, slots=True)
class QueuedPatient:
    patient: Patient
    entry: OutboxEntry


def queue_patient(
    session: Session, request: PatientCreate, *, now: datetime, entry_id: str | None
) -> QueuedPatient:
    """Register in the mirror by the rules (duplicates among the patients it knows), queue it."""
    temporary_id = new_id(TEMPORARY_PATIENT)
    outcome = patient_ops.create(session, request, now=now, patient_id=temporary_id)
    entry = outbox.enqueue(
        session,
        kind=KIND,  # type: ignore[arg-type]
        appointment_id=temporary_id,
        provider_id="",
        patient_id=temporary_id,
        payload=request.model_dump(mode="json"),
        before=None,
        now=now,
        entry_id=entry_id,
    )
    return QueuedPatient(outcome.result, entry)


def resolve_patient_id(session: Session, patient_id: str) -> str:
    """The server's id of a patient registered offline once synced; other ids unchanged."""
    if not is_temporary_patient(patient_id):
        return patient_id
    return outbox.get_meta(session, REMAP_PREFIX + patient_id) or patient_id


def _repoint_entries(session: Session, temporary_id: str, server_id: str) -> None:
    """Open entries for the patient (bookings queued after the registration) send the server's
    id: their column and their body, which has not been sent yet (they waited for this)."""
    rows = session.execute(
        select(outbox_table.c.seq, outbox_table.c.payload).where(
            outbox_table.c.patient_id == temporary_id,
            outbox_table.c.state.in_(("pending", "conflict")),
        )
    ).all()
    for seq, payload in rows:
        body = dict(payload)
        if body.get("patient_id") == temporary_id:
            body["patient_id"] = server_id
        session.execute(
            update(outbox_table)
            .where(outbox_table.c.seq == seq)
            .values(patient_id=server_id, payload=body)
        )
    session.execute(
        update(outbox_table)
        .where(outbox_table.c.patient_id == temporary_id)
        .values(patient_id=server_id)
    )


def settle_patient(
    session: Session, entry: OutboxEntry, response: dict[str, Any], *, now: datetime
) -> Patient:
    """The server registered the patient: the mirror and the queue take its id; close."""
    server = Patient.model_validate(response)
    if server.id != entry.patient_id:
        patients_repo.replace_id(session, entry.patient_id, server)
        _repoint_entries(session, entry.patient_id, server.id)
        outbox.set_meta(session, REMAP_PREFIX + entry.patient_id, server.id)
    mirror.upsert_patients(session, [server])
    outbox.finish(session, entry.seq, state="done", result=response, now=now)
    outbox.set_meta(session, LAST_SYNC, now.isoformat())
    return server


def undo_patient(
    session: Session,
    entry: OutboxEntry,
    *,
    state: str,
    now: datetime,
    code: str | None,
    message: str | None,
) -> tuple[int, ...]:
    """Take an offline registration back (refused while the person waited, or discarded),
    with the bookings queued for that patient since; returns the entries it closed."""
    later = [
        e
        for e in outbox.open_entries(session)
        if e.patient_id == entry.patient_id and e.seq > entry.seq
    ]
    for other in later:
        if other.kind == "create":
            mirror.delete_appointment(session, other.appointment_id)
    session.connection().exec_driver_sql("DELETE FROM patients WHERE id = ?", (entry.patient_id,))
    closed = (entry.seq, *(e.seq for e in later))
    for seq in closed:
        outbox.finish(
            session,
            seq,
            state=state,  # type: ignore[arg-type]
            now=now,
            code=code if seq == entry.seq else None,
            message=message if seq == entry.seq else None,
        )
    return closed


def remap_payload(payload: dict[str, Any], temporary_id: str, server_id: str) -> dict[str, Any]:
    """An entry's body with the patient's server id (the replayer's copy in memory)."""
    if payload.get("patient_id") != temporary_id:
        return payload
    return {**payload, "patient_id": server_id}
