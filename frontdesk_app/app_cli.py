"""The desktop app's command-line options; imports nothing heavy (no Qt) until it runs."""

from __future__ import annotations

import argparse
import gc

SMOKE_TIMEOUT = 120.0


def add_app_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("desktop app")
    group.add_argument(
        "--smoke",
        action="store_true",
        help="open the window, wait until the calendar shows data, then exit "
        "(0 on success, 1 on failure or timeout); for CI and installers",
    )
    group.add_argument(
        "--smoke-timeout",
        type=float,
        default=SMOKE_TIMEOUT,
        metavar="SECONDS",
        help=f"how long --smoke waits for the calendar (default {SMOKE_TIMEOUT:.0f})",
    )
    where = group.add_mutually_exclusive_group()
    where.add_argument(
        "--standalone",
        action="store_true",
        help="work on this computer only, on the embedded store (no server)",
    )
    where.add_argument(
        "--bundled",
        action="store_true",
        help="start the bundled sandbox with the demo clinic and connect to it",
    )
    where.add_argument(
        "--api-url",
        metavar="URL",
        help="connect to this FrontDeskOS API; the key is read from FRONTDESK_API_KEY "
        "or the keyring",
    )
    group.add_argument(
        "--sign-in-stdin",
        action="store_true",
        help="read a person's name and PIN or password from standard input (one line each) "
        "and sign in with them as on the lock screen (same wrong-try waits, audited); for "
        "installers' checks and tests",
    )
    group.add_argument(
        "--db",
        metavar="PATH",
        help="the local store file (the standalone clinic, or the offline copy of the API)",
    )


def run_app(args: argparse.Namespace) -> int:
    """Open the desktop app with the parsed options; returns the process exit code."""
    # The app's modules are long-lived: no collection while they import (from here on the
    # app's collector holds collections until start-up is over, ui/collector.py).
    collecting = gc.isenabled()
    gc.disable()
    try:
        from frontdesk_app.app import run
    finally:
        if collecting:
            gc.enable()
    return run(args)
