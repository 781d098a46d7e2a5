"""The waitlist panel (Ctrl+6) and its dialog: patients who want an earlier time."""
