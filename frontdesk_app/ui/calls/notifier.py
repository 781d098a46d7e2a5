"""Tell the agent a call is waiting: a tray message, a chime, a flashing taskbar entry.

Each channel is used only where the machine has it: no system tray, no audio device or an
offscreen test run simply skip that channel, silently and without a Qt warning. The tray
message names the kind of call, never the caller (reception screens are seen by passers-by).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QSystemTrayIcon, QWidget

from frontdesk_app.domain.models import Transfer
from frontdesk_app.ui.calls.chime import ensure_sounds
from frontdesk_app.ui.calls.labels import intent_label
from frontdesk_app.ui.resources import icon, resources_dir

log = logging.getLogger(__name__)
HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal", "vnc"})


def tray_title(transfer: Transfer) -> str:
    if transfer.priority == "emergency":
        return "EMERGENCY call waiting"
    if transfer.priority == "urgent":
        return "Urgent call waiting"
    return "Call waiting"


def tray_text(transfer: Transfer) -> str:
    what = intent_label(transfer.call.intent.name) if transfer.call else "Transferred call"
    return f"{what}. Open Live calls (Ctrl+4) to take it."


def audio_output_present() -> bool:
    """True where QtMultimedia loads and lists at least one audio output."""
    if QGuiApplication.platformName() in HEADLESS_PLATFORMS:
        return False
    try:
        from PySide6.QtMultimedia import QMediaDevices
    except ImportError:  # no libpulse or another backend: a silent desk, not a crash
        return False
    return bool(QMediaDevices.audioOutputs())


class TransferNotifier(QObject):
    """`notify(transfer)` on each new transfer for this agent."""

    def __init__(self, window: QWidget | None = None, *, sound: bool = True) -> None:
        super().__init__(window)
        self._window = window
        self._want_sound = sound
        self._effects: dict[str, Any] | None = None
        self._tray: QSystemTrayIcon | None = None
        self.sent: list[tuple[str, str]] = []  # what was announced, for tests and the log
        # While the desk is locked the tray says only how urgent a call is (set by the lock).
        self.discreet = False

    @property
    def tray_available(self) -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def notify(self, transfer: Transfer) -> None:
        title = tray_title(transfer)
        text = "Unlock FrontDesk to take it." if self.discreet else tray_text(transfer)
        self.sent.append((title, text))
        self._show_tray(title, text, transfer)
        self._play("transfer" if transfer.priority == "normal" else "urgent")
        if self._window is not None and QGuiApplication.platformName() not in HEADLESS_PLATFORMS:
            QApplication.alert(self._window, 0 if transfer.priority != "normal" else 3000)

    def close(self) -> None:
        if self._tray is not None:
            self._tray.hide()
            self._tray.deleteLater()
            self._tray = None

    def _show_tray(self, title: str, text: str, transfer: Transfer) -> None:
        if not self.tray_available:
            return
        if self._tray is None:
            app_icon = icon("app")
            self._tray = QSystemTrayIcon(app_icon if not app_icon.isNull() else QIcon(), self)
            self._tray.setToolTip("FrontDesk")
            self._tray.activated.connect(self.on_tray_activated)
            self._tray.messageClicked.connect(self.on_tray_activated)
            self._tray.show()
        kind = (
            QSystemTrayIcon.MessageIcon.Critical
            if transfer.priority != "normal"
            else QSystemTrayIcon.MessageIcon.Information
        )
        self._tray.showMessage(title, text, kind, 10_000)

    def on_tray_activated(self, *_args: object) -> None:
        if self._window is not None:
            self._window.window().showNormal()
            self._window.window().raise_()
            self._window.window().activateWindow()

    def _play(self, name: str) -> None:
        if not self._want_sound:
            return
        if self._effects is None:
            self._effects = self._load_effects()
        effect = self._effects.get(name)
        if effect is not None:
            effect.play()

    def _load_effects(self) -> dict[str, Any]:
        if not audio_output_present():
            return {}
        from PySide6.QtMultimedia import QSoundEffect

        try:
            paths = ensure_sounds(resources_dir() / "sounds")
        except OSError:
            # A read-only install without the files: fall back to a per-user copy.
            from frontdesk_app.config import data_dir

            paths = ensure_sounds(data_dir() / "sounds")
        effects: dict[str, Any] = {}
        for name, path in paths.items():
            effect = QSoundEffect(self)
            effect.setSource(QUrl.fromLocalFile(str(Path(path))))
            effect.setVolume(0.6)
            effects[name] = effect
        log.info("transfer sounds ready (%d)", len(effects))
        return effects
