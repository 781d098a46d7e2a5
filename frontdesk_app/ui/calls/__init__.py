"""The live-calls panel: agent availability, transfer cards, the open call and its actions.

`CallsPanel.action_requested` carries a typed request from `actions` (booking, reschedule,
cancel, eligibility check, prescription lookup) for the main window to route.
"""
