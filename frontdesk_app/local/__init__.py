"""`LocalBackend`: the clinic in an embedded SQLite store, by the domain's rules."""
