"""Wrong sign-in tries, counted in the desk file so that a restart does not reset them: after
`FREE_TRIES` wrong tries in a row each further one makes the next wait twice as long, up to
`MAX_WAIT`. Times come from the product's clock; a clock set back does not shorten a wait.

The counter is an online brake (the lock screen, a terminal prompt). Against a copy of the
desk file the brake is argon2id itself: every guess costs as much there as here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from frontdesk_app.domain import clock
from frontdesk_app.domain.errors import FrontDeskError

FREE_TRIES: Final = 3
FIRST_WAIT: Final = 5.0
MAX_WAIT: Final = 900.0
Document = dict[str, Any]


class HeldOff(FrontDeskError):
    """Too many wrong tries: wait `retry_after` seconds before the next one."""

    code = "sign_in_held_off"
    status = 429
    title = "Too many wrong tries"


def wait_after(failures: int) -> float:
    """Seconds to wait after `failures` wrong tries in a row."""
    if failures < FREE_TRIES:
        return 0.0
    return float(min(MAX_WAIT, FIRST_WAIT * 2.0 ** (failures - FREE_TRIES)))


def count_failure(document: Document, who: str) -> int:
    tries = document.setdefault("tries", {})
    entry = tries.get(who) if isinstance(tries.get(who), dict) else None
    count = int(entry.get("count", 0)) + 1 if entry else 1
    tries[who] = {"count": count, "last": clock.now().isoformat()}
    return count


def wait_left(document: Document, who: str) -> float:
    entry = document.get("tries", {}).get(who)
    if not isinstance(entry, dict):
        return 0.0
    try:
        count = int(entry["count"])
        last = datetime.fromisoformat(str(entry["last"]))
    except (KeyError, TypeError, ValueError):
        return MAX_WAIT  # an edited counter is not a reason to allow more guesses
    elapsed = (clock.now() - last).total_seconds()
    # A clock set back does not shorten a wait, but it cannot make one longer than MAX_WAIT.
    return max(0.0, wait_after(count) - max(0.0, elapsed))


def wait_message(seconds: float) -> str:
    whole = int(seconds + 0.999)
    if whole >= 120:
        return f"Wait {whole // 60} minutes, then try again."
    return f"Wait {whole} seconds, then try again."
