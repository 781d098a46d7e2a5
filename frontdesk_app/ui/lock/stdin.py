"""`--sign-in-stdin`: a person's name and PIN or password, read from standard input.

Reading starts in the process's first moments (`start_reading`, before the window is built),
on a thread of its own, so that by the time the lock page is up the two lines are usually
there, and the sign-in's key derivation starts before the rest of the app loads instead of
after its first module (`LockController.sign_in_from`). Imports nothing heavy.
"""

from __future__ import annotations

import sys
import threading
from concurrent.futures import Future

Lines = Future[tuple[str, str]]


def start_reading() -> Lines:
    """The name and the secret, one line each, once they have been read."""
    lines: Lines = Future()

    def read() -> None:
        stream = sys.stdin
        try:
            if stream is None:  # started without one (a desktop launcher on Windows)
                raise OSError("no standard input")
            name, secret = (stream.readline().rstrip("\r\n") for _ in range(2))
        except (OSError, ValueError) as exc:  # none, closed, or not text
            lines.set_exception(exc)
        else:
            lines.set_result((name, secret))

    # A daemon thread: a stdin nobody writes to must not keep the process from exiting.
    threading.Thread(target=read, name="sign-in-stdin", daemon=True).start()
    return lines
