"""The frame every form dialog shares: its parts top to bottom with the same margins, one
primary button that Enter presses wherever the focus is, and Cancel."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

Part = QWidget | QLayout | tuple[QWidget, int]


def action_buttons(
    dialog: QDialog, text: str, *, accessible: str | None = None
) -> tuple[QDialogButtonBox, QPushButton]:
    """A button box with the dialog's primary action and Cancel (which rejects the dialog)."""
    buttons = QDialogButtonBox()
    primary = QPushButton(text)
    primary.setAccessibleName(accessible or text)
    buttons.addButton(primary, QDialogButtonBox.ButtonRole.AcceptRole)
    buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
    buttons.rejected.connect(dialog.reject)
    return buttons, primary


def lay_out(dialog: QDialog, *parts: Part, primary: QPushButton, spacing: int = 12) -> None:
    """Stack `parts` (a widget, a layout, or a widget with its stretch) and make Enter press
    `primary` wherever the focus is: no other button takes the default when focused."""
    layout = QVBoxLayout(dialog)
    layout.setContentsMargins(18, 16, 18, 14)
    layout.setSpacing(spacing)
    stretched = any(isinstance(part, tuple) for part in parts)
    for index, part in enumerate(parts):
        if not stretched and index == len(parts) - 1:
            layout.addStretch(1)  # spare height (a message closed) above the buttons, not inside
        if isinstance(part, tuple):
            layout.addWidget(part[0], part[1])
        elif isinstance(part, QLayout):
            layout.addLayout(part)
        else:
            layout.addWidget(part)
    for button in dialog.findChildren(QPushButton):
        button.setAutoDefault(button is primary)
    primary.setDefault(True)
