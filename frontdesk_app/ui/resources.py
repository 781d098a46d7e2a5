"""Icons and the stylesheet from `resources/`, in a source checkout and in the packaged app."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from PySide6.QtGui import QIcon


def resources_dir() -> Path:
    """`resources/` beside the package, or inside a PyInstaller bundle (`sys._MEIPASS`)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


@functools.cache
def icon(name: str) -> QIcon:
    """A named icon; an unknown name gives an empty icon rather than an error."""
    path = resources_dir() / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


def stylesheet() -> str:
    """The app's stylesheet, with `@ICONS@` pointing at the icon folder wherever it lives."""
    path = resources_dir() / "frontdesk.qss"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    return text.replace("@ICONS@", (resources_dir() / "icons").as_posix())
