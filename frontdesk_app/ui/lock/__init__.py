"""The idle lock: patient data hidden behind a lock screen until the workstation PIN is given.

`credential` (the PIN's argon2 hash, kept in the keyring), `idle` (input-driven idle timer),
`page` (the lock screen itself) and `controller` (puts them on the main window).
"""
