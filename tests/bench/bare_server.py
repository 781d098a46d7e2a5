"""The floor of benchmark 6: bare Starlette endpoints on the sandbox's own server stack.

    python -m tests.bench.bare_server GET_BODY_FILE POST_BODY_FILE [STORE_FILE]

Serves `GET /day` and `POST /book` on a free loopback port with the same uvicorn settings,
HTTP parser and event loop as `SandboxServer`, answering with the sandbox's own response
bodies (read from the files) so that only the sandbox's work differs: no auth, no rate limit,
no idempotency, no rules. With STORE_FILE (a copy of the sandbox's store), `POST /book` also
does the durable work a booking must do: it inserts the booked appointment's row into the
store's `appointments` table with the store's own settings (WAL, `synchronous=NORMAL`, foreign
keys on) and commits, one transaction per request. Prints `{"base_url": …}` on stdout when
ready; SIGTERM stops it.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import sqlite3
import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk_app.sandbox.server import _http_impl, _loop_factory

_COLUMNS = (
    "id",
    "status",
    "patient_id",
    "provider_id",
    "start_time",
    "end_time",
    "duration_minutes",
    "type",
    "notes",
    "created_at",
    "updated_at",
)


def _store(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _stored_time(text: str) -> str:
    """`2026-05-04T13:00:00Z` in the store's text form (`timestamp_text`)."""
    return text.replace("Z", ".000000Z")


def build_app(day: bytes, booked: bytes, store: Path | None = None) -> Starlette:
    conn = _store(store) if store is not None else None
    template = json.loads(booked)
    insert = (
        f"INSERT INTO appointments ({', '.join(_COLUMNS)}) "
        f"VALUES ({', '.join('?' for _ in _COLUMNS)})"
    )

    async def get_day(_request: Request) -> Response:
        return Response(day, media_type="application/json")

    async def book(request: Request) -> Response:
        body = json.loads(await request.body())
        if conn is not None:
            start = body["start_time"]
            row = {
                **template,
                **body,
                "id": "apt_" + secrets.token_hex(6),
                "start_time": _stored_time(start),
                "end_time": _stored_time(template["end_time"]),
                "created_at": _stored_time(template["created_at"]),
                "updated_at": _stored_time(template["updated_at"]),
            }
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(insert, tuple(row.get(c) for c in _COLUMNS))
            conn.execute("COMMIT")
        return Response(booked, status_code=201, media_type="application/json")

    return Starlette(routes=[Route("/day", get_day), Route("/book", book, methods=["POST"])])


class _Server(uvicorn.Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        assert sockets
        port = sockets[0].getsockname()[1]
        print(json.dumps({"base_url": f"http://127.0.0.1:{port}"}), flush=True)


def main(argv: list[str]) -> int:
    store = Path(argv[2]) if len(argv) > 2 else None
    app = build_app(Path(argv[0]).read_bytes(), Path(argv[1]).read_bytes(), store)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="on",
        http=_http_impl(),
        ws="none",
        timeout_keep_alive=30,
    )
    server = _Server(config)
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(server.serve(sockets=[sock]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
