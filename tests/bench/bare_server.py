"""The floor of benchmark 6: bare Starlette endpoints on the sandbox's own server stack.

    python -m tests.bench.bare_server GET_BODY_FILE POST_BODY_FILE

Serves `GET /day` and `POST /book` on a free loopback port with the same uvicorn settings,
HTTP parser and event loop as `SandboxServer`, answering with the sandbox's own response
bodies (read from the files) so that only the sandbox's work differs: no auth, no rate limit,
no idempotency, no store. Prints `{"base_url": …}` on stdout when ready; SIGTERM stops it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from frontdesk_app.sandbox.server import _http_impl, _loop_factory


def build_app(day: bytes, booked: bytes) -> Starlette:
    async def get_day(_request: Request) -> Response:
        return Response(day, media_type="application/json")

    async def book(request: Request) -> Response:
        await request.body()
        return Response(booked, status_code=201, media_type="application/json")

    return Starlette(routes=[Route("/day", get_day), Route("/book", book, methods=["POST"])])


class _Server(uvicorn.Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        assert sockets
        port = sockets[0].getsockname()[1]
        print(json.dumps({"base_url": f"http://127.0.0.1:{port}"}), flush=True)


def main(argv: list[str]) -> int:
    app = build_app(Path(argv[0]).read_bytes(), Path(argv[1]).read_bytes())
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
