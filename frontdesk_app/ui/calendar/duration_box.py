"""Length of an appointment: common lengths to pick, any 5–480 minutes to type."""

from __future__ import annotations

import re

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QWidget

from frontdesk_app.domain.scheduling import MAX_DURATION_MINUTES, MIN_DURATION_MINUTES

COMMON = (10, 15, 20, 30, 45, 60, 90, 120)
_NUMBER = re.compile(r"\d+")


def label(minutes: int) -> str:
    if minutes >= 60 and minutes % 60 == 0:
        hours = minutes // 60
        return f"{minutes} min ({hours} hour{'s' if hours > 1 else ''})"
    return f"{minutes} min"


class DurationBox(QComboBox):
    """An editable list; `value()` is the minutes typed or picked (clamped to the rules)."""

    valueChanged = Signal(int)

    def __init__(self, minutes: int = 30, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setAccessibleName("Length in minutes")
        self.setMinimumContentsLength(14)
        for value in COMMON:
            self.addItem(label(value), value)
        self._last = -1
        self.setValue(minutes)
        self.currentTextChanged.connect(self._on_text_changed)

    def value(self) -> int:
        match = _NUMBER.search(self.currentText())
        minutes = int(match.group()) if match else 30
        return max(MIN_DURATION_MINUTES, min(MAX_DURATION_MINUTES, minutes))

    def setValue(self, minutes: int) -> None:
        index = self.findData(minutes)
        if index >= 0:
            self.setCurrentIndex(index)
        else:
            self.setEditText(label(minutes))
        self._emit_if_changed()

    def _on_text_changed(self, _text: str) -> None:
        self._emit_if_changed()

    def _emit_if_changed(self) -> None:
        value = self.value()
        if value != self._last:
            self._last = value
            self.valueChanged.emit(value)
