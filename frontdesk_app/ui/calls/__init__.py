"""The live-calls panel: agent availability, transfer cards, the open call and its actions.

`CallsPanel.action_requested` carries a typed request from `actions` (booking, new patient,
reschedule, cancel, eligibility check, prescription lookup) for `routing` to open, a booking
fitted to the call by `booking_fit`. `handling` is the keyboard (Alt+A / Alt+D / Alt+C),
`call_bar` the caller and timer shown above every panel, `wiring` puts it in the main window.
"""
