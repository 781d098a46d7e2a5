"""Patients by id for a panel's rows, a few requests at a time (the calendar, the flow board)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import NotFound
from frontdesk_app.domain.models import Patient

PATIENT_FETCHES = 8  # requests at once: a day's names arrive quickly, the server is not flooded


async def fetch_patients(backend: Backend, patient_ids: Iterable[str]) -> dict[str, Patient]:
    """The patients found of `patient_ids` (an unknown id is left out)."""
    gate = asyncio.Semaphore(PATIENT_FETCHES)
    found: dict[str, Patient] = {}

    async def fetch(patient_id: str) -> None:
        async with gate:
            with contextlib.suppress(NotFound):
                found[patient_id] = await backend.get_patient(patient_id)

    await asyncio.gather(*(fetch(p) for p in set(patient_ids)))
    return found
