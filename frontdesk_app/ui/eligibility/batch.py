"""Checking tomorrow's appointments: every check of a day, a progress bar, then a summary.

The summary lists who needs a person (not eligible, member ID not found, payer not answering,
not checked), each one click away from that patient in the panel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from frontdesk_app.domain.timeutil import utc_now
from frontdesk_app.ui.async_bridge import AsyncBridge
from frontdesk_app.ui.eligibility.service import EligibilityService
from frontdesk_app.ui.eligibility.state import BatchItem, BatchSummary


class BatchBox(QGroupBox):
    """Runs `EligibilityService.check_day` for tomorrow without blocking the window."""

    finished = Signal(object)  # BatchSummary
    patient_requested = Signal(object)  # BatchItem: show this patient in the panel

    def __init__(
        self,
        service: EligibilityService,
        bridge: AsyncBridge,
        *,
        zone: ZoneInfo,
        clock: Callable[[], datetime] = utc_now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Tomorrow's appointments", parent)
        self._service = service
        self._bridge = bridge
        self._zone = zone
        self._clock = clock
        self._task: asyncio.Task[BatchSummary] | None = None
        self.summary: BatchSummary | None = None

        self.start_button = QPushButton("Check tomorrow's appointments", self)
        self.start_button.setAccessibleName("Check tomorrow's appointments")
        self.cancel_button = QPushButton("Stop", self)
        self.cancel_button.setAccessibleName("Stop checking")
        self.cancel_button.hide()
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName("Checks done")
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.result = QLabel(self)
        self.result.setWordWrap(True)
        self.result.setAccessibleName("Summary of tomorrow's checks")
        self.result.hide()
        self.attention = QListWidget(self)
        self.attention.setAccessibleName("Appointments that need a person")
        self.attention.setToolTip("Click one to check that patient here")
        self.attention.setMaximumHeight(150)
        self.attention.hide()

        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.result)
        layout.addWidget(self.attention)
        self.attention.itemActivated.connect(self.on_attention_activated)
        self.attention.itemClicked.connect(self.on_attention_activated)
        self.start_button.clicked.connect(self.on_start_clicked)
        self.cancel_button.clicked.connect(self.on_cancel_clicked)

    def tomorrow(self) -> date:
        return self._clock().astimezone(self._zone).date() + timedelta(days=1)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, day: date | None = None) -> None:
        if self.running:
            return
        day = day or self.tomorrow()
        self.summary = None
        self.attention.clear()
        self.attention.hide()
        self.start_button.setEnabled(False)
        self.cancel_button.show()
        self.progress.setRange(0, 0)  # busy until the day's appointments are listed
        self.progress.show()
        self.result.setText(f"Listing appointments for {day:%a %d %b}…")
        self.result.show()
        self._task = self._bridge.run(
            self._service.check_day(day, self._on_progress),
            on_success=self._on_finished,
            on_error=self._on_failed,
            where=self.parent(),
            context="checking tomorrow's appointments",
        )
        self._task.add_done_callback(self._on_task_done)

    def on_start_clicked(self) -> None:
        self.start()

    def on_cancel_clicked(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.result.setText("Stopped. The checks already done are kept.")

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        if total:
            self.result.setText(f"Checked {done} of {total} appointments…")

    def _on_finished(self, summary: BatchSummary) -> None:
        self.summary = summary
        text = summary.text() if summary.total else "No appointments tomorrow."
        if summary.attention:
            text += ". These need you:"
        self.result.setText(text)
        self.attention.clear()
        for entry in summary.attention:
            item = QListWidgetItem(entry.text(self._zone))
            item.setData(Qt.ItemDataRole.UserRole, entry)
            self.attention.addItem(item)
        self.attention.setVisible(bool(summary.attention))
        self.finished.emit(summary)

    def on_attention_activated(self, item: QListWidgetItem) -> None:
        entry = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(entry, BatchItem):
            self.patient_requested.emit(entry)

    def _on_failed(self, _exc: BaseException) -> bool:
        self.result.setText("The run stopped before the end; see the message.")
        return False

    def _on_task_done(self, _task: asyncio.Task[BatchSummary]) -> None:
        self.start_button.setEnabled(True)
        self.cancel_button.hide()
