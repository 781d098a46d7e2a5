"""Chaos specs, state paths and loopback detection."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontdesk_app.sandbox.config import ChaosSpec, SandboxConfig, is_loopback, state_path_for


def test_chaos_spec_parses_every_option() -> None:
    spec = ChaosSpec.parse("error=0.1, delay=0.2,drop=0.05,delay_seconds=1.5,phase=after,seed=7")
    assert spec == ChaosSpec(
        error=0.1, delay=0.2, drop=0.05, delay_seconds=1.5, phase="after", seed=7
    )
    assert spec.active
    assert not ChaosSpec.parse("").active


@pytest.mark.parametrize(
    "text", ["error=1.5", "drop=-0.1", "error=0.5,delay=0.6", "phase=later", "x=1", "error"]
)
def test_chaos_spec_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError):
        ChaosSpec.parse(text)


def test_state_file_sits_next_to_the_store(tmp_path: Path) -> None:
    assert state_path_for(tmp_path / "clinic.sqlite") == tmp_path / "clinic.sandbox-state.sqlite"
    assert state_path_for(tmp_path / "clinic") == tmp_path / "clinic.sandbox-state.sqlite"


def test_burst_defaults_to_a_minute_of_budget() -> None:
    assert SandboxConfig(rate_limit_per_min=120).burst == 120
    assert SandboxConfig(rate_limit_per_min=120, rate_burst=5).burst == 5


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.3.4.5", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.0.0.1", False),
        ("frontdesk.example", False),
    ],
)
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
