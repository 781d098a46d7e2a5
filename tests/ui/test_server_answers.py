"""`when_the_server_answers`: a panel that read this computer's copy (or failed) while the
server did not answer hears when it answers — the first time after opening, and after each
outage; never while it keeps answering (a write syncing, a conflict kept) nor without a server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from frontdesk_app.ui.sync_status import when_the_server_answers


@dataclass(frozen=True)
class State:
    reachable: bool
    connection: str = "online"


class Backend:
    """The state part of an offline-first backend."""

    def __init__(self, reachable: bool) -> None:
        self.state = State(reachable, "online" if reachable else "connecting")
        self.listeners: list[Callable[[Any], None]] = []

    def add_state_listener(self, listener: Callable[[Any], None]) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def become(self, reachable: bool, connection: str) -> None:
        self.state = State(reachable, connection)
        for listener in list(self.listeners):
            listener(self.state)


def test_each_time_the_server_starts_answering() -> None:
    backend = Backend(reachable=False)  # opened, the server not heard from yet
    heard: list[int] = []
    stop = when_the_server_answers(backend, lambda: heard.append(1))
    assert stop is not None
    backend.become(True, "online")
    assert heard == [1]
    for connection in ("syncing", "online", "conflicts", "online"):  # still answering
        backend.become(True, connection)
    assert heard == [1]
    backend.become(False, "offline")
    backend.become(True, "syncing")  # back, with queued writes to send
    assert heard == [1, 1]
    stop()
    backend.become(False, "offline")
    backend.become(True, "online")
    assert heard == [1, 1]  # unsubscribed


def test_a_backend_already_answering_is_heard_only_after_an_outage() -> None:
    backend = Backend(reachable=True)
    heard: list[int] = []
    when_the_server_answers(backend, lambda: heard.append(1))
    backend.become(True, "online")
    assert heard == []
    backend.become(False, "offline")
    backend.become(True, "online")
    assert heard == [1]


def test_a_backend_without_a_server_has_nothing_to_hear() -> None:
    assert when_the_server_answers(object(), lambda: None) is None
