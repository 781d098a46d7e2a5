"""A value that tells its listeners when it changes (the status bar watches the rate budget)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)


class Observable(Generic[T]):
    """Holds one value; `subscribe` returns the function that unsubscribes.

    Listeners run synchronously, on the thread that sets the value (the event loop for the API
    client). A listener that raises is logged and skipped: a faulty status bar must not break a
    request in flight.
    """

    def __init__(self, value: T) -> None:
        self._value = value
        self._listeners: list[Callable[[T], None]] = []

    @property
    def value(self) -> T:
        return self._value

    def set(self, value: T) -> None:
        if value == self._value:
            return
        self._value = value
        for listener in list(self._listeners):
            try:
                listener(value)
            except Exception:
                log.exception("a listener of %s failed", type(value).__name__)

    def subscribe(self, listener: Callable[[T], None]) -> Callable[[], None]:
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe
