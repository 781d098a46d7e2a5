"""`frontdesk sync status` and `frontdesk sync retry`: the offline queue from a terminal.

Light on purpose: the handlers import the sync machinery only when a sync command runs.
"""

from __future__ import annotations

import argparse
from typing import Any

MIRROR_FILE = "mirror-<environment>.sqlite"


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

    retry = actions.add_parser(
        "retry",
        help="send the waiting writes now",
        description="Connect to the API and send every waiting write now, then report. "
        "The API key comes from the settings' keyring entry, or FRONTDESK_API_KEY.",
    )
    _add_db_argument(retry)
    retry.add_argument(
        "--base-url", default=None, help="the API to send to (default: from the settings)"
    )
    retry.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="give up waiting after this long (default 120)",
    )
    retry.add_argument("--json", action="store_true", help="print one JSON object")
    retry.set_defaults(handler=_retry)


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


def _retry(args: argparse.Namespace) -> int:
    from frontdesk_app.sync.commands import mirror_path, retry

    return retry(
        mirror_path(args.db),
        base_url=args.base_url,
        timeout=float(args.timeout),
        as_json=bool(args.json),
    )
