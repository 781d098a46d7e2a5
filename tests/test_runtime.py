"""The interpreter's settings for a desk process (`frontdesk_app/runtime.py`)."""

from __future__ import annotations

import gc
import sys
import weakref
from collections.abc import Iterator

import pytest

from frontdesk_app import runtime


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the rest of the suite runs with Python's usual collector


def test_settling_freezes_what_exists_and_collects_cyclic_garbage_first(unfrozen: None) -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self

    garbage = weakref.ref(Node())  # cyclic garbage: collected before the freeze, not kept
    kept = {"a": [1]}
    frozen = runtime.settle_heap()
    assert frozen > 1000  # (objects freed since leave the count: no equality here)
    assert garbage() is None
    assert not any(o is kept for o in gc.get_objects())  # alive: frozen, no longer scanned
    later = [{"b": 2}]
    assert any(o is later for o in gc.get_objects())  # built after: still collected as usual


def test_the_switch_interval_is_shortened_never_lengthened() -> None:
    before = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)
        runtime.share_the_gil()
        assert sys.getswitchinterval() == pytest.approx(runtime.SWITCH_INTERVAL)
        sys.setswitchinterval(0.0001)
        runtime.share_the_gil()
        assert sys.getswitchinterval() == pytest.approx(0.0001)
    finally:
        sys.setswitchinterval(before)
