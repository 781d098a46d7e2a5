"""Add a patient to the waitlist, or change what they asked for: who, with whom, what and how
long, which days and times.

Saved through the one write path (offline: at once in this computer's copy, sent later). A
refusal is shown in the dialog with its reason; everything entered stays.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QWidget,
)

from frontdesk_app.domain import clock
from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import FieldError, FrontDeskError, ValidationFailed
from frontdesk_app.domain.ids import WAITLIST, new_id
from frontdesk_app.domain.models import APPOINTMENT_TYPES, Patient, Provider
from frontdesk_app.domain.waitlist import (
    DAY_PARTS,
    NOTES_MAX,
    WEEKDAY_NAMES,
    DayPart,
    WaitlistEntry,
    WaitlistRequest,
)
from frontdesk_app.ui.async_bridge import AsyncBridge
from frontdesk_app.ui.calendar.duration_box import DurationBox
from frontdesk_app.ui.calendar.palette import type_style
from frontdesk_app.ui.calendar.patient_search import PatientSearch
from frontdesk_app.ui.form_dialog import action_buttons, lay_out
from frontdesk_app.ui.message_bar import MessageBar

ANY_PROVIDER = ""


class WaitlistEntryDialog(QDialog):
    """Non-modal to the event loop: opened with `open()`."""

    saved = Signal(object)  # WaitlistEntry

    def __init__(
        self,
        backend: Backend,
        bridge: AsyncBridge,
        *,
        providers: list[Provider],
        zone: ZoneInfo,
        patient: Patient | None = None,
        entry: WaitlistEntry | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """`entry` (with its `patient`): change that entry instead of adding one."""
        super().__init__(parent)
        title = "Add to the waitlist" if entry is None else "Change the waitlist entry"
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setMinimumWidth(520)
        self._backend = backend
        self._bridge = bridge
        # One id for this entry, one key per request: saving twice (a retry) is one entry.
        self.entry_id = new_id(WAITLIST) if entry is None else entry.id
        self._key = new_id("idem", 20)
        self._last_request: WaitlistRequest | None = None
        self.message = MessageBar(self)
        heading = QLabel(
            "Add a patient to the waitlist" if entry is None else "What the patient asked for"
        )
        heading.setProperty("role", "heading")
        self.patient = PatientSearch(backend, bridge, self, zone=zone)
        self.provider = QComboBox()
        self.provider.setAccessibleName("Provider")
        self.provider.addItem("Any provider", ANY_PROVIDER)
        for p in providers:
            self.provider.addItem(f"{p.name} — {p.specialty}", p.id)
        self.type = QComboBox()
        self.type.setAccessibleName("Appointment type")
        for value in APPOINTMENT_TYPES:
            self.type.addItem(type_style(value).label, value)
        self.duration = DurationBox(30)
        self.weekdays = [QCheckBox(name) for name in WEEKDAY_NAMES]
        days = QHBoxLayout()
        for box in self.weekdays:
            box.setAccessibleName(f"Weekday {box.text()}")
            days.addWidget(box)
        days.addStretch(1)
        self.day_parts = {part: QCheckBox(part.capitalize()) for part in DAY_PARTS}
        parts = QHBoxLayout()
        for box in self.day_parts.values():
            parts.addWidget(box)
        parts.addStretch(1)
        today = clock.today(zone)
        self.earliest = _date_box("Earliest date", today)
        self.use_latest = QCheckBox("Until")
        self.latest = _date_box("Latest date", today)
        self.latest.setEnabled(False)
        self.use_latest.toggled.connect(self.latest.setEnabled)
        window = QHBoxLayout()
        window.addWidget(QLabel("From"))
        window.addWidget(self.earliest)
        window.addSpacing(12)
        window.addWidget(self.use_latest)
        window.addWidget(self.latest)
        window.addStretch(1)
        self.notes = QPlainTextEdit()
        self.notes.setAccessibleName("Notes")
        self.notes.setPlaceholderText("What the patient said: why earlier, how to reach them")
        self.notes.setFixedHeight(64)
        hint = QLabel("No weekday or time of day ticked: any day, any time.")
        hint.setProperty("role", "hint")

        form = QFormLayout()
        form.setSpacing(10)
        form.addRow("Patient", self.patient)
        form.addRow("Provider", self.provider)
        form.addRow("Type", self.type)
        form.addRow("Length", self.duration)
        form.addRow("Days", days)
        form.addRow("Time of day", parts)
        form.addRow("", hint)
        form.addRow("Dates", window)
        form.addRow("Notes", self.notes)
        buttons, self.save_button = action_buttons(
            self, "Add to waitlist" if entry is None else "Save changes"
        )
        self.save_button.clicked.connect(self.submit)
        lay_out(self, heading, self.message, form, buttons, primary=self.save_button)
        if patient is not None:
            self.patient.set_patient(patient)
        # Changing an entry keeps its patient (another patient is another entry).
        self._patient_id = entry.patient_id if entry is not None else None
        if entry is not None:
            self.patient.setEnabled(False)
            self._show(entry)

    def _show(self, entry: WaitlistEntry) -> None:
        """The entry's wishes in the form, as they were saved."""
        self.provider.setCurrentIndex(max(0, self.provider.findData(entry.provider_id or "")))
        self.type.setCurrentIndex(max(0, self.type.findData(entry.type)))
        self.duration.setValue(entry.duration_minutes)
        for index, box in enumerate(self.weekdays):
            box.setChecked(index in entry.weekdays)
        for part, box in self.day_parts.items():
            box.setChecked(part in entry.day_parts)
        if entry.earliest is not None:
            self.earliest.setDate(_qdate(entry.earliest))
        self.use_latest.setChecked(entry.latest is not None)
        if entry.latest is not None:
            self.latest.setDate(_qdate(entry.latest))
        self.notes.setPlainText(entry.notes or "")

    def request(self) -> WaitlistRequest:
        """What the person entered; a missing patient or a bad length is said in words."""
        patient = self.patient.patient
        patient_id = self._patient_id or (patient.id if patient is not None else None)
        if patient_id is None:
            raise ValidationFailed(
                "Choose the patient first.", errors=[FieldError("patient_id", "No patient.")]
            )
        provider = str(self.provider.currentData() or "") or None
        parts: list[DayPart] = [p for p, box in self.day_parts.items() if box.isChecked()]
        notes = self.notes.toPlainText().strip()[:NOTES_MAX] or None
        return WaitlistRequest(
            patient_id=patient_id,
            provider_id=provider,
            type=str(self.type.currentData()),
            duration_minutes=self.duration.value(),
            weekdays=[i for i, box in enumerate(self.weekdays) if box.isChecked()],
            day_parts=parts,
            earliest=_chosen(self.earliest),
            latest=_chosen(self.latest) if self.use_latest.isChecked() else None,
            notes=notes,
        )

    def submit(self) -> None:
        try:
            request = self.request()
        except FrontDeskError as exc:
            self.message.show_error(exc)
            return
        if request != self._last_request:  # changed since a refused try: a new request
            self._key = new_id("idem", 20)
            self._last_request = request
        self.save_button.setEnabled(False)
        self._bridge.run(
            self._backend.save_waitlist_entry(self.entry_id, request, idempotency_key=self._key),
            on_success=self._on_saved,
            on_error=self._on_refused,
            where=self,
            context="saving the waitlist entry",
        )

    def _on_saved(self, entry: WaitlistEntry) -> None:
        self.saved.emit(entry)
        self.accept()

    def _on_refused(self, exc: BaseException) -> bool:
        self.save_button.setEnabled(True)
        if isinstance(exc, FrontDeskError):
            self.message.show_error(exc)  # everything entered stays
            return True
        return False


def _date_box(name: str, day: date) -> QDateEdit:
    box = QDateEdit()
    box.setAccessibleName(name)
    box.setCalendarPopup(True)
    box.setDisplayFormat("ddd d MMM yyyy")
    box.setDate(_qdate(day))
    return box


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _chosen(box: QDateEdit) -> date:
    qd = box.date()
    return date(qd.year(), qd.month(), qd.day())
