"""Which code runs on which thread, written in one place, and the check that keeps it so.

The desk's process has these threads (the bundled sandbox is a child process of its own):

- **gui** — the main thread: Qt, widgets, dialogs, painting, the qasync loop that runs the UI's
  coroutines, and reads for painting from the store's reader pool (awaited, never waited on).
  It never sends HTTP, decodes a network answer or commits: an `ApiBackend` refuses to send
  from it (`check_not_gui`).
- **engine** — one thread with its own asyncio loop (`sync/engine.py`): `ApiBackend`, the
  replayer, the event stream, the mirror puller, connectivity, the sync database. The UI
  reaches it only through `EngineBackend`, whose every call hops to this loop and whose
  listeners are called back on the GUI's loop, coalesced.
- **store** — the local store's writer and readers (`store/db.py`), which the engine's and the
  GUI's coroutines await through `asyncio.to_thread`-style hand-offs.
- **worker** — short-lived pool threads for blocking work (keyring, file copies).

Python's cyclic garbage collector runs on the **gui** thread only (`ui/collector.py`): a
collection started on another thread would destroy Qt objects caught in a cycle off their own
thread.

While the **gui** thread is in a stretch of work (a calendar repaint, a delivery of changes, a
collection), the **engine** loop and the sync database's thread step aside between their
pieces of work, for a bounded time (`runtime.GuiTurn`): one GIL, given to the window first.

A thread says what it is with `mark(role)`; nothing is marked in a library use of the package
(tests of one layer, the CLI), and then no check fires.
"""

from __future__ import annotations

import threading
from typing import Literal

Role = Literal["gui", "engine"]

_roles: dict[int, Role] = {}
_lock = threading.Lock()


class WrongThread(AssertionError):
    """Code ran on a thread it must never run on (a programming error, not a person's)."""


def mark(role: Role, thread: threading.Thread | None = None) -> None:
    """Record that `thread` (default: the current one) plays `role`."""
    ident = (thread or threading.current_thread()).ident
    if ident is None:
        raise ValueError("a thread gets its role once it runs")
    with _lock:
        _roles[ident] = role


def unmark(thread: threading.Thread | None = None) -> None:
    ident = (thread or threading.current_thread()).ident
    with _lock:
        _roles.pop(ident or 0, None)


def role_of_current() -> Role | None:
    return _roles.get(threading.get_ident())


def check_not_gui(what: str) -> None:
    """Refuse `what` (e.g. "HTTP") on the GUI thread: it would freeze the window."""
    if _roles.get(threading.get_ident()) == "gui":
        raise WrongThread(f"{what} must not run on the GUI thread (see domain/threads.py)")


def check_on(role: Role, what: str) -> None:
    """`what` must run on the thread marked `role` (when one is marked at all)."""
    current = _roles.get(threading.get_ident())
    with _lock:
        marked = role in _roles.values()
    if marked and current != role:
        raise WrongThread(f"{what} must run on the {role} thread, not {current or 'another'}")
