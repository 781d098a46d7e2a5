"""The queue's cards in priority order, and the line that counts who waits for any agent."""

from __future__ import annotations

import bisect

from PySide6.QtWidgets import QVBoxLayout, QWidget

from frontdesk_app.domain.models import AgentStatus, TransferPriority
from frontdesk_app.ui.calls.card import TransferCard
from frontdesk_app.ui.calls.queue import sort_key


def waiting_text(counts: dict[TransferPriority, int], status: AgentStatus) -> str:
    """`3 callers waiting for any agent: 2 EMERGENCY, 1 normal`, whatever this agent's status."""
    total = sum(counts.values())
    if not total:
        return ""
    parts = ", ".join(f"{n} {'EMERGENCY' if p == 'emergency' else p}" for p, n in counts.items())
    text = f"{total} caller{'s' if total != 1 else ''} waiting for any agent: {parts}"
    if status != "available":
        text += f". You are {status}: accept one below, or set yourself Available."
    return text


class CardList(QWidget):
    """Cards in priority order; inserts and removes one card without rebuilding the rest."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cards: dict[str, TransferCard] = {}
        self._order: list[str] = []
        self._keys: list[tuple[int, float, str]] = []  # each card's sort key, in `_order`
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(8)

    def put(self, card: TransferCard) -> None:
        """Place `card` at its sorted position (new, or moved after a priority change)."""
        tid = card.transfer.transfer_id
        if tid in self.cards:
            self._layout.removeWidget(self.cards[tid])
            self._forget(tid)
        self.cards[tid] = card
        key = sort_key(card.transfer)
        index = bisect.bisect_left(self._keys, key)  # after every card that sorts before it
        self._order.insert(index, tid)
        self._keys.insert(index, key)
        self._layout.insertWidget(index, card)

    def take(self, transfer_id: str) -> TransferCard | None:
        card = self.cards.pop(transfer_id, None)
        if card is not None:
            self._layout.removeWidget(card)
            self._forget(transfer_id)
        return card

    def _forget(self, transfer_id: str) -> None:
        index = self._order.index(transfer_id)
        del self._order[index]
        del self._keys[index]

    def ordered_ids(self) -> list[str]:
        return list(self._order)
