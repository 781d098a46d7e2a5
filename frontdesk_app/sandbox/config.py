"""The sandbox's knobs (rate budget, token lifetime, heartbeat, chaos) and where its state lives.

Light on purpose: the CLI imports it to parse `--chaos` before anything heavy is loaded.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ChaosPhase = Literal["before", "after", "both"]
CHAOS_PHASES: tuple[ChaosPhase, ...] = ("before", "after", "both")
DEFAULT_PORT = 8765
DEFAULT_RATE_LIMIT_PER_MIN = 10_000


@dataclass(frozen=True, slots=True)
class ChaosSpec:
    """What fraction of requests fail, and how.

    `error`: answered 500 or 503; `delay`: held for `delay_seconds`; `drop`: the connection is
    cut mid-response. `phase` says whether a fault strikes before the handler runs (nothing
    happened) or after it (the write happened, the answer is lost) — `both` picks per request.
    """

    error: float = 0.0
    delay: float = 0.0
    drop: float = 0.0
    delay_seconds: float = 1.0
    phase: ChaosPhase = "both"
    seed: int | None = None

    @property
    def active(self) -> bool:
        return self.error > 0 or self.delay > 0 or self.drop > 0

    @classmethod
    def parse(cls, text: str) -> ChaosSpec:
        """`error=0.1,delay=0.1,drop=0.05[,delay_seconds=1.5][,phase=after][,seed=3]`."""
        fractions: dict[str, float] = {"error": 0.0, "delay": 0.0, "drop": 0.0}
        delay_seconds = 1.0
        phase: ChaosPhase = "both"
        seed: int | None = None
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, sep, value = part.partition("=")
            name = name.strip().lower()
            value = value.strip()
            if not sep:
                raise ValueError(f"chaos option {name!r} needs a value, such as {name}=0.1")
            if name in fractions:
                number = float(value)
                if not 0.0 <= number <= 1.0:
                    raise ValueError(f"chaos {name} must be a fraction between 0 and 1")
                fractions[name] = number
            elif name in ("delay_seconds", "delay_s"):
                delay_seconds = float(value)
                if not 0.0 <= delay_seconds <= 300.0:
                    raise ValueError("chaos delay_seconds must be between 0 and 300")
            elif name == "phase":
                if value not in CHAOS_PHASES:
                    raise ValueError("chaos phase must be before, after or both")
                phase = value
            elif name == "seed":
                seed = int(value)
            else:
                raise ValueError(f"unknown chaos option {name!r}")
        if sum(fractions.values()) > 1.0:
            raise ValueError("chaos fractions add up to more than 1")
        return cls(
            error=fractions["error"],
            delay=fractions["delay"],
            drop=fractions["drop"],
            delay_seconds=delay_seconds,
            phase=phase,
            seed=seed,
        )


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """Everything about the server's behaviour that a test or a demo may want to change."""

    rate_limit_per_min: int = DEFAULT_RATE_LIMIT_PER_MIN
    # Token-bucket capacity; None means a whole minute's budget may be spent at once.
    rate_burst: int | None = None
    # The period `rate_limit_per_min` refills over: 60 s by contract; tests shorten it (e.g.
    # 60 per 6 s) so that pacing can be exercised without waiting real minutes.
    rate_window_seconds: float = 60.0
    token_ttl_seconds: int = 3600
    idempotency_ttl_seconds: int = 24 * 3600
    # At most 15 s by contract; shorter keeps idle proxies from closing the stream.
    heartbeat_seconds: float = 10.0
    max_body_bytes: int = 256 * 1024
    chaos: ChaosSpec | None = None
    simulate_calls_seconds: float | None = None
    # A transfer offered to an agent and not accepted within this passes on (API.md).
    offer_timeout_seconds: float = 30.0
    webhook_retry_base_seconds: float = 5.0
    webhook_retry_max_seconds: float = 3600.0
    webhook_max_attempts: int = 8
    webhook_timeout_seconds: float = 10.0
    # Deliver webhooks to public internet addresses (never private, link-local, loopback or
    # metadata ones); off, they go to this computer only (`--webhooks-to-internet` turns it on).
    webhook_internet: bool = False

    @property
    def burst(self) -> int:
        return self.rate_burst if self.rate_burst is not None else self.rate_limit_per_min


def is_loopback(host: str) -> bool:
    """True for addresses only this computer can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def state_path_for(db_path: str | Path) -> Path:
    """The sandbox's own state (credentials, idempotency, webhooks) sits next to the store."""
    path = Path(db_path)
    return path.with_name(path.stem + ".sandbox-state" + (path.suffix or ".sqlite"))
