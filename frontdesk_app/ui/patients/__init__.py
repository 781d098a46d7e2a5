"""Patients at the desk: whose panel this is, the patient card, Ctrl+K search, new patients."""
