"""The demo clinic's cast: providers with their hours, payers with their rules, and agents."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import time

from frontdesk_app.store.synthetic import FIRST_NAMES, LAST_NAMES

WEEKDAYS = (0, 1, 2, 3, 4)
Hours = tuple[tuple[time, time], ...]


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    name: str
    specialty: str
    days: tuple[int, ...]
    # Two windows a day: the gap between them is the lunch block.
    hours: Hours
    # (first day, last day) counted from this week's Monday, local start and end, reason.
    blocks: tuple[tuple[int, int, time, time, str], ...] = ()


def _h(a: str, b: str, c: str, d: str) -> Hours:
    return (
        (time.fromisoformat(a), time.fromisoformat(b)),
        (time.fromisoformat(c), time.fromisoformat(d)),
    )


STAFF_MEETING = ((2, 2, time(15), time(16), "staff meeting"),)
SURGERY = (
    (3, 3, time(7), time(11), "surgery at the hospital"),
    (10, 10, time(7), time(11), "surgery at the hospital"),
)

PROVIDERS: tuple[ProviderSpec, ...] = (
    ProviderSpec(
        "Dr. Imani Okafor", "Family medicine", WEEKDAYS,
        _h("08:00", "12:00", "13:00", "17:00"), blocks=STAFF_MEETING,
    ),
    ProviderSpec(
        "Dr. Rafael Quintero", "Pediatrics", (0, 1, 2, 3),
        _h("07:30", "11:30", "12:30", "16:30"),
    ),
    ProviderSpec(
        "Dr. Helena Marsh", "Cardiology", (1, 2, 3, 4),
        _h("09:00", "12:30", "13:30", "18:00"),
        blocks=((8, 9, time(0), time(23, 59), "conference"),),
    ),
    ProviderSpec(
        "Dr. Tobias Lindqvist", "Dermatology", (0, 2, 4),
        _h("10:00", "13:00", "14:00", "19:00"),
    ),
    ProviderSpec(
        "Dr. Mei-Lin Ashcroft", "Internal medicine", (0, 1, 2, 3, 4, 5),
        _h("08:30", "12:00", "13:00", "16:30"),
    ),
    ProviderSpec(
        "Dr. Kwame Adebayo-Frost", "Orthopedics", (0, 1, 2, 3),
        _h("07:00", "11:00", "12:00", "15:00"), blocks=SURGERY,
    ),
    ProviderSpec(
        "Dr. Sofia Valcourt", "Obstetrics and gynecology", (1, 2, 3, 4, 5),
        _h("08:00", "12:00", "12:45", "16:00"),
    ),
    ProviderSpec(
        "Dana Whitfield, NP", "Family medicine (evening clinic)", WEEKDAYS,
        _h("12:00", "15:00", "15:30", "20:00"),
        blocks=((-3, -1, time(0), time(23, 59), "vacation"),),
    ),
    ProviderSpec(
        "Dr. Arjun Castellano", "Psychiatry", WEEKDAYS,
        _h("09:00", "12:00", "13:00", "17:00"),
    ),
    ProviderSpec(
        "Dr. Beatrix Holloway", "Endocrinology", (0, 1, 3),
        _h("08:00", "12:00", "13:00", "17:00"),
        blocks=((4, 4, time(8), time(12), "training"),),
    ),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PayerSpec:
    id: str
    name: str
    member_prefix: str
    share: int
    available: bool = True
    retry_after_seconds: int = 30
    # (code, covered, requires prior authorisation) where the plan departs from the default.
    services: tuple[tuple[str, bool, bool], ...] = ()


PAYERS: tuple[PayerSpec, ...] = (
    PayerSpec("payer_evergreen", "Evergreen Health Plan", "EVG", 30,
              services=(("97110", True, True), ("70551", True, True))),
    PayerSpec("payer_harborview", "Harborview Mutual", "HBM", 22,
              services=(("99215", True, True), ("J1100", False, False))),
    PayerSpec("payer_summit", "Summit Care Insurance", "SCI", 18,
              services=(("97110", False, False), ("90837", True, True))),
    PayerSpec("payer_lakeside", "Lakeside Benefit Trust", "LBT", 12,
              services=(("11102", True, False),)),
    PayerSpec("payer_pioneer", "Pioneer Health Alliance", "PHA", 10,
              services=(("93000", False, False),)),
    # Down: every eligibility check answers payer_unavailable with a retry hint.
    PayerSpec("payer_crescent", "Crescent Community Plan", "CCP", 8,
              available=False, retry_after_seconds=120),
)  # fmt: skip

AGENTS: tuple[tuple[str, str, str], ...] = (
    ("agt_marisolvance", "Marisol Vance", "available"),
    ("agt_theobrandvold", "Theo Brandvold", "available"),
    ("agt_priyankasethi", "Priyanka Sethi-Lowe", "away"),
)


def provider_specs(count: int | None, *, seed: int) -> list[ProviderSpec]:
    """The cast, cut to `count` or extended with made-up colleagues on the cast's hours."""
    if count is None:
        return list(PROVIDERS)
    if count < 1:
        raise ValueError("a clinic needs at least one provider")
    rng = random.Random(seed * 7919 + count)
    specs = list(PROVIDERS[:count])
    while len(specs) < count:
        model = PROVIDERS[len(specs) % len(PROVIDERS)]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        specs.append(ProviderSpec(f"Dr. {first} {last}", model.specialty, model.days, model.hours))
    return specs
