"""Book an appointment: patient search, provider, day, type, length, a free time, notes.

A refusal (the time was just taken, the provider is off) is shown in the dialog with the
server's reason; everything typed stays, and the list of free times is refreshed.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from frontdesk_app.domain import clock
from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import FrontDeskError, ProviderUnavailable, SlotUnavailable
from frontdesk_app.domain.ids import new_id
from frontdesk_app.domain.models import (
    APPOINTMENT_TYPES,
    Appointment,
    AppointmentCreate,
    Patient,
    Provider,
)
from frontdesk_app.ui.async_bridge import AsyncBridge
from frontdesk_app.ui.calendar.duration_box import DurationBox
from frontdesk_app.ui.calendar.palette import type_style
from frontdesk_app.ui.calendar.patient_search import PatientSearch
from frontdesk_app.ui.calendar.slot_picker import SlotPicker
from frontdesk_app.ui.calendar.time_note import explain
from frontdesk_app.ui.form_dialog import action_buttons, lay_out
from frontdesk_app.ui.message_bar import MessageBar

DEFAULT_DURATION = 30


def set_invalid(widget: QWidget, invalid: bool) -> None:
    widget.setProperty("invalid", invalid)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class BookingDialog(QDialog):
    """Non-modal to the event loop: opened with `open()`, never `exec()`."""

    booked = Signal(object)  # Appointment
    # "Repeat…": the booking as the first of a recurring series (the panel opens its dialog).
    repeat_requested = Signal(object, str)  # AppointmentCreate, the patient's name

    def __init__(
        self,
        backend: Backend,
        bridge: AsyncBridge,
        *,
        providers: list[Provider],
        zone: ZoneInfo,
        provider_id: str | None = None,
        start: datetime | None = None,
        day: date | None = None,
        patient: Patient | None = None,
        notes: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Book appointment")
        self.setAccessibleName("Book appointment")
        self.setMinimumWidth(480)
        self._backend = backend
        self._bridge = bridge
        self._zone = zone
        self._last_request: AppointmentCreate | None = None
        self._key = new_id("idem", 20)
        self.result_appointment: Appointment | None = None

        self.message = MessageBar(self)
        heading = QLabel("Book an appointment")
        heading.setProperty("role", "heading")
        self.patient = PatientSearch(backend, bridge, self, zone=zone)
        self.provider = QComboBox()
        self.provider.setAccessibleName("Provider")
        for p in providers:
            self.provider.addItem(f"{p.name} — {p.specialty}", p.id)
        if provider_id is not None:
            self.provider.setCurrentIndex(max(0, self.provider.findData(provider_id)))
        self.day = QDateEdit()
        self.day.setAccessibleName("Date")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("ddd d MMM yyyy")
        first_day = start.astimezone(zone).date() if start else day or clock.today(zone)
        self.day.setDate(QDate(first_day.year, first_day.month, first_day.day))
        self.type = QComboBox()
        self.type.setAccessibleName("Appointment type")
        for value in APPOINTMENT_TYPES:
            self.type.addItem(type_style(value).label, value)
        self.duration = DurationBox(DEFAULT_DURATION)
        self.time = SlotPicker(backend, bridge, zone, self)
        self.time.prefer(start)
        self._providers = {p.id: p for p in providers}
        # The time asked for (double-clicked, or just refused) until the person picks one: when
        # the list offers another, `time_note` says why.
        self._asked = start
        self._refused = False
        self._refocus = False
        self.time_note = QLabel()
        self.time_note.setAccessibleName("Why this time")
        self.time_note.setProperty("role", "hint")
        self.time_note.setWordWrap(True)
        self.time_note.hide()
        self.notes = QPlainTextEdit()
        self.notes.setAccessibleName("Notes")
        self.notes.setPlaceholderText("Reason for the visit, anything the provider should know")
        self.notes.setFixedHeight(72)
        if notes:
            self.notes.setPlainText(notes)

        form = QFormLayout()
        form.setSpacing(10)
        form.addRow("Patient", self.patient)
        form.addRow("Provider", self.provider)
        form.addRow("Date", self.day)
        form.addRow("Type", self.type)
        form.addRow("Length", self.duration)
        form.addRow("Time", self.time)
        form.addRow("", self.time_note)
        form.addRow("Notes", self.notes)
        buttons, self.book_button = action_buttons(self, "Book")
        self.repeat_button = QPushButton("Repeat…")
        self.repeat_button.setAccessibleName("Book as a recurring series")
        self.repeat_button.setToolTip("Book this as the first of a weekly or recurring series")
        buttons.addButton(self.repeat_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.book_button.clicked.connect(self.submit)
        self.repeat_button.clicked.connect(self.repeat)
        # Enter books, wherever the focus is.
        lay_out(self, heading, self.message, form, buttons, primary=self.book_button)

        self.provider.currentIndexChanged.connect(self._on_choice_changed)
        self.day.dateChanged.connect(self._on_day_changed)
        self.time.activated.connect(self._on_time_activated)
        self.duration.valueChanged.connect(self._on_choice_changed)
        self.time.loaded.connect(self._on_time_loaded)
        if patient is not None:
            self.patient.set_patient(patient)
        self.reload_times()

    # --- what the person chose ---------------------------------------------------------------
    def chosen_day(self) -> date:
        qd = self.day.date()
        return date(qd.year(), qd.month(), qd.day())

    def chosen_provider(self) -> str:
        return str(self.provider.currentData())

    def reload_times(self) -> None:
        self.time.load(self.chosen_provider(), self.chosen_day(), self.duration.value())

    def _on_choice_changed(self, *_args: object) -> None:
        self.reload_times()

    def _on_day_changed(self, *_args: object) -> None:
        self._forget_asked()  # the time asked for was on another day
        self.reload_times()

    def _on_time_activated(self, _index: int) -> None:
        self._forget_asked()  # the person chose: nothing to explain
        set_invalid(self.time, False)

    def _forget_asked(self) -> None:
        self._asked = None
        self._refused = False
        self.time.prefer(None)
        self._say_why("")

    def _say_why(self, text: str) -> None:
        self.time_note.setText(text)
        self.time_note.setVisible(bool(text))

    def _on_time_loaded(self, count: int) -> None:
        if self._asked is not None:
            provider = self._providers.get(self.chosen_provider())
            offered = self.time.selected()
            self._say_why(
                explain(self._asked, offered, provider, self._zone, refused=self._refused)
            )
        if not self._refused:
            set_invalid(self.time, False)  # after a refusal the list stays marked until a pick
        if self._refocus:
            self._refocus = False
            self.time.setFocus()
        if count == 0:
            self.message.show_message(
                "No free times",
                "This provider has no free time of that length on this day. "
                "Choose another day, provider or length.",
                level="warning",
            )
        elif self.message.code == "":
            self.message.hide()

    # --- booking -----------------------------------------------------------------------------
    def request(self) -> AppointmentCreate | None:
        """The request to send, or None after telling the person what is missing."""
        for widget in (self.patient.field, self.time):
            set_invalid(widget, False)
        missing = []
        if self.patient.patient is None:
            set_invalid(self.patient.field, True)
            missing.append("choose the patient from the list")
        start = self.time.selected()
        if start is None:
            set_invalid(self.time, True)
            missing.append("choose a free time")
        if missing or self.patient.patient is None or start is None:
            self.message.show_message(
                "Almost there", "Please " + " and ".join(missing) + ".", level="warning"
            )
            return None
        notes = self.notes.toPlainText().strip() or None
        return AppointmentCreate(
            patient_id=self.patient.patient.id,
            provider_id=self.chosen_provider(),
            start_time=start,
            duration_minutes=self.duration.value(),
            type=str(self.type.currentData()),
            notes=notes,
        )

    def submit(self) -> None:
        request = self.request()
        if request is None:
            return
        # The same request retried (after a dropped connection) keeps its idempotency key, so
        # the server books it once; a changed request is a new booking with a new key.
        if request != self._last_request:
            self._key = new_id("idem", 20)
            self._last_request = request
        self.book_button.setEnabled(False)
        self.book_button.setText("Booking…")
        self._bridge.run(
            self._backend.create_appointment(request, idempotency_key=self._key),
            on_success=self._on_booked,
            on_error=self._on_refused,
            busy="Booking…",
            context="booking an appointment",
        )

    def repeat(self) -> None:
        """Hand this booking, as the series' first, to the series dialog."""
        request = self.request()
        if request is None:
            return
        patient = self.patient.patient
        self.repeat_requested.emit(request, patient.full_name if patient else "The patient")
        self.reject()

    def _on_booked(self, appointment: Appointment) -> None:
        self.result_appointment = appointment
        self.booked.emit(appointment)
        self.accept()

    def _on_refused(self, exc: BaseException) -> bool:
        self.book_button.setEnabled(True)
        self.book_button.setText("Book")
        # Disabling the button let the focus and the default go elsewhere: bring them back.
        self.book_button.setDefault(True)
        if not isinstance(exc, FrontDeskError):
            return False
        self.show_error(exc)
        return True

    def show_error(self, error: FrontDeskError) -> None:
        """Shown here, above the form; the form keeps everything that was typed."""
        self.message.show_error(error)
        fields = {e.field for e in error.errors}
        if "duration_minutes" in fields:
            set_invalid(self.duration, True)
        if isinstance(error, (SlotUnavailable, ProviderUnavailable)) or "start_time" in fields:
            # The free times changed under us: refresh them, offering the nearest free time and
            # saying so; the focus stays on the list, Book stays the default.
            refused = self.time.selected()
            if refused is not None:
                self._asked, self._refused = refused, True
                self.time.prefer(refused)
            self.reload_times()
            set_invalid(self.time, True)
            self._refocus = True  # the list is disabled while it loads: focus it once loaded
