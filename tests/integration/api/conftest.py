"""Every API integration test runs with all loggers at DEBUG, and its logs are checked after:
none of the demo patients' names, phones or member ids, and no credential, may appear."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.api.support import Identifiers, assert_clean_logs


@pytest.fixture(scope="session")
def patient_identifiers(sandbox_template: Path) -> Identifiers:
    return Identifiers.from_stores([sandbox_template])


@pytest.fixture(autouse=True)
def log_hygiene(
    caplog: pytest.LogCaptureFixture, patient_identifiers: Identifiers
) -> Iterator[Identifiers]:
    """Tests add the credentials they create to `.secrets`; the check runs after the test."""
    caplog.set_level(logging.DEBUG)
    patient_identifiers.secrets.clear()
    yield patient_identifiers
    assert_clean_logs(caplog, patient_identifiers)
