"""An open call: the AI's summary, what it collected, the full transcript, and what to do next.

Before the agent accepts, the view offers Accept; once the call is theirs, one click starts a
booking, reschedule, cancel, eligibility check or prescription lookup for the caller, and
Complete records the disposition and notes.
"""

from __future__ import annotations

import html
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from frontdesk_app.domain.models import Patient, Transfer
from frontdesk_app.ui.audit_menu import record_view
from frontdesk_app.ui.calls.actions import ACTION_KINDS, ACTION_LABELS, ActionKind
from frontdesk_app.ui.calls.booking_fit import outcome_for
from frontdesk_app.ui.calls.card import caller_title
from frontdesk_app.ui.calls.labels import (
    DISPOSITIONS,
    PRIORITY_STYLE,
    collected_label,
    collected_value,
    intent_label,
    sentiment_colour,
    sentiment_text,
)
from frontdesk_app.ui.patients.header import patient_caption

SPEAKERS = {"caller": "Caller", "ai": "Assistant", "agent": "Agent"}


class CallDetailView(QWidget):
    """The open call; emits what the agent asks for and leaves the doing to the panel."""

    accept_requested = Signal(str)
    action_requested = Signal(str)  # ActionKind
    complete_requested = Signal(str, str, str)  # transfer id, disposition, notes

    def __init__(self, zone: ZoneInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._zone = zone
        self.transfer: Transfer | None = None
        self.mine = False
        self._outcome_set = False

        self.empty = QLabel("Open a call from the queue to see its transcript and details.", self)
        self.empty.setProperty("role", "hint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.badge = QLabel(self)
        self.badge.setObjectName("detailBadge")
        self.title = QLabel(self)
        self.title.setProperty("role", "heading")
        self.phone = QLabel(self)
        self.phone.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.patient_line = QLabel(self)
        self.patient_line.setObjectName("callPatient")
        self.patient_line.setAccessibleName("Patient on file")
        self.patient: Patient | None = None
        self.intent = QLabel(self)
        self.sentiment = QLabel(self)
        self.accept_button = QPushButton("Accept call", self)
        self.accept_button.setProperty("primary", True)
        self.accept_button.setAccessibleName("Accept call")

        self.action_buttons: dict[ActionKind, QPushButton] = {}
        actions = QHBoxLayout()
        actions.setSpacing(6)
        for kind in ACTION_KINDS:
            button = QPushButton(ACTION_LABELS[kind], self)
            button.setAccessibleName(ACTION_LABELS[kind])
            button.clicked.connect(lambda _=False, k=kind: self.action_requested.emit(k))
            self.action_buttons[kind] = button
            actions.addWidget(button)
        actions.addStretch(1)

        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        summary_box = QGroupBox("Assistant's summary", self)
        QVBoxLayout(summary_box).addWidget(self.summary)
        self.collected_box = QGroupBox("Collected by the assistant", self)
        self.collected = QFormLayout(self.collected_box)
        self.collected.setHorizontalSpacing(16)
        self.transcript = QTextBrowser(self)
        self.transcript.setAccessibleName("Transcript")
        self.transcript.setOpenLinks(False)
        self.transcript.setFrameShape(QFrame.Shape.NoFrame)
        self.transcript.setStyleSheet("QTextBrowser { border: none; background: transparent; }")
        transcript_box = QGroupBox("Transcript", self)
        QVBoxLayout(transcript_box).addWidget(self.transcript)

        self.disposition = QComboBox(self)
        self.disposition.setAccessibleName("Disposition")
        for code, label in DISPOSITIONS:
            self.disposition.addItem(label, code)
        self.notes = QPlainTextEdit(self)
        self.notes.setAccessibleName("Call notes")
        self.notes.setPlaceholderText("Notes for the record (optional)")
        self.notes.setMaximumHeight(70)
        self.complete_button = QPushButton("Complete call", self)
        self.complete_button.setAccessibleName("Complete call")
        self.complete_box = QGroupBox("Wrap up", self)
        wrap = QHBoxLayout(self.complete_box)
        wrap.addWidget(self.disposition)
        wrap.addWidget(self.notes, 1)
        wrap.addWidget(self.complete_button, 0, Qt.AlignmentFlag.AlignBottom)

        header = QHBoxLayout()
        header.setSpacing(10)
        header.addWidget(self.badge)
        header.addWidget(self.title)
        header.addWidget(self.phone)
        header.addStretch(1)
        header.addWidget(self.accept_button)
        facts = QHBoxLayout()
        facts.setSpacing(18)
        facts.addWidget(self.intent)
        facts.addWidget(self.sentiment)
        facts.addStretch(1)
        left = QVBoxLayout()
        left.addWidget(summary_box)
        left.addWidget(self.collected_box)
        left.addStretch(1)
        columns = QHBoxLayout()
        columns.setSpacing(14)
        columns.addLayout(left, 1)
        columns.addWidget(transcript_box, 1)

        self.body = QFrame(self)
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(10)
        body.addLayout(header)
        body.addWidget(self.patient_line)
        body.addLayout(facts)
        body.addLayout(actions)
        body.addLayout(columns, 1)
        body.addWidget(self.complete_box)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.empty, 1)
        outer.addWidget(self.body, 1)

        self.accept_button.clicked.connect(self.on_accept_clicked)
        self.complete_button.clicked.connect(self.on_complete_clicked)
        self.clear()

    # --- showing ---

    def clear(self) -> None:
        self.transfer = None
        self.mine = False
        self.set_patient(None)
        self.body.hide()
        self.empty.show()

    def show_transfer(self, transfer: Transfer, *, mine: bool) -> None:
        changed_call = self.transfer is None or self.transfer.transfer_id != transfer.transfer_id
        self.transfer = transfer
        self.mine = mine
        self.empty.hide()
        self.body.show()
        badge, strong, _ = PRIORITY_STYLE[transfer.priority]
        loud = transfer.priority != "normal"
        self.badge.setText(badge)
        self.badge.setStyleSheet(
            f"color: {'#ffffff' if loud else strong}; background: {strong if loud else '#eef2f6'};"
            " border-radius: 4px; padding: 3px 10px; font-weight: 700;"
        )
        self.title.setText(caller_title(transfer))
        call = transfer.call
        if changed_call or self.patient is None:
            self.set_patient(None)
        self.phone.setText(call.caller.phone if call else "")
        if call is not None:
            self.intent.setText(
                f"Intent: {intent_label(call.intent.name)}"
                f" ({round(call.intent.confidence * 100)}% sure)"
            )
            self.sentiment.setText(f"Sentiment: {sentiment_text(call.sentiment)}")
            self.sentiment.setStyleSheet(f"color: {sentiment_colour(call.sentiment)};")
            self.summary.setText(call.summary)
            self._fill_collected(call.collected_data)
            self._fill_transcript(transfer)
            if changed_call:
                record_view("call.view", patient_id=call.caller.patient_id, object_id=call.id)
        else:
            self.intent.clear()
            self.sentiment.clear()
            self.summary.setText(transfer.context_summary or "")
            self._fill_collected({})
            self.transcript.clear()
        self.accept_button.setVisible(not mine)
        knows = self._knows_patient()
        for kind, button in self.action_buttons.items():
            if kind == "new_patient":
                # Only for a caller the clinic has no record of: never a second record.
                button.setVisible(call is not None and not knows)
                button.setEnabled(mine and not knows)
            else:
                button.setEnabled(mine and (kind == "book" or knows))
        self.complete_box.setVisible(mine)
        if changed_call:
            self.notes.clear()
            self._outcome_set = False
        if call is not None and not self._outcome_set:
            # The outcome the call's intent most likely ends with; the agent can change it.
            wanted = outcome_for(call.intent.name)
            self.disposition.setCurrentIndex(max(0, self.disposition.findData(wanted)))
            self._outcome_set = True

    def set_patient(self, patient: Patient | None) -> None:
        """Name the patient on file this call is about (the caller matched by the assistant)."""
        self.patient = patient
        call = self.transfer.call if self.transfer else None
        if patient is not None:
            self.patient_line.setText(f"Patient: {patient_caption(patient)}")
        elif call is not None and call.caller.patient_id:
            self.patient_line.setText("Patient: looking up the record…")
        elif call is not None:
            self.patient_line.setText("Patient: no record matches this caller")
        else:
            self.patient_line.setText("")
        self.patient_line.setVisible(bool(self.patient_line.text()))

    def collected_text(self) -> dict[str, str]:
        """Label → value of the collected data as shown (tests and screen readers)."""
        out: dict[str, str] = {}
        for row in range(self.collected.rowCount()):
            label = self.collected.itemAt(row, QFormLayout.ItemRole.LabelRole)
            value = self.collected.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if label is not None and value is not None:
                label_widget, value_widget = label.widget(), value.widget()
                if isinstance(label_widget, QLabel) and isinstance(value_widget, QLabel):
                    out[label_widget.text()] = value_widget.text()
        return out

    def _knows_patient(self) -> bool:
        call = self.transfer.call if self.transfer else None
        return call is not None and call.caller.patient_id is not None

    def _fill_collected(self, data: dict[str, object]) -> None:
        while self.collected.rowCount():
            self.collected.removeRow(0)
        for key, value in data.items():
            caption = QLabel(collected_label(key))
            caption.setProperty("role", "hint")
            shown = QLabel(collected_value(key, value))
            shown.setWordWrap(True)
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.collected.addRow(caption, shown)
        self.collected_box.setVisible(bool(data))

    def _fill_transcript(self, transfer: Transfer) -> None:
        call = transfer.call
        if call is None:
            return
        rows = []
        for line in call.transcript:
            who = SPEAKERS.get(line.speaker, line.speaker)
            colour = "#1d4a6b" if line.speaker == "caller" else "#4b5b6c"
            rows.append(
                f"<p style='margin:0 0 8px 0'><span style='color:#8593a3'>"
                f"{line.at.astimezone(self._zone):%H:%M:%S}</span>&nbsp;&nbsp;"
                f"<b style='color:{colour}'>{who}</b><br>{html.escape(line.text)}</p>"
            )
        self.transcript.setHtml("".join(rows))

    def transcript_text(self) -> str:
        return self.transcript.toPlainText()

    # --- slots ---

    def on_accept_clicked(self) -> None:
        if self.transfer is not None:
            self.accept_requested.emit(self.transfer.transfer_id)

    def on_complete_clicked(self) -> None:
        if self.transfer is None:
            return
        code = self.disposition.currentData()
        self.complete_requested.emit(
            self.transfer.transfer_id, str(code), self.notes.toPlainText().strip()
        )
