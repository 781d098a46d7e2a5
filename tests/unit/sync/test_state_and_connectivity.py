"""The status-bar state, the backoff arithmetic, and the connectivity monitor's transitions."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import pytest

from frontdesk_app.domain.errors import (
    AuthenticationFailed,
    Offline,
    ServiceUnavailable,
    SlotUnavailable,
)
from frontdesk_app.sync.connectivity import Backoff, ConnectivityMonitor
from frontdesk_app.sync.failures import classify, describe
from frontdesk_app.sync.state import StateHub, SyncState, derive_connection


def test_connection_word_in_the_order_a_person_needs_it() -> None:
    def word(**kw: object) -> str:
        base = {"known": True, "reachable": True, "pending": 0, "conflicts": 0}
        return derive_connection(**{**base, **kw})  # type: ignore[arg-type]

    assert word(known=False) == "connecting"
    assert word(reachable=False, pending=3, conflicts=2) == "offline"
    assert word(pending=3, conflicts=2) == "conflicts"
    assert word(pending=3) == "syncing"
    assert word() == "online"


def test_labels_say_what_waits() -> None:
    assert SyncState(connection="offline", pending=12).label == "Offline · 12 waiting"
    assert SyncState(connection="conflicts", conflicts=1).label == "1 conflict to resolve"
    assert SyncState(connection="syncing", pending=2).label == "Syncing 2…"
    assert SyncState(connection="online").label == "Online"


def test_the_hub_tells_listeners_only_about_changes() -> None:
    hub = StateHub()
    seen: list[SyncState] = []
    unsubscribe = hub.add_listener(seen.append)
    assert hub.state.connection == "connecting"
    hub.update(reachable=False)
    hub.update(reachable=False)
    hub.update(pending=2)
    hub.update(reachable=True)
    assert [s.connection for s in seen] == ["offline", "offline", "syncing"]
    assert seen[1].pending == 2
    when = datetime(2026, 3, 2, tzinfo=UTC)
    hub.update(pending=0, last_sync=when)
    assert hub.state.connection == "online" and hub.state.last_sync == when
    unsubscribe()
    hub.update(conflicts=1)
    assert len(seen) == 4
    assert hub.state.connection == "conflicts"


def test_a_failing_listener_does_not_stop_the_others() -> None:
    hub = StateHub()
    seen: list[str] = []

    def broken(state: SyncState) -> None:
        raise RuntimeError("closed window")

    hub.add_listener(broken)
    hub.add_listener(lambda s: seen.append(s.connection))
    hub.update(reachable=True)
    assert seen == ["online"]


def test_backoff_grows_exponentially_is_capped_and_jitter_only_shortens() -> None:
    plain = Backoff(initial=0.5, maximum=30.0, factor=2.0, jitter=0.0)
    assert [plain.delay(n) for n in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    jittered = Backoff(initial=1.0, maximum=8.0, jitter=0.2)
    rng = random.Random(3)
    for attempt in range(10):
        delay = jittered.delay(attempt, rng)
        base = min(8.0, 2.0**attempt)
        assert 0.8 * base <= delay <= base


def test_failures_sort_into_refusals_network_auth_and_transient() -> None:
    assert classify(SlotUnavailable("taken")) == "refusal"
    assert classify(Offline("gone")) == "network"
    assert classify(TimeoutError()) == "network"
    assert classify(AuthenticationFailed("bad key")) == "auth"
    assert classify(ServiceUnavailable("oops")) == "transient"
    assert classify(KeyError("bug")) == "transient"
    assert describe(SlotUnavailable("Dr. X already has a consultation.")) == (
        "slot_unavailable",
        "Dr. X already has a consultation.",
    )
    code, message = describe(KeyError("pat_secret"))
    assert code == "unexpected_error" and "pat_secret" not in message


class FlakyProbe:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    async def __call__(self) -> object:
        self.calls += 1
        if self.calls <= self.failures:
            raise Offline("unreachable")
        return True


@pytest.mark.asyncio
async def test_the_monitor_probes_with_backoff_until_the_api_answers() -> None:
    probe = FlakyProbe(failures=4)
    monitor = ConnectivityMonitor(probe, backoff=Backoff(initial=0.01, maximum=0.02, jitter=0))
    changes: list[tuple[bool, str | None]] = []
    monitor.add_listener(lambda online, detail: changes.append((online, detail)))
    monitor.start()
    try:
        assert await monitor.wait_online(within=5.0)
        assert probe.calls == 5
        assert monitor.probes == 5
        # The first failure is told (a desk that starts offline says Offline, not
        # "Connecting…"); the three after it change nothing.
        assert changes == [(False, None), (True, None)]
        # Online, the monitor does not probe: request outcomes keep it honest.
        await asyncio.sleep(0.05)
        assert probe.calls == 5
        monitor.report_failure(Offline("dropped"))
        assert not monitor.online
        assert await monitor.wait_online(within=5.0)
        assert probe.calls == 6
        assert changes == [(False, None), (True, None), (False, None), (True, None)]
    finally:
        await monitor.aclose()


@pytest.mark.asyncio
async def test_refusals_count_as_reachable_and_repeated_server_errors_as_down() -> None:
    probe = FlakyProbe(failures=10**6)
    monitor = ConnectivityMonitor(probe, backoff=Backoff(initial=5.0, jitter=0))
    monitor.report_success()
    monitor.report_failure(SlotUnavailable("taken"))
    assert monitor.online
    monitor.report_failure(ServiceUnavailable("oops"))
    monitor.report_failure(ServiceUnavailable("oops"))
    assert monitor.online
    monitor.report_failure(ServiceUnavailable("oops"))
    assert not monitor.online
    assert monitor.detail == "The server is having problems."
    monitor.report_failure(AuthenticationFailed("FrontDeskOS did not accept the key."))
    assert monitor.detail == "FrontDeskOS did not accept the key."
    await monitor.aclose()


@pytest.mark.asyncio
async def test_check_now_cuts_a_long_backoff_short() -> None:
    probe = FlakyProbe(failures=1)
    monitor = ConnectivityMonitor(probe, backoff=Backoff(initial=60.0, jitter=0))
    monitor.start()
    try:
        for _ in range(200):  # the first probe fails, then a 60 s backoff starts
            if probe.calls:
                break
            await asyncio.sleep(0.01)
        assert not monitor.online
        monitor.check_now()
        assert await monitor.wait_online(within=5.0)
        assert probe.calls == 2
    finally:
        await monitor.aclose()
