"""Helpers for the API client's integration tests: clients for a sandbox, and log hygiene."""

from __future__ import annotations

import logging
import re
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from frontdesk_app.api import ApiBackend, ApiKey, Credentials, RetryPolicy
from frontdesk_app.sandbox.server import SandboxServer

# A generous deadline: chaos and pacing waits are part of some calls.
PATIENT_RETRY = RetryPolicy(attempts=6, deadline=60.0, initial_wait=0.05, max_wait=1.0, jitter=0.1)


def api_for(
    server: SandboxServer, credentials: Credentials | None = None, **options: Any
) -> ApiBackend:
    """An ApiBackend on the sandbox, with its development key unless told otherwise."""
    options.setdefault("retry", PATIENT_RETRY)
    return ApiBackend(
        base_url=server.base_url, credentials=credentials or ApiKey(server.api_key), **options
    )


_SECRET_PATTERNS = (
    r"fdk_(?:test|live|cs)_\w+",
    r"whsec_\w+",
    # A bearer credential; `Bearer error="invalid_token"` (a WWW-Authenticate answer) is not.
    r"(?i)bearer\s+(?!error=|realm=|scope=)\S+",
)


@dataclass
class Identifiers:
    """What must never appear in a log line: patients' identifiers and every credential."""

    names: set[str] = field(default_factory=set)
    full_names: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    member_ids: set[str] = field(default_factory=set)
    secrets: set[str] = field(default_factory=set)

    @classmethod
    def from_stores(cls, paths: Iterable[Path]) -> Identifiers:
        found = cls()
        for path in paths:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                rows = db.execute(
                    "SELECT first_name, last_name, phone, member_id FROM patients"
                ).fetchall()
            for first, last, phone, member in rows:
                found.full_names.add(f"{first} {last}")
                found.names.update({first, last})
                found.phones.add(phone)
                if member:
                    found.member_ids.add(member)
        return found

    def leaks(self, text: str) -> list[str]:
        """Every identifier or secret found in `text` (empty when the text is clean)."""
        hits = [s for s in self.secrets if s and s in text]
        hits += [s for s in self.full_names | self.phones | self.member_ids if s in text]
        words = set(re.findall(r"[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?", text))
        hits += sorted(words & self.names)
        for pattern in _SECRET_PATTERNS:
            hits += re.findall(pattern, text)
        return hits


def log_text(records: Iterable[logging.LogRecord]) -> str:
    lines = []
    for record in records:
        lines.append(record.getMessage())
        if record.exc_info:
            lines.append(logging.Formatter().formatException(record.exc_info))
        # Structured extras (stamina puts the failure's repr there) are log content too.
        for key, value in vars(record).items():
            if key.startswith("stamina."):
                lines.append(f"{key}={value!r}")
    return "\n".join(lines)


def assert_clean_logs(caplog: pytest.LogCaptureFixture, identifiers: Identifiers) -> None:
    records = [r for when in ("setup", "call") for r in caplog.get_records(when)]
    leaks = identifiers.leaks(log_text(records))
    assert not leaks, f"log lines carry patient data or credentials: {sorted(set(leaks))[:10]}"


class CountingTransport(httpx.AsyncHTTPTransport):
    """The real network transport, counting answers by status and connections that failed."""

    def __init__(self) -> None:
        super().__init__()
        self.statuses: Counter[int] = Counter()
        self.failures: Counter[str] = Counter()
        self.replayed = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await super().handle_async_request(request)
        except httpx.TransportError as exc:
            self.failures[type(exc).__name__] += 1
            raise
        self.statuses[response.status_code] += 1
        if response.headers.get("idempotent-replayed") == "true":
            self.replayed += 1
        # A connection cut mid-answer fails while the body is read, after this returns.
        response.stream = _CountingStream(response.stream, self.failures)  # type: ignore[arg-type]
        return response


class _CountingStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, failures: Counter[str]) -> None:
        self._inner = inner
        self._failures = failures

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except httpx.TransportError as exc:
            self._failures[type(exc).__name__] += 1
            raise

    async def aclose(self) -> None:
        await self._inner.aclose()
