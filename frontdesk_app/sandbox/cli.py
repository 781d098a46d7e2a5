"""`frontdesk sandbox`: run the bundled API server, and create its clients and keys.

Light on purpose: only argparse here; the server is imported when the command runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import Any

from frontdesk_app.sandbox.config import DEFAULT_PORT, DEFAULT_RATE_LIMIT_PER_MIN, ChaosSpec

SCOPE_CHOICES = (
    "appointments:read",
    "appointments:write",
    "patients:write",
    "eligibility",
    "prescriptions:read",
    "calls",
    "webhooks",
)


def default_db() -> Path:
    from frontdesk_app.config import data_dir

    return data_dir() / "sandbox" / "clinic.sqlite"


def _chaos(text: str) -> ChaosSpec:
    try:
        return ChaosSpec.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value


def _add_paths(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    # On sub-commands the defaults are suppressed so `sandbox --db X create-key` keeps X.
    default: Any = argparse.SUPPRESS if suppress else None
    parser.add_argument("--db", type=Path, default=default, help="the clinic store (SQLite)")
    parser.add_argument(
        "--state", type=Path, default=default, help="the sandbox state file (default: next to --db)"
    )


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sandbox",
        help="run the bundled FrontDeskOS API sandbox on this machine",
        description="Serve the FrontDeskOS API (API.md) over a local clinic store.",
    )
    _add_paths(parser, suppress=False)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"0 picks a free port (default {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--demo-data", action="store_true", help="fill a new store with the synthetic demo clinic"
    )
    parser.add_argument(
        "--rate-limit",
        type=_positive,
        default=DEFAULT_RATE_LIMIT_PER_MIN,
        metavar="N",
        help="requests a minute per credential",
    )
    parser.add_argument("--burst", type=_positive, default=None, metavar="N", help="bucket size")
    parser.add_argument(
        "--token-ttl", type=_positive, default=3600, metavar="SECONDS", help="access token life"
    )
    parser.add_argument(
        "--simulate-calls",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="make a synthetic AI-handled call every SECONDS",
    )
    parser.add_argument(
        "--offer-timeout",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="a transfer offer not accepted within SECONDS passes on (default 30)",
    )
    parser.add_argument(
        "--chaos",
        type=_chaos,
        default=None,
        metavar="SPEC",
        help="inject faults, e.g. error=0.1,delay=0.1,drop=0.05[,phase=before|after|both]",
    )
    parser.add_argument(
        "--webhooks-to-internet",
        action="store_true",
        help="deliver webhooks to public internet addresses too (never to private, link-local, "
        "loopback or metadata ones); without it, webhooks go to this computer only",
    )
    parser.add_argument(
        "--print-credentials",
        action="store_true",
        help='print {"base_url", "api_key"} as one JSON line on stdout when ready',
    )
    parser.add_argument(
        "--exit-with-stdin",
        action="store_true",
        help="stop when standard input closes (the desk that started it has exited)",
    )
    parser.add_argument(
        "--listen-fd",
        type=int,
        default=None,
        metavar="FD",
        help="serve on this inherited listening socket instead of --host/--port (a desk "
        "starting its bundled sandbox)",
    )
    parser.add_argument(
        "--api-key-stdin",
        action="store_true",
        help="take the first line of standard input as this server's API key (made by the "
        "desk that starts it)",
    )
    parser.add_argument("--log-level", default="info", choices=("debug", "info", "warning"))
    parser.set_defaults(handler=run_sandbox)
    commands = parser.add_subparsers(dest="sandbox_command", metavar="SUBCOMMAND")
    for name, what, handler in (
        ("create-client", "an OAuth client (client id and secret)", create_client),
        ("create-key", "an API key (fdk_test_…)", create_key),
    ):
        sub = commands.add_parser(name, help=f"create {what}; shown once")
        _add_paths(sub, suppress=True)
        sub.add_argument("--name", default=f"created by {name}")
        sub.add_argument(
            "--scope",
            action="append",
            choices=SCOPE_CHOICES,
            help="limit to this scope (repeatable; default: every scope)",
        )
        sub.set_defaults(handler=handler)
    for name, what, arg, handler in (
        ("revoke-key", "an API key (the key itself or its id)", "key", revoke_key),
        ("revoke-client", "an OAuth client and its access tokens", "client_id", revoke_client),
    ):
        sub = commands.add_parser(name, help=f"revoke {what}; a running sandbox refuses it at once")
        _add_paths(sub, suppress=True)
        sub.add_argument(arg)
        sub.set_defaults(handler=handler)


def _state_path(args: argparse.Namespace) -> Path:
    from frontdesk_app.sandbox.config import state_path_for

    if args.state is not None:
        return Path(args.state)
    return state_path_for(args.db or default_db())


def create_client(args: argparse.Namespace) -> int:
    from frontdesk_app.sandbox.credentials import create_client as make
    from frontdesk_app.sandbox.state import StateDB

    db = StateDB(_state_path(args))
    try:
        client = make(db, name=args.name, scopes=args.scope)
    finally:
        db.close()
    print(
        json.dumps(
            {
                "client_id": client.client_id,
                "client_secret": client.client_secret,
                "scope": " ".join(sorted(client.scopes)),
            }
        )
    )
    print("Keep the secret now: it is stored only as a hash.", file=sys.stderr)
    return 0


def create_key(args: argparse.Namespace) -> int:
    from frontdesk_app.sandbox.credentials import create_key as make
    from frontdesk_app.sandbox.state import StateDB

    db = StateDB(_state_path(args))
    try:
        key = make(db, name=args.name, scopes=args.scope)
    finally:
        db.close()
    print(
        json.dumps(
            {"api_key": key.api_key, "key_id": key.key_id, "scope": " ".join(sorted(key.scopes))}
        )
    )
    print("Keep the key now: it is stored only as a hash.", file=sys.stderr)
    return 0


def revoke_key(args: argparse.Namespace) -> int:
    from frontdesk_app.sandbox.credentials import revoke_key as revoke
    from frontdesk_app.sandbox.state import StateDB

    db = StateDB(_state_path(args))
    try:
        key_id = revoke(db, args.key)
    finally:
        db.close()
    print(json.dumps({"revoked": key_id is not None, "key_id": key_id}))
    if key_id is None:
        print("No live API key matches that key or id.", file=sys.stderr)
        return 1
    return 0


def revoke_client(args: argparse.Namespace) -> int:
    from frontdesk_app.sandbox.credentials import revoke_client as revoke
    from frontdesk_app.sandbox.state import StateDB

    db = StateDB(_state_path(args))
    try:
        revoked = revoke(db, args.client_id)
    finally:
        db.close()
    print(json.dumps({"revoked": revoked, "client_id": args.client_id}))
    if not revoked:
        print("No live OAuth client has that id.", file=sys.stderr)
        return 1
    return 0


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _inherited(fd: int | None) -> socket.socket | None:
    """The listening socket the desk handed down (its address and queue outlive this
    process: a restarted sandbox serves the connections that waited meanwhile)."""
    return None if fd is None else socket.socket(fileno=fd)


def _stop_when_stdin_closes() -> None:
    """A child of the desk stops with it: its stdin (a pipe from the desk) reaches end of file
    when the desk exits, however it exits. Stopping is the same graceful path as SIGTERM."""
    import _thread

    def watch() -> None:
        with contextlib.suppress(OSError, ValueError):
            while sys.stdin.buffer.read(4096):
                pass
        _thread.interrupt_main(signal.SIGTERM)

    threading.Thread(target=watch, name="sandbox-stdin-watch", daemon=True).start()


def run_sandbox(args: argparse.Namespace) -> int:
    import logging

    from frontdesk_app.logs import configure_logging, scrubbed_stream_handler
    from frontdesk_app.sandbox.config import SandboxConfig
    from frontdesk_app.sandbox.key_format import well_formed
    from frontdesk_app.sandbox.server import SandboxServer, is_loopback

    # The request log names no patient; the scrubber is the second line of defence.
    root = logging.getLogger()
    root.addHandler(scrubbed_stream_handler())
    root.setLevel(args.log_level.upper())
    # Also to rotating files under the platform's log folder (FRONTDESK_HOME/logs), scrubbed.
    configure_logging("frontdesk-sandbox", level=root.level)
    if not is_loopback(args.host):
        logging.getLogger(__name__).warning(
            "listening on %s, which other machines can reach (plain HTTP)", args.host
        )
        print(
            f"WARNING: the sandbox listens on {args.host}, reachable from other machines; "
            "it is a test server with synthetic data and plain HTTP.",
            file=sys.stderr,
        )
    db_path = Path(args.db) if args.db else default_db()
    # Before the stdin watcher starts: the key is the first line there.
    given_key = sys.stdin.readline().strip() if args.api_key_stdin else None
    if given_key is not None and not well_formed(given_key):
        print("The API key given on standard input is not a sandbox key.", file=sys.stderr)
        return 2
    config = SandboxConfig(
        rate_limit_per_min=args.rate_limit,
        rate_burst=args.burst,
        token_ttl_seconds=args.token_ttl,
        chaos=args.chaos,
        simulate_calls_seconds=args.simulate_calls,
        webhook_internet=args.webhooks_to_internet,
        offer_timeout_seconds=args.offer_timeout,
    )
    server = SandboxServer(
        db_path,
        demo=args.demo_data,
        host=args.host,
        port=args.port,
        config=config,
        state_path=args.state,
        listen_socket=_inherited(args.listen_fd),
        api_key=given_key,
    )

    def ready(srv: SandboxServer) -> None:
        if args.print_credentials:
            print(json.dumps({"base_url": srv.base_url, "api_key": srv.api_key}), flush=True)
        print(f"FrontDeskOS sandbox at {srv.base_url} (store {db_path})", file=sys.stderr)
        if not args.print_credentials:
            print(
                f"Create an API key with: frontdesk sandbox create-key --db {db_path}",
                file=sys.stderr,
            )

    # uvicorn stops gracefully on SIGTERM and then re-raises it to the previous handler; ours
    # turns it into a normal exit (status 0) rather than death by signal.
    signal.signal(signal.SIGTERM, _interrupt)
    if args.exit_with_stdin:
        _stop_when_stdin_closes()
    try:
        server.serve_forever(on_ready=ready)
    except OSError as exc:
        print(
            f"The sandbox could not listen on {args.host}:{args.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        pass
    return 0
