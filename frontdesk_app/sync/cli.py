"""`frontdesk sync status` and `frontdesk sync retry`: the offline queue from a terminal.

Light on purpose: the handlers import the sync machinery only when a sync command runs.
"""

from __future__ import annotations

import argparse
from typing import Any

MIRROR_FILE = "mirror.sqlite"


def register(subparsers: Any) -> None:
    """Add `sync status` and `sync retry` to the `frontdesk` command."""
    sync = subparsers.add_parser(
        "sync",
        help="the offline queue: writes waiting for the API, conflicts, last sync",
        description="Look at and push the queue of writes made while the API was unreachable.",
    )
    actions = sync.add_subparsers(dest="sync_command", metavar="ACTION", required=True)
    status = actions.add_parser("status", help="pending writes, conflicts and the last sync")
    _add_db_argument(status)
    status.add_argument("--json", action="store_true", help="print one JSON object")
    status.set_defaults(handler=_status)


def _add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="PATH",
        default=None,
        help=f"the local mirror database (default: {MIRROR_FILE} in the data folder)",
    )


def _status(args: argparse.Namespace) -> int:
    from frontdesk_app.sync.commands import mirror_path, print_status

    return print_status(mirror_path(args.db), as_json=bool(args.json))
