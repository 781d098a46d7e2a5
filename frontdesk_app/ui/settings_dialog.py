"""Settings: which API (bundled sandbox, sandbox, production, custom, standalone), credentials
(kept only in the OS keyring), the clinic's time zone and, for agents, who they are."""

from __future__ import annotations

import asyncio
import zoneinfo
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from frontdesk_app.config import ENVIRONMENTS, Environment, Settings, save_settings
from frontdesk_app.domain.errors import FrontDeskError, ValidationFailed
from frontdesk_app.domain.models import Agent
from frontdesk_app.secrets import SecretStoreUnavailable
from frontdesk_app.ui.flow.board import MAX_NO_SHOW_GRACE_MINUTES, no_show_grace
from frontdesk_app.ui.message_bar import MessageBar

ENVIRONMENT_TEXT: dict[str, str] = {
    "bundled": "Demo clinic on this computer (bundled sandbox)",
    "sandbox": "FrontDeskOS sandbox (sandbox.api.frontdeskos.co)",
    "production": "FrontDeskOS production (api.frontdeskos.co)",
    "custom": "Another address",
    "standalone": "This computer only, no server (standalone)",
}
COMMON_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "Europe/London",
)
NEEDS_CREDENTIALS = ("sandbox", "production", "custom")


class SettingsDialog(QDialog):
    """`saved(settings, reconnect)`: reconnect is True when the API or zone changed."""

    saved = Signal(object, bool)

    def __init__(
        self,
        settings: Settings,
        *,
        agents: list[Agent] | None = None,
        settings_path: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings")
        self.setMinimumWidth(560)
        self._original = settings
        self._path = settings_path
        self.message = MessageBar(self)

        self.environment = QComboBox()
        self.environment.setAccessibleName("Where the clinic's data lives")
        for env in ENVIRONMENTS:
            self.environment.addItem(ENVIRONMENT_TEXT[env], env)
        self.environment.setCurrentIndex(max(0, self.environment.findData(settings.environment)))
        self.custom_url = QLineEdit(settings.custom_url)
        self.custom_url.setAccessibleName("API address")
        self.custom_url.setPlaceholderText("https://api.example-clinic.org")
        self.auth = QComboBox()
        self.auth.setAccessibleName("Sign-in method")
        self.auth.addItem("API key", "api_key")
        self.auth.addItem("OAuth client (id and secret)", "oauth")
        self.auth.setCurrentIndex(max(0, self.auth.findData(settings.auth_method)))
        self.api_key = QLineEdit()
        self.api_key.setAccessibleName("API key")
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText("Leave empty to keep the saved key")
        self.client_id = QLineEdit(settings.client_id)
        self.client_id.setAccessibleName("OAuth client id")
        self.client_secret = QLineEdit()
        self.client_secret.setAccessibleName("OAuth client secret")
        self.client_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.client_secret.setPlaceholderText("Leave empty to keep the saved secret")
        keyring_note = QLabel(
            "Keys and secrets are kept in this computer's password store (keyring); on a "
            "computer without one, encrypted with the clinic's data key. Never in a plain file."
        )
        keyring_note.setProperty("role", "hint")
        keyring_note.setWordWrap(True)

        self.zone = QComboBox()
        self.zone.setEditable(True)
        self.zone.setAccessibleName("Clinic time zone")
        self.zone.addItems(list(COMMON_ZONES))
        self.zone.setCurrentText(settings.clinic_timezone)
        self.workstation = QLineEdit(settings.workstation_name)
        self.workstation.setAccessibleName("Workstation name")
        self.workstation.setPlaceholderText("e.g. Front desk 1")
        self.agent = QComboBox()
        self.agent.setAccessibleName("I am (for live calls)")
        self.agent.addItem("Not an agent", "")
        for agent in agents or []:
            self.agent.addItem(agent.name, agent.id)
        if settings.agent_id and self.agent.findData(settings.agent_id) < 0:
            self.agent.addItem(settings.agent_id, settings.agent_id)
        self.agent.setCurrentIndex(max(0, self.agent.findData(settings.agent_id)))
        self.idle_lock = QSpinBox()
        self.idle_lock.setAccessibleName("Lock after this many idle minutes")
        self.idle_lock.setRange(1, 240)
        self.idle_lock.setSuffix(" min")
        try:
            minutes = int(settings.idle_lock_minutes)
        except (TypeError, ValueError):  # a hand-edited settings file
            minutes = 5
        self.idle_lock.setValue(max(1, min(minutes, 240)))
        self.no_show_grace = QSpinBox()
        self.no_show_grace.setAccessibleName("Offer a no-show this many minutes after the start")
        self.no_show_grace.setRange(0, MAX_NO_SHOW_GRACE_MINUTES)
        self.no_show_grace.setSuffix(" min late")
        grace = no_show_grace(settings.no_show_grace_minutes)
        self.no_show_grace.setValue(int(grace.total_seconds() // 60))

        connection = QGroupBox("Connection")
        form = QFormLayout(connection)
        form.setSpacing(10)
        form.addRow("Clinic data", self.environment)
        form.addRow("Address", self.custom_url)
        form.addRow("Sign in with", self.auth)
        form.addRow("API key", self.api_key)
        form.addRow("Client id", self.client_id)
        form.addRow("Client secret", self.client_secret)
        form.addRow("", keyring_note)
        desk = QGroupBox("This desk")
        desk_form = QFormLayout(desk)
        desk_form.setSpacing(10)
        desk_form.addRow("Clinic time zone", self.zone)
        desk_form.addRow("Workstation", self.workstation)
        desk_form.addRow("I am (live calls)", self.agent)
        desk_form.addRow("Lock when idle for", self.idle_lock)
        desk_form.addRow("Offer a no-show when", self.no_show_grace)
        self._connection_form = form

        buttons = QDialogButtonBox()
        self.save_button = QPushButton("Save")
        self.save_button.setDefault(True)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self._cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self._saving: asyncio.Task[None] | None = None
        self.save_button.clicked.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(12)
        layout.addWidget(self.message)
        layout.addWidget(connection)
        layout.addWidget(desk)
        layout.addWidget(buttons)
        self.environment.currentIndexChanged.connect(self._on_choice_changed)
        self.auth.currentIndexChanged.connect(self._on_choice_changed)
        self._on_choice_changed()

    def set_agents(self, agents: list[Agent]) -> None:
        """Fill the agent list once the backend has answered (the dialog opens at once)."""
        current = str(self.agent.currentData() or "")
        for agent in agents:
            if self.agent.findData(agent.id) < 0:
                self.agent.addItem(agent.name, agent.id)
            else:
                self.agent.setItemText(self.agent.findData(agent.id), agent.name)
        self.agent.setCurrentIndex(max(0, self.agent.findData(current)))

    def _env(self) -> Environment:
        value = str(self.environment.currentData())
        return value if value in ENVIRONMENTS else "bundled"

    def _on_choice_changed(self, *_args: object) -> None:
        env = self._env()
        remote = env in NEEDS_CREDENTIALS
        oauth = self.auth.currentData() == "oauth"
        visible = {
            self.custom_url: env == "custom",
            self.auth: remote,
            self.api_key: remote and not oauth,
            self.client_id: remote and oauth,
            self.client_secret: remote and oauth,
        }
        for widget, shown in visible.items():
            widget.setVisible(shown)
            label = self._connection_form.labelForField(widget)
            if label is not None:
                label.setVisible(shown)

    def chosen(self) -> Settings:
        return replace(
            self._original,
            environment=self._env(),
            custom_url=self.custom_url.text().strip(),
            auth_method="oauth" if self.auth.currentData() == "oauth" else "api_key",
            client_id=self.client_id.text().strip(),
            clinic_timezone=self.zone.currentText().strip(),
            workstation_name=self.workstation.text().strip(),
            agent_id=str(self.agent.currentData() or ""),
            idle_lock_minutes=self.idle_lock.value(),
            no_show_grace_minutes=self.no_show_grace.value(),
        )

    def validate(self, settings: Settings) -> None:
        if settings.clinic_timezone not in zoneinfo.available_timezones():
            raise ValidationFailed(
                "Choose a time zone such as America/New_York.",
            )
        if settings.environment == "custom":
            from frontdesk_app.api import InsecureBaseUrl, validate_base_url

            try:
                settings.custom_url = validate_base_url(settings.custom_url)
            except InsecureBaseUrl as exc:
                raise ValidationFailed(str(exc)) from None

    def submit(self) -> None:
        """Check what was entered, then save it off the GUI thread (a keyring may take its
        time, or ask the person to unlock it); the dialog waits, everything entered kept."""
        if self._saving is not None and not self._saving.done():
            return
        settings = self.chosen()
        try:
            self.validate(settings)
        except FrontDeskError as exc:
            self.message.show_error(exc)
            return
        self._set_saving(True)
        self._saving = asyncio.ensure_future(self._save(settings))

    async def _save(self, settings: Settings) -> None:
        key, secret = self.api_key.text().strip(), self.client_secret.text().strip()
        try:
            await asyncio.to_thread(_store, settings, self._path, key, secret)
        except SecretStoreUnavailable as exc:
            self.message.show_message("No password store", str(exc), level="error")
            return
        except ValueError:
            self.message.show_message(
                "That key or secret cannot be used",
                "It contains characters an API key never has; please paste it again.",
                level="error",
            )
            return
        except OSError:
            self.message.show_message(
                "The settings could not be saved",
                "The settings file could not be written; nothing was changed. Try again.",
                level="error",
            )
            return
        finally:
            self._set_saving(False)
        before = self._original
        reconnect = (
            settings.environment != before.environment
            or settings.custom_url != before.custom_url
            or settings.auth_method != before.auth_method
            or settings.client_id != before.client_id
            or settings.clinic_timezone != before.clinic_timezone
            or bool(key or secret)
        )
        self.saved.emit(settings, reconnect)
        self.accept()

    def reject(self) -> None:
        if self._saving is not None and not self._saving.done():
            return  # Esc while saving: the dialog stays until the save has an answer
        super().reject()

    def _set_saving(self, saving: bool) -> None:
        self.save_button.setEnabled(not saving)
        self.save_button.setText("Saving…" if saving else "Save")
        self._cancel.setEnabled(not saving)


def _store(settings: Settings, path: Path | None, key: str, secret: str) -> None:
    """On a worker thread: the secret into the keyring (or the desk's sealed vault), then
    the settings file, which never holds a secret."""
    if settings.environment in NEEDS_CREDENTIALS:
        from frontdesk_app.api import ApiKey, OAuthClient, save_credentials

        if settings.auth_method == "api_key" and key:
            save_credentials(ApiKey(key), environment=settings.environment)
        elif settings.auth_method == "oauth" and secret and settings.client_id:
            save_credentials(
                OAuthClient(settings.client_id, secret), environment=settings.environment
            )
    save_settings(settings, path)
