"""The eligibility panel: a patient's insurance coverage, their checks, and a whole day's run.

`eligibility_state_for` (and `CheckHistory.state_for`) give the calendar each appointment's
latest state — eligible, not eligible, unknown or stale — to paint as a badge.
"""

from __future__ import annotations

from frontdesk_app.ui.eligibility.state import (
    ELIGIBILITY_STATES,
    CheckHistory,
    EligibilityState,
    eligibility_state_for,
)

__all__ = ["ELIGIBILITY_STATES", "CheckHistory", "EligibilityState", "eligibility_state_for"]
