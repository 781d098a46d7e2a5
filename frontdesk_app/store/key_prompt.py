"""The store key without the lock screen: from the keyring slot (the app before anybody signs
in), or, for a `frontdesk` command in a terminal, by asking for a name and PIN (or password)
as the lock screen does, with the same wrong-try waits."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable

from frontdesk_app.config import data_dir
from frontdesk_app.store.desk_keys import DeskKeys
from frontdesk_app.store.encryption import KeyringUnavailable, StoreLocked

Ask = Callable[[str, bool], str]


def unattended_key(desk: DeskKeys, *, create: bool) -> str | None:
    """The store key without a person: from the keyring slot; with `create`, a new key in
    the keyring for a computer that has none yet. None when a person must sign in first."""
    key = desk.keyring_key()
    if key is None and create and not desk.has_key():
        try:
            key = desk.create_key()
        except KeyringUnavailable:
            return None
    return key


def ask_in_terminal(question: str, secret: bool) -> str:
    """A line from the person at the terminal (not echoed when `secret`); from standard input
    when it is not a terminal (a script feeding the answers)."""
    if sys.stdin.isatty():
        return getpass.getpass(question) if secret else input(question)
    print(question, end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().rstrip("\r\n")


def desk_store_key(desk: DeskKeys | None = None, ask: Ask = ask_in_terminal) -> str:
    """The store key of this computer's stores; `StoreLocked` or the sign-in's refusal."""
    keys = desk or DeskKeys(data_dir())
    key = keys.keyring_key()
    if key is not None:
        return key
    if not keys.has_key():
        raise StoreLocked(
            "Nobody has been set up at this computer yet, so the clinic's data has no key. "
            "Start FrontDesk and set up the first person."
        )
    people = keys.people()
    if not people:
        raise StoreLocked(
            "Nobody can sign in at this computer. Start FrontDesk and use the recovery code."
        )
    name = ask("Your name at FrontDesk: ", False).strip().casefold()
    match = [p for p in people if p.name.casefold() == name]
    if not match:
        raise StoreLocked("Nobody of that name signs in at this computer.")
    return keys.sign_in(match[0].id, ask("PIN or password: ", True))
