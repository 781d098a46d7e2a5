"""`frontdesk people …`: the people who sign in at this computer, from a terminal (for IT).

    frontdesk people list                      who can sign in here (names, roles, ids)
    frontdesk people set-up --name NAME        the first administrator of a new computer
    frontdesk people disable ID                someone who left (an administrator's PIN, or
                                               --recovery-code: even the last administrator)
    frontdesk people recover --name NAME       nobody can sign in: the recovery code, then a
                                               new administrator (and a new code)

PINs and codes are asked without echo at a terminal, or read from standard input, one per
line, when it is not one (a script). A recovery code is printed once and never kept.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from frontdesk_app.store.key_prompt import Ask


def register(subparsers: Any) -> None:
    """Add `people` and its actions to the `frontdesk` command."""
    people = subparsers.add_parser(
        "people",
        help="the people who sign in at this computer",
        description="List, set up, disable and recover the people who sign in at this computer.",
    )
    actions = people.add_subparsers(dest="people_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="who can sign in here")
    listing.add_argument("--all", action="store_true", help="include disabled people")
    listing.set_defaults(handler=_list)
    set_up = actions.add_parser("set-up", help="the first administrator of a new computer")
    set_up.add_argument("--name", required=True, help="the administrator's name")
    set_up.set_defaults(handler=_set_up)
    disable = actions.add_parser("disable", help="someone can no longer sign in here")
    disable.add_argument("person_id", metavar="ID", help="the person's id (see `people list`)")
    disable.add_argument(
        "--recovery-code",
        action="store_true",
        help="prove it with the recovery code instead of an administrator's PIN (allows "
        "disabling the last administrator)",
    )
    disable.set_defaults(handler=_disable)
    recover = actions.add_parser("recover", help="a new administrator, with the recovery code")
    recover.add_argument("--name", required=True, help="the new administrator's name")
    recover.set_defaults(handler=_recover)


def _desk() -> Any:
    from frontdesk_app.config import data_dir
    from frontdesk_app.store.desk_keys import DeskKeys

    return DeskKeys(data_dir())


def _run(action: Any) -> int:
    from frontdesk_app.domain.errors import FrontDeskError

    try:
        return int(action())
    except FrontDeskError as exc:
        print(exc.message, file=sys.stderr)
        return 1


def _list(args: argparse.Namespace) -> int:
    def show() -> int:
        for person in _desk().people(include_disabled=bool(args.all)):
            state = "" if person.active else "  (disabled)"
            print(f"{person.id}  {person.role:<5}  {person.name}{state}")
        return 0

    return _run(show)


def _ask_in_terminal(prompt: str, secret: bool) -> str:
    # Imported when asked: this module registers its commands with every `frontdesk` start,
    # and the key prompt brings the keyring with it.
    from frontdesk_app.store.key_prompt import ask_in_terminal

    return ask_in_terminal(prompt, secret)


def _new_secret(ask: Ask) -> str:
    from frontdesk_app.store.desk_keys import NotAllowed
    from frontdesk_app.store.secret_rules import weakness

    secret = ask("New PIN or password: ", True)
    if ask("Repeat it: ", True) != secret:
        raise NotAllowed("The two entries differ: nothing was changed.")
    problem = weakness(secret)
    if problem is not None:
        raise NotAllowed(problem)
    return secret


def _print_code(code: str) -> None:
    print("Recovery code (write it down for IT; it is not shown again):")
    print(f"    {code}")


def _set_up(args: argparse.Namespace, ask: Ask = _ask_in_terminal) -> int:
    def work() -> int:
        from frontdesk_app.store.desk_keys import NotAllowed

        desk = _desk()
        if desk.people(include_disabled=True):
            raise NotAllowed("People are set up here already; an administrator adds more.")
        secret = _new_secret(ask)
        key = desk.keyring_key() if desk.has_key() else None
        _key, person, code = desk.set_up(args.name, secret, key=key)
        print(f"Set up {person.name} ({person.id}) as this computer's administrator.")
        _print_code(code)
        return 0

    return _run(work)


def _disable(args: argparse.Namespace, ask: Ask = _ask_in_terminal) -> int:
    def work() -> int:
        from frontdesk_app.store.desk_keys import NotAllowed

        desk = _desk()
        if args.recovery_code:
            desk.recover(ask("Recovery code: ", True))
        else:
            name = ask("Administrator's name: ", False).strip().casefold()
            admin = next(
                (p for p in desk.people() if p.is_admin and p.name.casefold() == name), None
            )
            if admin is None:
                raise NotAllowed("No administrator of that name signs in here.")
            desk.sign_in(admin.id, ask("PIN or password: ", True))
        desk.disable(args.person_id, allow_last_admin=bool(args.recovery_code))
        print(f"{args.person_id} can no longer sign in at this computer.")
        return 0

    return _run(work)


def _recover(args: argparse.Namespace, ask: Ask = _ask_in_terminal) -> int:
    def work() -> int:
        desk = _desk()
        key = desk.recover(ask("Recovery code: ", True))
        secret = _new_secret(ask)
        _key, person, code = desk.set_up(args.name, secret, key=key)
        print(f"Set up {person.name} ({person.id}) as an administrator; the old code is void.")
        _print_code(code)
        return 0

    return _run(work)
