"""The agent's hands on the queue: accept, decline and complete from the keyboard, and notices.

Alt+A accepts the open call (or the most pressing one waiting), Alt+D passes an offer on to
the next agent at once, Alt+C completes the call on the line. An offer this agent let ring out
says so: the server set them away, and they need to know why calls stopped coming.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.models import Event, Transfer
from frontdesk_app.ui.async_bridge import AsyncBridge

if TYPE_CHECKING:
    from frontdesk_app.ui.calls.panel import CallsPanel

OFFER_EXPIRED = "transfer.offer_expired"


class CallHandling:
    """`panel.keys`: what the keyboard and the notices do with the panel's queue and call."""

    def __init__(self, panel: CallsPanel, backend: Backend, bridge: AsyncBridge) -> None:
        self.panel = panel
        self._backend = backend
        self._bridge = bridge

    def accept_next(self) -> None:
        """Accept the open call if it is waiting, else the most pressing one waiting."""
        target = self._offered_or_open()
        if target is not None:
            self.panel.accept(target.transfer_id)

    def decline_current(self) -> None:
        """Pass on the open call if it is offered to this agent, else the first offer."""
        shown = self.panel.detail.transfer
        if shown is not None and shown.status == "connected" and not self.panel.detail.mine:
            self.decline(shown.transfer_id)
            return
        offer = next((t for t in self.panel.queue.queue() if t.status == "connected"), None)
        if offer is not None:
            self.decline(offer.transfer_id)

    def complete_current(self) -> None:
        """Complete the open call with the outcome and notes in the wrap-up box."""
        if self.panel.detail.transfer is None or not self.panel.detail.mine:
            mine = next(iter(self.panel.queue.mine()), None)
            if mine is None:
                return
            self.panel.open_transfer(mine.transfer_id)
        self.panel.detail.on_complete_clicked()

    def install_shortcuts(self, host: QWidget, context: Qt.ShortcutContext) -> list[QShortcut]:
        """Alt+A accept, Alt+D decline, Alt+C complete, active wherever `context` says (the
        main window installs them window-wide: a call can be taken from any panel)."""
        made = []
        for keys, slot in (
            ("Alt+A", self.accept_next),
            ("Alt+D", self.decline_current),
            ("Alt+C", self.complete_current),
        ):
            shortcut = QShortcut(QKeySequence(keys), host)
            shortcut.setContext(context)
            shortcut.activated.connect(slot)
            made.append(shortcut)
        return made

    def _offered_or_open(self) -> Transfer | None:
        shown = self.panel.detail.transfer
        if (
            shown is not None
            and not self.panel.detail.mine
            and shown.status in ("queued", "connected")
        ):
            return shown
        return next(iter(self.panel.queue.queue()), None)

    def decline(self, transfer_id: str) -> None:
        if not self.panel.agent_id:
            return
        self._bridge.run(
            self._backend.decline_transfer(transfer_id, self.panel.agent_id),
            on_success=self._on_declined,
            owner=self.panel,
            on_error=lambda exc: self.panel.on_taken_elsewhere(transfer_id, exc),
            where=self,
            busy="Passing the call on",
            context="declining a call",
        )

    def _on_declined(self, transfer: Transfer) -> None:
        self.panel.queue.apply([transfer])
        if self.panel.detail.transfer is not None and (
            self.panel.detail.transfer.transfer_id == transfer.transfer_id
        ):
            self.panel.detail.clear()

    def on_call_bar_open_requested(self, transfer_id: str) -> None:
        window = self.panel.window()
        show_panel = getattr(window, "show_panel", None)
        if callable(show_panel):
            show_panel("calls")
        self.panel.open_transfer(transfer_id)

    def tell_missed_offers(self, events: list[Event]) -> None:
        """An offer to this agent rang out: say where it went and that they are away now."""
        for event in events:
            expired = event.data.get("expired_agent") if event.type == OFFER_EXPIRED else None
            if not isinstance(expired, dict) or expired.get("id") != self.panel.agent_id:
                continue
            if event.data.get("reason") == "declined":
                continue  # their own choice: nothing to explain
            self.panel.show_message(
                "A call rang out and was passed on",
                "Nobody accepted it in time, so it went to another agent or back to the "
                "queue, and you were set Away. Set yourself Available when you are back.",
                level="warning",
            )
