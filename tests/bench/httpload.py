"""A minimal HTTP/1.1 keep-alive load client on raw asyncio streams, for server capacity.

An httpx client spends more time per request than a small server does, so it would measure
itself; this one only writes prepared request bytes and reads each answer by its
`Content-Length`, a few tens of microseconds per request, so the server is the bottleneck.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from urllib.parse import urlsplit

MAX_HEADER = 64 * 1024


def request_bytes(
    method: str,
    base_url: str,
    path: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: object | None = None,
) -> bytes:
    """One complete HTTP/1.1 request, ready to write."""
    host = urlsplit(base_url).netloc
    content = b"" if body is None else json.dumps(body).encode()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Accept: application/json"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(content)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + content


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    if len(head) > MAX_HEADER:
        raise RuntimeError("response headers too long")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return status, body


async def load(
    base_url: str, requests: Iterable[bytes], *, concurrency: int = 4
) -> tuple[float, Counter[int]]:
    """Send every request over `concurrency` keep-alive connections; (seconds, statuses)."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    queue: Iterator[bytes] = iter(list(requests))
    statuses: Counter[int] = Counter()
    connections = [await asyncio.open_connection(host, port) for _ in range(concurrency)]

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for request in queue:  # a shared iterator: each request is sent once
            status, _ = await _exchange(reader, writer, request)
            statuses[status] += 1

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker(r, w) for r, w in connections))
        return time.perf_counter() - started, statuses
    finally:
        for _, writer in connections:
            writer.close()
        for _, writer in connections:
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def fetch(base_url: str, request: bytes) -> tuple[int, bytes]:
    """One request on a new connection (to prepare payloads)."""
    parts = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
    try:
        return await _exchange(reader, writer, request)
    finally:
        writer.close()
        await writer.wait_closed()
