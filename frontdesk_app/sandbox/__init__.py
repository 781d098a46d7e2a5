"""The bundled sandbox: the FrontDeskOS API of API.md served over `LocalBackend` on loopback.

`create_app` (FastAPI app) and `SandboxServer` (uvicorn in a background thread) are loaded on
first use, so that importing the light `sandbox.cli` does not pull in FastAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from frontdesk_app.sandbox.app import create_app
    from frontdesk_app.sandbox.config import ChaosSpec, SandboxConfig
    from frontdesk_app.sandbox.server import SandboxServer

__all__ = ["ChaosSpec", "SandboxConfig", "SandboxServer", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from frontdesk_app.sandbox.app import create_app

        return create_app
    if name == "SandboxServer":
        from frontdesk_app.sandbox.server import SandboxServer

        return SandboxServer
    if name in ("ChaosSpec", "SandboxConfig"):
        from frontdesk_app.sandbox import config

        return getattr(config, name)
    raise AttributeError(name)
