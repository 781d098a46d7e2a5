"""`frontdesk audit verify`: check the audit log's hash chain and name the first broken link.

The store is opened as the app opens it (its key from the keyring slot, or a name and PIN
asked at the terminal). Exit 0 when the chain holds, 1 at a broken link, 2 without a store.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

EXIT_BROKEN = 1
EXIT_NO_STORE = 2


def register(subparsers: Any) -> None:
    """Add `audit verify` to the `frontdesk` command."""
    parser = subparsers.add_parser(
        "audit",
        help="the audit log of this computer's store",
        description="Check the audit log kept in this computer's store.",
    )
    actions = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = actions.add_parser(
        "verify",
        help="check that no entry was changed or removed",
        description="Walk the audit log's hash chain and report the first broken link.",
    )
    verify.add_argument(
        "--db",
        metavar="PATH",
        default=None,
        help="the store (default: the app's store for the server chosen in the settings)",
    )
    verify.set_defaults(handler=run_verify)


def default_store() -> Any:
    from frontdesk_app.config import data_dir, load_settings

    environment = load_settings().environment
    if environment == "standalone":
        return data_dir() / "standalone.sqlite"
    return data_dir() / f"mirror-{environment}.sqlite"


def run_verify(args: argparse.Namespace) -> int:
    from pathlib import Path

    from frontdesk_app.domain.errors import FrontDeskError
    from frontdesk_app.store.audit import verify
    from frontdesk_app.store.db import Store
    from frontdesk_app.store.encryption import file_state
    from frontdesk_app.store.key_prompt import desk_store_key

    path = Path(args.db) if args.db else default_store()
    state = file_state(path)
    if state == "missing":
        print(f"No store at {path}.", file=sys.stderr)
        return EXIT_NO_STORE
    try:
        key = desk_store_key() if state == "encrypted" else None
        with Store.open(path, key=key) as store:
            report = verify(store)
    except FrontDeskError as exc:
        print(f"The store at {path} cannot be opened: {exc.message}", file=sys.stderr)
        return EXIT_NO_STORE
    if report.intact:
        print(f"The audit log is intact: {report.entries} entries, every link holds.")
        return 0
    print(
        f"The audit log is broken at entry {report.broken_seq} ({report.broken_at} UTC): "
        f"{report.reason}. The {report.entries - 1} entries before it are intact."
    )
    return EXIT_BROKEN
