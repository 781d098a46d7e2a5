"""Who the agent at this desk is, and whether they can take calls: available, busy or away."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from frontdesk_app.domain.models import Agent, AgentStatus

STATUSES: list[tuple[AgentStatus, str, str]] = [
    ("available", "● Available", "#17803d"),
    ("busy", "● Busy", "#b45309"),
    ("away", "● Away", "#6b7785"),
]


class AgentControl(QWidget):
    """An agent chooser and three status buttons; emits what the person picks."""

    agent_chosen = Signal(str)
    status_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.agent = QComboBox(self)
        self.agent.setAccessibleName("You are")
        self.agent.setMinimumWidth(150)
        self.agent.addItem("Choose who you are…", "")
        self.buttons: dict[AgentStatus, QPushButton] = {}
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        caption = QLabel("You are", self)
        caption.setProperty("role", "hint")
        layout.addWidget(caption)
        layout.addWidget(self.agent)
        layout.addSpacing(10)
        for status, label, colour in STATUSES:
            button = QPushButton(label, self)
            button.setCheckable(True)
            # Wide enough for the bold checked label, so it never clips.
            button.setMinimumWidth(button.fontMetrics().horizontalAdvance(label) + 44)
            button.setAccessibleName(f"Set status {status}")
            button.setStyleSheet(
                f"QPushButton:checked {{ background: {colour}; border-color: {colour};"
                " color: #ffffff; font-weight: 600; }"
            )
            button.clicked.connect(lambda _=False, s=status: self.status_chosen.emit(s))
            self._group.addButton(button)
            self.buttons[status] = button
            layout.addWidget(button)
        layout.addStretch(1)
        self.agent.activated.connect(self.on_agent_activated)
        self.set_status(None)

    def set_agents(self, agents: list[Agent], current: str) -> None:
        self.agent.blockSignals(True)
        self.agent.clear()
        self.agent.addItem("Choose who you are…", "")
        for agent in sorted(agents, key=lambda a: a.name):
            self.agent.addItem(agent.name, agent.id)
        index = self.agent.findData(current)
        self.agent.setCurrentIndex(max(index, 0))
        self.agent.blockSignals(False)

    def set_status(self, status: AgentStatus | None) -> None:
        """Show the status (None when no agent is chosen: the buttons are disabled)."""
        # An exclusive group refuses to uncheck its last button; lift that while updating.
        self._group.setExclusive(False)
        for value, button in self.buttons.items():
            button.setEnabled(status is not None)
            button.setChecked(value == status)
        self._group.setExclusive(True)

    @property
    def status(self) -> AgentStatus | None:
        for value, button in self.buttons.items():
            if button.isChecked():
                return value
        return None

    def on_agent_activated(self, index: int) -> None:
        agent_id = self.agent.itemData(index)
        self.agent_chosen.emit(agent_id if isinstance(agent_id, str) else "")
