"""Searching patients by name, phone and member id, failing and retrying: the logs (client,
httpx, the sandbox, uvicorn, all at DEBUG) carry no patient identifier and no credential.

Every test in this package is checked the same way after it runs (see `conftest.py`); this one
makes sure the check has something to bite on.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import date

import pytest

from frontdesk_app.api import ApiKey, OAuthClient
from frontdesk_app.domain import errors as E
from frontdesk_app.domain.models import EligibilityRequest
from frontdesk_app.sandbox.config import ChaosSpec, SandboxConfig
from tests.integration.api.support import Identifiers, api_for, log_text
from tests.integration.conftest import SandboxFactory

pytestmark = pytest.mark.integration


def test_the_checker_finds_what_it_looks_for(patient_identifiers: Identifiers) -> None:
    full_name = sorted(patient_identifiers.full_names)[0]
    phone = sorted(patient_identifiers.phones)[0]
    assert patient_identifiers.leaks(f"GET /v1/patients?q={full_name}") != []
    assert patient_identifiers.leaks(f"caller {phone}") != []
    assert patient_identifiers.leaks("Authorization: Bearer abc.def") != []
    assert patient_identifiers.leaks("key fdk_test_abcdef") != []
    assert patient_identifiers.leaks('GET /v1/payers -> 401 Bearer error="invalid_token"') == []
    assert patient_identifiers.leaks("GET /v1/patients -> 200 in 3 ms [req_x]") == []


@pytest.mark.asyncio
async def test_patient_searches_leave_no_trace_in_logs(
    sandbox_factory: SandboxFactory,
    log_hygiene: Identifiers,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = sandbox_factory(
        SandboxConfig(chaos=ChaosSpec(error=0.1, drop=0.1, phase="before", seed=2))
    )
    client = server.create_client()
    log_hygiene.secrets.update({server.api_key, client.client_secret})
    async with api_for(server, OAuthClient(client.client_id, client.client_secret)) as api:
        everyone = (await api.search_patients(limit=40)).data
        insured = next(p for p in everyone if p.insurance is not None)
        for person in everyone[:10]:
            for q in (person.last_name, person.full_name, person.phone, str(person.date_of_birth)):
                # A chaos 500 is not retried, and not the point here.
                with contextlib.suppress(E.ServiceUnavailable):
                    await api.search_patients(q)
        assert insured.insurance is not None
        with contextlib.suppress(E.PayerUnavailable, E.ServiceUnavailable):
            await api.check_eligibility(
                EligibilityRequest(
                    patient_id=insured.id,
                    payer_id=insured.insurance.payer_id,
                    member_id=insured.insurance.member_id,
                    date_of_service=date(2030, 1, 2),
                )
            )
        with pytest.raises(E.NotFound):
            await api.get_patient(f"pat_{insured.last_name.lower()}")
        log_hygiene.secrets.add((await api.session.auth.authorization()).split()[-1])
    async with api_for(server, ApiKey(server.api_key)) as api:
        await api.list_payers()

    text = log_text(caplog.get_records("call"))
    assert "GET /v1/patients" in text  # the client logged the searches …
    assert "HTTP Request: GET" in text  # … and so did httpx, without the query string
    assert any(r.name.startswith("frontdesk_app.sandbox") for r in caplog.records)
    assert logging.getLogger("httpx").isEnabledFor(logging.INFO)
