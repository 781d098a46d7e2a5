"""Providers kept between writes: loaded once, stale after any write to their tables."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from frontdesk_app.domain.models import Provider
from frontdesk_app.store.db import Store
from frontdesk_app.store.directory_cache import cache_for
from frontdesk_app.store.repositories import directory
from frontdesk_app.store.tables import ProviderBlockRow, timestamp_text
from tests.fixtures.store import SmallClinic

START = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
END = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    counted: list[int] = []
    original = directory._load_providers

    def counting(session: object) -> list[Provider]:
        counted.append(1)
        return original(session)  # type: ignore[arg-type]

    monkeypatch.setattr(directory, "_load_providers", counting)
    return counted


def _blocks(store: Store, clinic: SmallClinic) -> int:
    with store.read() as s:
        return len(
            directory.get_provider(s, clinic.patel, blocks_from=START, blocks_to=END).blocked
        )


def test_loaded_once_and_not_dropped_by_other_writes(
    store: Store, clinic: SmallClinic, loads: list[int]
) -> None:
    before = _blocks(store, clinic)
    with store.read() as s:
        names = directory.provider_names(s)
        assert clinic.patel in names and directory.list_providers(s)
    with store.write() as s:
        s.connection().exec_driver_sql("UPDATE patients SET phone = phone")
    assert _blocks(store, clinic) == before
    assert len(loads) == 1


@pytest.mark.parametrize("how", ["orm", "sql"])
def test_a_new_block_is_seen_by_the_next_read(
    store: Store, clinic: SmallClinic, loads: list[int], how: str
) -> None:
    before = _blocks(store, clinic)
    with store.write() as s:
        if how == "orm":
            s.add(
                ProviderBlockRow(
                    provider_id=clinic.patel, start_time=START, end_time=END, reason="x"
                )
            )
        else:
            s.connection().exec_driver_sql(
                "INSERT INTO provider_blocks (provider_id, start_time, end_time, reason) "
                "VALUES (?, ?, ?, 'x')",
                (clinic.patel, timestamp_text(START), timestamp_text(END)),
            )
    assert _blocks(store, clinic) == before + 1
    assert len(loads) == 2


def test_a_rolled_back_change_is_never_served(
    store: Store, clinic: SmallClinic, loads: list[int]
) -> None:
    before = _blocks(store, clinic)
    with pytest.raises(RuntimeError), store.write() as s:
        s.add(
            ProviderBlockRow(provider_id=clinic.patel, start_time=START, end_time=END, reason="x")
        )
        s.flush()
        # Read inside the writing transaction: its own uncommitted block, never kept.
        assert (
            len(directory.get_provider(s, clinic.patel, blocks_from=START, blocks_to=END).blocked)
            == before + 1
        )
        raise RuntimeError("changed my mind")
    assert _blocks(store, clinic) == before


def test_reads_and_writes_of_one_store_share_one_cache(store: Store, clinic: SmallClinic) -> None:
    with store.read() as reading, store.write() as writing:
        assert cache_for(reading) is cache_for(writing)


def test_a_write_made_before_any_read_is_seen(
    store: Store, clinic: SmallClinic, loads: list[int]
) -> None:
    # The cache is first made by a write session, then a block is added outside any session.
    with store.write() as s:
        before = len(
            directory.get_provider(s, clinic.patel, blocks_from=START, blocks_to=END).blocked
        )
    with store.connect() as conn:
        conn.exec_driver_sql(
            "INSERT INTO provider_blocks (provider_id, start_time, end_time, reason) "
            "VALUES (?, ?, ?, 'x')",
            (clinic.patel, timestamp_text(START), timestamp_text(END)),
        )
    assert _blocks(store, clinic) == before + 1
