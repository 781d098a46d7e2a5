"""The flow board (Ctrl+5): today's patients by where they are, and how long they have waited."""
