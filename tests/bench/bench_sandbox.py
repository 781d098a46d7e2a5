"""Benchmark 6: the sandbox's requests/s against bare Starlette endpoints on the same stack.

Two requests: GET one provider's day (`/v1/appointments?provider_id=&start=&end=`) and POST
an appointment (each to a free slot, with an Idempotency-Key, as the desk sends them). The
sandbox runs as its CLI does (its own process, uvicorn + httptools + uvloop, no rate limit);
the floors are `bare_server` — Starlette on the same uvicorn settings, answering the sandbox's
own response bodies: for GET without doing anything, for POST after inserting the booked row
into a copy of the same store with the same durability (one committed transaction each). Both
are driven by `httpload` (raw keep-alive connections, four at a time), in alternating rounds;
each figure is the median of its rounds.

    .venv/bin/python -m tests.bench.bench_sandbox [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.bench import httpload, procs
from tests.bench.harness import Result

NUMBERS = (6,)
TARGET_RATIO = 0.5
CONCURRENCY = 4
ZONE = ZoneInfo("America/New_York")


@contextmanager
def bare_server(day_body: Path, book_body: Path, store: Path) -> Iterator[str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.bench.bare_server",
            str(day_body),
            str(book_body),
            str(store),
        ],
        cwd=procs.ROOT,
        env=procs.child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the bare server did not start")
        yield json.loads(line)["base_url"]
    finally:
        procs.stop(process)


def _day_path(db: Path) -> str:
    """The busiest provider's today (or next weekday), as the calendar asks for it."""
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(db)) as conn:
        provider = conn.execute(
            "SELECT provider_id FROM appointments GROUP BY provider_id ORDER BY count(*) DESC"
        ).fetchone()[0]
    day = datetime.now(ZONE).date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    start = datetime.combine(day, time.min, ZONE).astimezone(UTC)
    end = start + timedelta(days=1)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return (
        f"/v1/appointments?provider_id={provider}"
        f"&start={start.strftime(fmt)}&end={end.strftime(fmt)}"
    )


def run(quick: bool = False) -> list[Result]:
    from tests.bench.bench_sync_drain import plan_bookings

    rounds = 2 if quick else 5
    gets, posts = (200, 60) if quick else (3000, 600)
    folder = procs.scratch("sandbox")
    template = procs.clinic()
    db = procs.copy_db(template, folder / "server" / "clinic.sqlite")
    bookings = [
        b.model_dump(mode="json", exclude_none=True)
        for b in plan_bookings(template, posts * rounds + 1)
    ]
    day_path = _day_path(db)
    with procs.sandbox_process(db) as (url, key):
        auth = {"Authorization": f"Bearer {key}"}

        def get() -> bytes:
            return httpload.request_bytes("GET", url, day_path, headers=auth)

        def post(body: dict[str, object]) -> bytes:
            headers = {**auth, "Idempotency-Key": uuid.uuid4().hex}
            return httpload.request_bytes(
                "POST", url, "/v1/appointments", headers=headers, body=body
            )

        status, day_body = asyncio.run(httpload.fetch(url, get()))
        assert status == 200, day_body[:300]
        status, book_body = asyncio.run(httpload.fetch(url, post(bookings.pop())))
        assert status == 201, book_body[:300]
        (folder / "day.json").write_bytes(day_body)
        (folder / "book.json").write_bytes(book_body)
        bare_store = procs.copy_db(template, folder / "bare" / "clinic.sqlite")
        with bare_server(folder / "day.json", folder / "book.json", bare_store) as bare:
            rates: dict[str, list[float]] = {"get": [], "bare_get": [], "post": [], "bare_post": []}
            for index in range(rounds):
                get_requests = [get() for _ in range(gets)]
                round_bookings = [bookings.pop() for _ in range(posts)]
                post_requests = [post(b) for b in round_bookings]
                bare_gets = [httpload.request_bytes("GET", bare, "/day") for _ in range(gets)]
                # The same bookings (into the floor's own copy of the store): the same rows.
                bare_posts = [
                    httpload.request_bytes("POST", bare, "/book", body=b) for b in round_bookings
                ]
                plan = [
                    ("get", url, get_requests, 200),
                    ("bare_get", bare, bare_gets, 200),
                    ("post", url, post_requests, 201),
                    ("bare_post", bare, bare_posts, 201),
                ]
                for name, base, requests, expected in plan if index % 2 == 0 else plan[::-1]:
                    seconds, statuses = asyncio.run(
                        httpload.load(base, requests, concurrency=CONCURRENCY)
                    )
                    if set(statuses) != {expected}:
                        raise RuntimeError(f"{name}: unexpected answers {dict(statuses)}")
                    rates[name].append(len(requests) / seconds)
    median = {name: statistics.median(values) for name, values in rates.items()}
    return [
        _row(
            "sandbox: GET one provider's day",
            median["get"],
            median["bare_get"],
            rounds,
            gets,
            "bare Starlette, same stack",
        ),
        _row(
            "sandbox: POST an appointment",
            median["post"],
            median["bare_post"],
            rounds,
            posts,
            "bare Starlette inserting the row, same stack and durability",
        ),
    ]


def _row(name: str, value: float, floor: float, rounds: int, count: int, floor_name: str) -> Result:
    ratio = value / floor
    return Result(
        number=6,
        name=name,
        value=value,
        unit="req/s",
        target=f"≥ {TARGET_RATIO} × bare Starlette",
        met=ratio >= TARGET_RATIO,
        floor=floor,
        floor_name=floor_name,
        ratio=ratio,
        runs=rounds,
        details={"requests_per_round": count, "connections": CONCURRENCY},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    for r in run(quick=args.quick):
        print(f"{r.name}: {r.value:.0f} req/s, floor {r.floor:.0f}, ratio {r.ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
