"""Test-wide settings: offscreen Qt, a keyring that never touches the person's own, no network."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# A plain in-memory-free file keyring under the test's temp home would still be the person's
# own; the null-free "fail" backend would break the app, so tests choose a memory keyring.
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "tests.keyrings.MemoryKeyring")
os.environ.setdefault("FRONTDESK_TESTING", "1")

pytest_plugins = ["tests.fixtures.clock", "tests.fixtures.keyrings", "tests.fixtures.store"]


@pytest.fixture(autouse=True)
def _no_vault_left_open() -> Iterator[None]:
    """Every start of the app opens the sealed-credentials vault for its process; a test
    starts as a fresh process would, with none open, whatever the test before it did."""
    from frontdesk_app import secrets

    secrets.use_vault(None)
    yield
    secrets.use_vault(None)
