"""Security tests: a fresh memory keyring per test, so a key made by one never opens another."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest

from tests.keyrings import MemoryKeyring


@pytest.fixture(autouse=True)
def empty_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    saved = dict(MemoryKeyring._store)
    MemoryKeyring._store.clear()
    keyring.set_keyring(ring)
    yield ring
    MemoryKeyring._store.clear()
    MemoryKeyring._store.update(saved)
    keyring.set_keyring(previous)
