"""The `frontdesk` command: the desktop app by default, plus sandbox, demo-data and sync tools.

Each sub-command lives in its package's light `cli` module, which imports nothing heavy at
module level, so that `frontdesk` with no command reaches the first window quickly.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from frontdesk_app import __version__


def build_parser() -> argparse.ArgumentParser:
    from frontdesk_app.app_cli import add_app_arguments
    from frontdesk_app.sandbox.cli import register as register_sandbox
    from frontdesk_app.store.cli import register as register_store
    from frontdesk_app.sync.cli import register as register_sync

    parser = argparse.ArgumentParser(
        prog="frontdesk",
        description="FrontDesk: the clinic reception desk. With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"frontdesk {__version__}")
    add_app_arguments(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    register_sandbox(commands)
    register_store(commands)
    register_sync(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    from frontdesk_app.config import keep_files_private

    # Stores, logs, settings, exports: health data, readable by this user only.
    keep_files_private()
    handler = getattr(args, "handler", None)
    if handler is None:
        from frontdesk_app.app_cli import run_app

        return run_app(args)
    return int(handler(args))
