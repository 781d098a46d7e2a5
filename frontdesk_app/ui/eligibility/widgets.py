"""Small building blocks the three panels share: a coloured banner and a label–value grid.

Colours are muted and paired with words and icons-as-text, so a state never rests on colour
alone (colour-blind receptionists read the same panel).
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QFrame, QLabel, QVBoxLayout, QWidget

Tone = Literal["ok", "bad", "warn", "info", "alarm"]

# background, text, border — calm tints for all but the one that must be impossible to miss.
TONES: dict[Tone, tuple[str, str, str]] = {
    "ok": ("#e9f6ef", "#17603a", "#b9dfc8"),
    "bad": ("#fcebea", "#9a1f1a", "#f1c0bd"),
    "warn": ("#fff5e1", "#7a4a00", "#f0d49a"),
    "info": ("#eef2f7", "#2f3d4f", "#d3dbe6"),
    "alarm": ("#b3261e", "#ffffff", "#8c1d17"),
}


def tone_style(tone: Tone, selector: str = "QFrame") -> str:
    background, text, border = TONES[tone]
    return (
        f"{selector} {{ background: {background}; color: {text}; border: 1px solid {border};"
        " border-radius: 6px; }"
        f" QLabel {{ color: {text}; background: transparent; border: none; }}"
    )


def money(amount: int) -> str:
    """Whole dollars as the API gives them: `$25`, `$1,500`."""
    return f"${amount:,}"


class Banner(QFrame):
    """A headline and a detail line in one of a few tones; hidden until given something."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.title = QLabel(self)
        self.title.setObjectName("bannerTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        self.tone: Tone | None = None
        self.hide()

    def show_message(self, tone: Tone, title: str, detail: str = "") -> None:
        self.tone = tone
        self.setStyleSheet(tone_style(tone, "QFrame#banner"))
        self.title.setText(title)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        self.setAccessibleName(f"{title}. {detail}".strip())
        self.show()

    def clear(self) -> None:
        self.tone = None
        self.title.clear()
        self.detail.clear()
        self.hide()


class FieldGrid(QWidget):
    """Label–value rows (`Copay  $25`) whose values can be replaced in place."""

    def __init__(self, labels: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._values: dict[str, QLabel] = {}
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(18)
        form.setVerticalSpacing(6)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        for key, label in labels:
            caption = QLabel(label, self)
            caption.setProperty("role", "hint")
            value = QLabel("—", self)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAccessibleName(label)
            self._values[key] = value
            form.addRow(caption, value)

    def set(self, key: str, text: str) -> None:
        self._values[key].setText(text)

    def value(self, key: str) -> str:
        return self._values[key].text()

    def clear(self) -> None:
        for value in self._values.values():
            value.setText("—")
