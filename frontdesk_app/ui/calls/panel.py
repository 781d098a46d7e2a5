"""The live-calls panel: this agent's availability, their queue of transfers, the open call.

Transfers arrive from the event feed (`transfer.created`) and become cards at once, most
pressing first; `transfer.accepted` by another agent removes a card live. Accepting, completing
and the one-click actions go through the backend on the qasync loop, never blocking.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import FrontDeskError, InvalidState, NotFound
from frontdesk_app.domain.models import (
    Agent,
    AgentStatus,
    AppointmentQuery,
    Event,
    Patient,
    Transfer,
    TransferCompletion,
)
from frontdesk_app.domain.timeutil import utc_now
from frontdesk_app.ui.async_bridge import AsyncBridge
from frontdesk_app.ui.calls.actions import (
    ACTION_KINDS,
    ActionKind,
    CallAction,
    build_action,
    pick_appointment,
)
from frontdesk_app.ui.calls.availability import AgentControl
from frontdesk_app.ui.calls.call_bar import CallBar
from frontdesk_app.ui.calls.card import TransferCard
from frontdesk_app.ui.calls.card_list import CardList, waiting_text
from frontdesk_app.ui.calls.detail import CallDetailView
from frontdesk_app.ui.calls.handling import CallHandling
from frontdesk_app.ui.calls.notifier import TransferNotifier
from frontdesk_app.ui.calls.queue import TRANSFER_EVENTS, QueueChange, TransferQueue, is_loud
from frontdesk_app.ui.events import EventFeed
from frontdesk_app.ui.message_bar import MessageBar
from frontdesk_app.ui.panels import SLOT_CALLS, PanelContext, PanelSpec
from frontdesk_app.ui.sync_status import when_the_server_answers

# Once a second: the offer countdown and the call bar's timer.
WAIT_REFRESH_MS = 1_000
# The events that can change this panel: the rest (appointments …) pass it by.
CALL_EVENTS = TRANSFER_EVENTS | {"agent.status_changed"}
# Seconds of card building per turn of the event loop: a burst of transfers (or a long queue
# read again) is placed over several turns, so the window keeps its frame meanwhile.
PLACE_BUDGET = 0.004
STATUS_VALUES: dict[str, AgentStatus] = {"available": "available", "busy": "busy", "away": "away"}
NEEDS_APPOINTMENT: frozenset[ActionKind] = frozenset({"reschedule", "cancel", "eligibility"})


class CallsPanel(QWidget):
    """Live calls for the agent `agent_id` (chosen in settings or in the panel's header)."""

    action_requested = Signal(object)  # a CallAction from actions.py
    agent_changed = Signal(str)  # the person chose who they are: save it in the settings

    def __init__(
        self,
        backend: Backend,
        bridge: AsyncBridge,
        feed: EventFeed | None,
        *,
        zone: ZoneInfo,
        agent_id: str = "",
        notifier: TransferNotifier | None = None,
        clock: Callable[[], datetime] = utc_now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("callsPanel")
        self.setAccessibleName("Live calls")
        self._backend = backend
        self._bridge = bridge
        self._zone = zone
        self._clock = clock
        self.notifier = notifier if notifier is not None else TransferNotifier(self)
        self.agent_id = agent_id
        self.queue = TransferQueue(agent_id)
        self._unlisten_queue = self.queue.add_listener(self.on_queue_changed)
        self._loaded = False
        self._announced: set[str] = set()
        self._changes = 0  # events seen: a listing started before one of them is stale
        self.router: object | None = None  # the main window's CallActionRouter, if any

        self.control = AgentControl(self)
        self.message = MessageBar(self)
        self.waiting = QLabel(self)
        self.waiting.setProperty("role", "hint")
        self.waiting.setWordWrap(True)
        self.mine_title = QLabel("On the line", self)
        self.mine_title.setProperty("role", "heading")
        self.mine_list = CardList(self)
        self.queue_title = QLabel("Waiting for you", self)
        self.queue_title.setProperty("role", "heading")
        self.queue_list = CardList(self)
        self.empty = QLabel("No calls waiting.", self)
        self.empty.setProperty("role", "hint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail = CallDetailView(zone, self)
        # Shown above every panel by the main window while a call is on the line.
        self.call_bar = CallBar(clock, self)
        self._asked_expiry: set[str] = set()  # offers past their time we asked the server about
        self._build_layout()
        # Over the cards, not above them: a notice never moves what the agent is clicking.
        self.message.setParent(self)
        self.message.raise_()

        self.control.agent_chosen.connect(self.on_control_agent_chosen)
        self.control.status_chosen.connect(self.on_control_status_chosen)
        self.detail.accept_requested.connect(self.on_accept_requested)
        self.detail.action_requested.connect(self.on_detail_action_requested)
        self.detail.complete_requested.connect(self.on_detail_complete_requested)
        # Keyboard accept, decline and complete, and the notices about offers (`handling`).
        self.keys = CallHandling(self, backend, bridge)
        self.call_bar.open_requested.connect(self.keys.on_call_bar_open_requested)
        self.call_bar.complete_requested.connect(self.keys.on_call_bar_open_requested)
        unsubscribe_feed = feed.subscribe(self.on_feed_events) if feed else None
        self._unsubscribe_feed = unsubscribe_feed
        if unsubscribe_feed is not None:
            # The feed outlives panels (tests make several): never call into a deleted one.
            self.destroyed.connect(lambda *_: unsubscribe_feed())
        # An offline-first backend: reload the queue when the server answers (again).
        unsubscribe_state = when_the_server_answers(backend, self.on_server_answers)
        if unsubscribe_state is not None:
            self.destroyed.connect(lambda *_: unsubscribe_state())
        # Transfers whose cards are still to be placed, oldest change first (`_place_pending`).
        self._to_place: dict[str, Transfer] = {}
        self._place_timer = QTimer(self)
        self._place_timer.setSingleShot(True)
        self._place_timer.setInterval(0)
        self._place_timer.timeout.connect(self._place_pending)
        self._tick = QTimer(self)
        self._tick.setInterval(WAIT_REFRESH_MS)
        self._tick.timeout.connect(self.on_tick_timeout)
        self._tick.start()
        self._update_sections()
        self.reload()

    def _build_layout(self) -> None:
        column = QWidget(self)
        cards = QVBoxLayout(column)
        cards.setContentsMargins(0, 0, 8, 0)
        cards.setSpacing(10)
        cards.addWidget(self.mine_title)
        cards.addWidget(self.mine_list)
        cards.addWidget(self.queue_title)
        cards.addWidget(self.queue_list)
        cards.addWidget(self.empty)
        cards.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        # Let the tab's white page show through instead of the scroll area's grey.
        scroll.setObjectName("panelScroll")
        scroll.setStyleSheet(
            "QScrollArea#panelScroll, QScrollArea#panelScroll > QWidget > QWidget"
            " { background: transparent; }"
        )
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(column)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        # A fixed height: the count appearing or changing never moves the cards under it.
        self.waiting.setFixedHeight(self.waiting.fontMetrics().height() * 2 + 6)
        left_layout.addWidget(self.waiting)
        left_layout.addWidget(scroll, 1)
        left.setMinimumWidth(400)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([440, 760])
        top = QHBoxLayout()
        top.addWidget(self.control, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 12)
        outer.setSpacing(10)
        outer.addLayout(top)
        outer.addWidget(splitter, 1)

    # --- public ---

    def reload(self) -> None:
        """Load the agents and this agent's transfers (start-up, agent change, reconnect)."""
        mark = (self._changes, self.agent_id)
        self._bridge.run(
            self._load(),
            on_success=lambda loaded: self._on_loaded(loaded, mark),
            where=self,
            context="loading live calls",
        )

    def set_agent(self, agent_id: str) -> None:
        if agent_id == self.agent_id:
            return
        self.agent_id = agent_id
        self._unlisten_queue()
        self.queue = TransferQueue(agent_id)
        self._unlisten_queue = self.queue.add_listener(self.on_queue_changed)
        self._to_place.clear()
        for card_list in (self.mine_list, self.queue_list):
            for tid in list(card_list.cards):
                self._drop_card(card_list, tid)
        self.detail.clear()
        self.reload()

    def card(self, transfer_id: str) -> TransferCard | None:
        return self.queue_list.cards.get(transfer_id) or self.mine_list.cards.get(transfer_id)

    def open_transfer(self, transfer_id: str) -> None:
        transfer = self.queue.get(transfer_id)
        if transfer is None:
            return
        self.detail.show_transfer(transfer, mine=self.queue.place_of(transfer) == "mine")
        self._look_up_patient(transfer)
        if transfer.call is None:
            self._bridge.run(
                self._backend.get_call(transfer.call_id),
                on_success=lambda call: self._with_call(transfer_id, call),
                where=self,
                context="opening the call",
            )

    def accept(self, transfer_id: str) -> None:
        if not self.agent_id:
            self.show_message("Choose who you are first", level="warning")
            return
        self._bridge.run(
            self._backend.accept_transfer(transfer_id, self.agent_id),
            on_success=self._on_accepted,
            on_error=lambda exc: self.on_taken_elsewhere(transfer_id, exc),
            where=self,
            busy="Accepting the call",
            context="accepting a call",
        )

    def show_error(self, error: FrontDeskError) -> None:
        self.message.show_error(error)
        self._place_message()

    # --- loading ---

    async def _load(self) -> tuple[list[Agent], list[Transfer]]:
        agents = await self._backend.list_agents()
        if not self.agent_id:
            return agents, []
        queued = await self._backend.list_transfers(status="queued")
        own = await self._backend.list_transfers(agent_id=self.agent_id)
        return agents, queued + [t for t in own if t.status != "completed"]

    def _on_loaded(self, loaded: tuple[list[Agent], list[Transfer]], mark: tuple[int, str]) -> None:
        agents, transfers = loaded
        if mark[1] != self.agent_id:
            return  # loaded for the agent this desk was before
        self.control.set_agents(agents, self.agent_id)
        if mark[0] == self._changes:
            me = next((a for a in agents if a.id == self.agent_id), None)
            self.queue.status = me.status if me else "away"
            self.queue.replace_all(transfers)
        else:
            # Events arrived while loading: they are newer than this listing, so merge it
            # (transfers only move forward) and keep the status the events gave.
            self.queue.apply(transfers)
        self.control.set_status(self.queue.status if self.agent_id else None)
        self._loaded = True
        self._update_sections()

    # --- events ---

    def on_feed_events(self, events: list[Event]) -> None:
        self._changes += 1
        if not any(e.type in CALL_EVENTS for e in events):
            return  # appointments and the like: nothing here changes (the queue may be long)
        change = self.queue.apply_events(events)
        self.keys.tell_missed_offers(events)
        self.control.set_status(self.queue.status if self.agent_id else None)
        if not change:
            # The waiting count changes even when nothing visible to this agent did (a change
            # has updated the sections already, as its cards were placed).
            self._update_sections()

    def on_queue_changed(self, change: QueueChange) -> None:
        for tid in change.removed:
            self._to_place.pop(tid, None)
            for card_list in (self.mine_list, self.queue_list):
                self._drop_card(card_list, tid)
            if self.detail.transfer is not None and self.detail.transfer.transfer_id == tid:
                self.detail.clear()
        for transfer in (*change.added, *change.updated):
            self._to_place[transfer.transfer_id] = transfer
        self._place_pending()
        # Ring once per caller who starts waiting for this agent, however the desk learnt of
        # them (the event, or a listing that arrived first).
        for transfer in change.added:
            if (
                transfer.transfer_id not in self._announced
                and self.queue.place_of(transfer) == "queue"
                and (self.queue.status == "available" or is_loud(transfer.priority))
            ):
                self._announced.add(transfer.transfer_id)
                self.notifier.notify(transfer)

    def _place_pending(self) -> None:
        """Place the cards waiting to be, for at most `PLACE_BUDGET` (at least one card); the
        rest on the next turn of the event loop. A hidden panel keeps them until it is shown."""
        began = time.perf_counter()
        while self._to_place and self.isVisible():
            tid = next(iter(self._to_place))
            self._place_card(self._to_place.pop(tid))
            if self._to_place and time.perf_counter() - began > PLACE_BUDGET:
                self._place_timer.start()
                break
        self._update_sections()

    def _place_card(self, transfer: Transfer) -> None:
        place = self.queue.place_of(transfer)
        target, other = (
            (self.mine_list, self.queue_list)
            if place == "mine"
            else (self.queue_list, self.mine_list)
        )
        card = other.take(transfer.transfer_id) or target.cards.get(transfer.transfer_id)
        if card is None:
            # Made in its list: no move to another parent (and style sheet) after.
            card = TransferCard(transfer, self._zone, target)
            card.open_requested.connect(self.open_transfer)
            card.accept_requested.connect(self.on_accept_requested)
            card.decline_requested.connect(self.keys.decline)
        card.set_transfer(transfer, mine=place == "mine")
        card.refresh_wait(self._clock())
        target.put(card)
        card.show()
        if self.detail.transfer is not None and (
            self.detail.transfer.transfer_id == transfer.transfer_id
        ):
            self.detail.show_transfer(transfer, mine=place == "mine")
            self._look_up_patient(transfer)

    def _drop_card(self, card_list: CardList, transfer_id: str) -> None:
        card = card_list.take(transfer_id)
        if card is not None:
            card.hide()
            card.deleteLater()

    def _update_sections(self) -> None:
        has_mine = bool(self.mine_list.cards)
        self.mine_title.setVisible(has_mine)
        self.mine_list.setVisible(has_mine)
        has_queue = bool(self.queue_list.cards)
        self.queue_title.setVisible(has_queue)
        self.queue_list.setVisible(has_queue)
        self.empty.setVisible(not has_mine and not has_queue)
        if not self.agent_id:
            self.empty.setText("Choose who you are to see calls transferred to you.")
            self.waiting.setText("")
        else:
            self.empty.setText("No calls waiting." if self._loaded else "Loading calls…")
            self.waiting.setText(waiting_text(self.queue.waiting_by_priority(), self.queue.status))
        self.call_bar.show_call(next(iter(self.queue.mine()), None))

    # --- agent and status ---

    def on_control_agent_chosen(self, agent_id: str) -> None:
        self.set_agent(agent_id)
        self.agent_changed.emit(agent_id)

    def on_control_status_chosen(self, status: str) -> None:
        chosen = STATUS_VALUES.get(status)
        if not self.agent_id or chosen is None:
            return
        self._bridge.run(
            self._backend.set_agent_status(self.agent_id, chosen),
            on_success=self._on_status_set,
            where=self,
            context="changing your status",
        )

    def _on_status_set(self, agent: Agent) -> None:
        if agent.id != self.agent_id:
            return
        self.control.set_status(agent.status)
        self.queue.set_status(agent.status)
        if agent.status == "available":
            # Queued transfers may have been assigned meanwhile: fetch the current truth.
            self.reload()
        self._update_sections()

    def set_status(self, status: AgentStatus) -> None:
        self.on_control_status_chosen(status)

    # --- accept, complete, actions ---

    def on_accept_requested(self, transfer_id: str) -> None:
        self.accept(transfer_id)

    def _on_accepted(self, transfer: Transfer) -> None:
        self.queue.apply([transfer])
        self.open_transfer(transfer.transfer_id)

    def on_taken_elsewhere(self, transfer_id: str, exc: BaseException) -> bool:
        if isinstance(exc, InvalidState | NotFound):
            # Another agent was quicker: say so and show the queue as it is now.
            self.show_message(
                "Another agent took this call", "It has left your queue.", level="info"
            )
            self.reload()
            return True
        return False

    def on_detail_complete_requested(self, transfer_id: str, disposition: str, notes: str) -> None:
        self._bridge.run(
            self._backend.complete_transfer(
                transfer_id, TransferCompletion(disposition=disposition, notes=notes or None)
            ),
            on_success=self._on_completed,
            where=self,
            busy="Completing the call",
            context="completing a call",
        )

    def _on_completed(self, transfer: Transfer) -> None:
        self.queue.apply([transfer])
        self.detail.clear()
        self.show_message("Call completed", level="info", timeout_ms=4000)

    def on_detail_action_requested(self, kind: str) -> None:
        transfer = self.detail.transfer
        action = next((k for k in ACTION_KINDS if k == kind), None)
        if transfer is None or action is None:
            return
        self._bridge.run(
            self._build(action, transfer),
            on_success=self.action_requested.emit,
            where=self,
            context="preparing the caller's request",
        )

    async def _build(self, kind: ActionKind, transfer: Transfer) -> CallAction:
        now = self._clock()
        today = now.astimezone(self._zone).date()
        call = transfer.call
        appointment = None
        if kind in NEEDS_APPOINTMENT and call is not None and call.caller.patient_id:
            page = await self._backend.list_appointments(
                AppointmentQuery(patient_id=call.caller.patient_id, start=now, limit=50)
            )
            day = call.collected_data.get("current_appointment_day")
            appointment = pick_appointment(page.data, day, self._zone, now)
        return build_action(kind, transfer, today=today, zone=self._zone, appointment=appointment)

    def _look_up_patient(self, transfer: Transfer) -> None:
        """Name the caller's patient record in the open call; an answer for a call no longer
        open (or a record another call matched) is dropped."""
        patient_id = transfer.call.caller.patient_id if transfer.call else None
        if not patient_id or self.detail.patient is not None:
            return
        wanted = transfer.transfer_id

        def show(patient: Patient) -> None:
            shown = self.detail.transfer
            call = shown.call if shown else None
            if (
                shown is not None
                and shown.transfer_id == wanted
                and call is not None
                and call.caller.patient_id == patient.id
            ):
                self.detail.set_patient(patient)

        self._bridge.run(
            self._backend.get_patient(patient_id),
            on_success=show,
            on_error=lambda exc: isinstance(exc, FrontDeskError),
            owner=self,
            context="looking up the caller's record",
        )

    def _with_call(self, transfer_id: str, call: object) -> None:
        transfer = self.queue.get(transfer_id)
        if transfer is not None and transfer.call is None:
            self.queue.apply([transfer.model_copy(update={"call": call})])

    def on_window_settings_changed(self, settings: object, _reconnect: bool) -> None:
        """The person chose who they are in the settings dialog."""
        agent_id = getattr(settings, "agent_id", None)
        if isinstance(agent_id, str):
            self.set_agent(agent_id)

    def on_server_answers(self) -> None:
        self.message.hide()
        self.reload()

    def on_tick_timeout(self) -> None:
        """Each second: the cards' waiting times (while the panel shows), the call bar, and
        offers whose time is up (the server passes them on: show where each went)."""
        now = self._clock()
        if self.isVisible():
            for card_list in (self.mine_list, self.queue_list):
                for card in card_list.cards.values():
                    card.refresh_wait(now)
        self.call_bar.refresh()
        ran_out = set(self.queue.offers_run_out(now)) - self._asked_expiry
        if ran_out:
            self._asked_expiry |= ran_out
            self.reload()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # Cards are made and kept current only while they can be seen (a queue may be long).
        self._place_pending()
        self.on_tick_timeout()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_message()

    def _place_message(self) -> None:
        """The message floats at the top of the panel, over the cards, never pushing them."""
        width = min(self.width() - 32, 720)
        self.message.setFixedWidth(max(200, width))
        self.message.adjustSize()
        self.message.move(self.width() - self.message.width() - 16, 56)
        self.message.raise_()

    def show_message(self, title: str, text: str = "", **options: Any) -> None:
        self.message.show_message(title, text, **options)
        self._place_message()

    def shutdown(self) -> None:
        """Stop listening to the feed and the clock (the window is closing)."""
        self._tick.stop()
        self._place_timer.stop()
        if self._unsubscribe_feed is not None:
            self._unsubscribe_feed()
            self._unsubscribe_feed = None
        self.notifier.close()


def calls_panel_spec() -> PanelSpec:
    return PanelSpec("calls", "Live calls", SLOT_CALLS, build_calls_panel, icon="calls")


def build_calls_panel(ctx: PanelContext) -> CallsPanel:
    """The panel for the main window (`ui.calls.wiring`)."""
    from frontdesk_app.ui.calls.wiring import build_calls_panel as build

    return build(ctx)
