"""The main window's panels: each is registered once with its slot (Ctrl+1 … Ctrl+6).

A panel is a QWidget built by its factory from a `PanelContext` once the backend is ready. It
may define `shutdown()` (called before the backend closes: unsubscribe, stop timers) and
`on_shown()` (called when its tab becomes current). Calendar is slot 1; eligibility,
prescriptions and live calls take 2, 3 and 4 (add them in `builtin_panels`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from PySide6.QtWidgets import QWidget

from frontdesk_app.config import Settings
from frontdesk_app.domain.backend import Backend
from frontdesk_app.ui.async_bridge import AsyncBridge
from frontdesk_app.ui.errors import ErrorSink
from frontdesk_app.ui.events import EventFeed

if TYPE_CHECKING:
    from frontdesk_app.ui.main_window import MainWindow

SLOT_CALENDAR = 1
SLOT_ELIGIBILITY = 2
SLOT_PRESCRIPTIONS = 3
SLOT_CALLS = 4
SLOT_FLOW = 5
SLOT_WAITLIST = 6


@dataclass
class PanelContext:
    """Everything a panel may use; it holds no Qt objects of its own besides the window."""

    backend: Backend
    bridge: AsyncBridge
    errors: ErrorSink
    events: EventFeed
    settings: Settings
    zone: ZoneInfo
    window: MainWindow
    extras: dict[str, Any] = field(default_factory=dict)

    def panel(self, key: str) -> QWidget | None:
        """Another panel, for one-click actions across panels (calls → calendar booking)."""
        return self.window.panel(key)

    def show_panel(self, key: str) -> QWidget | None:
        return self.window.show_panel(key)


@dataclass(frozen=True)
class PanelSpec:
    key: str
    title: str
    slot: int
    factory: Callable[[PanelContext], QWidget]
    icon: str | None = None


_extra: dict[str, PanelSpec] = {}


def register_panel(spec: PanelSpec) -> None:
    """Add or replace a panel beyond the built-in ones (tests, optional features)."""
    _extra[spec.key] = spec


def unregister_panel(key: str) -> None:
    _extra.pop(key, None)


def builtin_panels() -> list[PanelSpec]:
    """The panels every desk has. Imports stay inside so the first window opens quickly."""
    from frontdesk_app.ui.calendar.panel import calendar_panel_spec
    from frontdesk_app.ui.calls.panel import calls_panel_spec
    from frontdesk_app.ui.eligibility.panel import eligibility_panel_spec
    from frontdesk_app.ui.flow.panel import flow_panel_spec
    from frontdesk_app.ui.prescriptions.panel import prescriptions_panel_spec
    from frontdesk_app.ui.waitlist.panel import waitlist_panel_spec

    return [
        calendar_panel_spec(),
        eligibility_panel_spec(),
        prescriptions_panel_spec(),
        calls_panel_spec(),
        flow_panel_spec(),
        waitlist_panel_spec(),
    ]


def panel_specs() -> list[PanelSpec]:
    specs = {spec.key: spec for spec in builtin_panels()}
    specs.update(_extra)
    return sorted(specs.values(), key=lambda s: (s.slot, s.key))
