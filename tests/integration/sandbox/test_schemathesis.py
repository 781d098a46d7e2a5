"""Schemathesis over /openapi.json against the live sandbox: no 500, no schema violation.

Runs the schema's operations programmatically (valid and invalid data, bounded examples),
because schemathesis' lazy pytest loader does not support this pytest version.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from frontdesk_app.sandbox.config import SandboxConfig
from tests.integration.conftest import SandboxFactory

pytestmark = pytest.mark.integration
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 6
# An event stream never ends, so a request/response fuzzer would wait on it until its timeout;
# test_events covers the stream (and its refusal of bad parameters).
ENDLESS = {"/v1/events/stream"}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_conforms_to_its_schema(sandbox_factory: SandboxFactory, mode: GenerationMode) -> None:
    # Its own server: fuzzing books, cancels and transfers at random. Webhooks stay local.
    server = sandbox_factory(SandboxConfig())
    schema = schemathesis.openapi.from_url(server.base_url + "/openapi.json")
    client = server.create_client()
    auth = {"Authorization": f"Bearer {server.api_key}"}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in ENDLESS:
            continue
        operations += 1

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            if case.path == "/oauth/token":
                case.call_and_validate(
                    auth=(client.client_id, client.client_secret), checks=CHECKS, timeout=30
                )
            else:
                case.call_and_validate(headers=auth, checks=CHECKS, timeout=30)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}"[:2000])
    assert operations >= 27
    assert not failures, "\n\n".join(failures)
