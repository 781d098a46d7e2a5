"""The `frontdesk demo-data`, `people` and `audit` sub-commands (light: the store is imported
only when one runs)."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add `demo-data`, `people` and `audit` to the `frontdesk` command."""
    from frontdesk_app.store.audit_cli import register as register_audit
    from frontdesk_app.store.people_cli import register as register_people

    register_people(subparsers)
    register_audit(subparsers)
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo-data",
        help="build a database holding the synthetic demo clinic",
        description="Create a SQLite database at --db and fill it with the synthetic demo "
        "clinic (made-up people only).",
    )
    parser.add_argument("--db", required=True, help="path of the database file to create")
    parser.add_argument(
        "--appointments",
        type=int,
        default=None,
        metavar="N",
        help="how many appointments (default: two weeks around today)",
    )
    parser.add_argument(
        "--providers",
        type=int,
        default=None,
        metavar="N",
        help="how many providers (default: the ten of the demo cast)",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--replace", action="store_true", help="delete an existing database at --db first"
    )
    parser.set_defaults(handler=run_demo_data)


def run_demo_data(args: argparse.Namespace) -> int:
    import sys
    import time
    from pathlib import Path

    from sqlalchemy import func, select

    from frontdesk_app.store.db import Store
    from frontdesk_app.store.demo_data import build_demo_clinic, is_empty
    from frontdesk_app.store.tables import AppointmentRow

    path = Path(args.db)
    if args.appointments is not None and args.appointments < 0:
        print("--appointments must be zero or more", file=sys.stderr)
        return 2
    if args.providers is not None and args.providers < 1:
        print("--providers must be one or more", file=sys.stderr)
        return 2
    if args.replace:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    began = time.perf_counter()
    with Store.open(path) as store:
        if not is_empty(store):
            print(f"{path} already holds a clinic; use --replace to rebuild it", file=sys.stderr)
            return 1
        build_demo_clinic(
            store, appointments=args.appointments, seed=args.seed, providers=args.providers
        )
        with store.read() as session:
            count = session.scalar(select(func.count()).select_from(AppointmentRow))
    print(f"built {path}: {count} appointments in {time.perf_counter() - began:.1f} s")
    return 0
