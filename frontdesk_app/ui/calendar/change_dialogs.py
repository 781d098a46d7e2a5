"""Reschedule (new day and time, length, reason) and cancel (reason code, notify) dialogs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import FrontDeskError, ProviderUnavailable, SlotUnavailable
from frontdesk_app.domain.ids import new_id
from frontdesk_app.domain.models import (
    CANCEL_REASON_CODES,
    AppointmentCancel,
    AppointmentReschedule,
    CancelResult,
    RescheduleResult,
)
from frontdesk_app.domain.scheduling import (
    SLOT_STEP,
    refund_eligible,
)
from frontdesk_app.domain.timeutil import local_instant, utc_now
from frontdesk_app.ui.async_bridge import AsyncBridge
from frontdesk_app.ui.calendar.booking_dialog import set_invalid
from frontdesk_app.ui.calendar.duration_box import DurationBox
from frontdesk_app.ui.calendar.model import AppointmentView, CalendarModel
from frontdesk_app.ui.calendar.palette import type_style
from frontdesk_app.ui.calendar.slot_picker import SlotPicker
from frontdesk_app.ui.message_bar import MessageBar

REASON_LABELS: dict[str, str] = {
    "patient_request": "Patient asked to cancel",
    "provider_unavailable": "Provider unavailable",
    "no_show": "Patient did not come",
    "rescheduled_elsewhere": "Booked elsewhere",
    "weather": "Weather",
    "other": "Other",
}
RESCHEDULE_REASONS = ("Patient request", "Provider request", "Clinic schedule change")


def summary(view: AppointmentView, model: CalendarModel) -> str:
    zone = model.zone
    provider = model.provider(view.provider_id)
    who = model.patient_label(view.patient_id) or "Patient"
    return (
        f"<b>{who}</b> · {type_style(view.type).label}<br>"
        f"{provider.name if provider else ''}, "
        f"{view.start.astimezone(zone):%A %d %B, %H:%M}–{view.end.astimezone(zone):%H:%M}"
    )


def own_slot_starts(
    model: CalendarModel, view: AppointmentView, day: date, minutes: int
) -> list[datetime]:
    """Starts that overlap only this appointment itself: the server's free-slot list misses
    them because the appointment still occupies its old time."""
    now = utc_now()
    length = timedelta(minutes=minutes)
    starts = []
    for w_start, w_end in model.working(view.provider_id, day):
        start = w_start
        while start + length <= w_end:
            overlaps_self = start < view.end and view.start < start + length
            if (
                overlaps_self
                and start >= now
                and model.is_free(view.provider_id, start, start + length, ignore_id=view.id)
            ):
                starts.append(start)
            start += SLOT_STEP
    return starts


class _ChangeDialog(QDialog):
    def __init__(
        self, title: str, view: AppointmentView, model: CalendarModel, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setMinimumWidth(460)
        self.view = view
        self.model = model
        self._key = new_id("idem", 20)
        self._last: object = None
        self.message = MessageBar(self)
        self.header = QLabel(summary(view, model))
        self.header.setAccessibleName("Appointment")
        self.header.setWordWrap(True)
        self.form = QFormLayout()
        self.form.setSpacing(10)
        self.buttons = QDialogButtonBox()
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(18, 16, 18, 14)
        self.layout_.setSpacing(12)
        self.layout_.addWidget(self.message)
        self.layout_.addWidget(self.header)
        self.layout_.addLayout(self.form)
        self.layout_.addWidget(self.buttons)

    def key_for(self, request: object) -> str:
        """The same request retried keeps its idempotency key; a changed one gets a new key."""
        if request != self._last:
            self._key = new_id("idem", 20)
            self._last = request
        return self._key

    def show_error(self, error: FrontDeskError) -> None:
        self.message.show_error(error)


class RescheduleDialog(_ChangeDialog):
    rescheduled = Signal(object)  # RescheduleResult

    def __init__(
        self,
        backend: Backend,
        bridge: AsyncBridge,
        *,
        view: AppointmentView,
        model: CalendarModel,
        zone: ZoneInfo,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Reschedule appointment", view, model, parent)
        self._backend = backend
        self._bridge = bridge
        local = view.start.astimezone(zone)
        self.day = QDateEdit(QDate(local.year, local.month, local.day))
        self.day.setAccessibleName("New date")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("ddd d MMM yyyy")
        self.duration = DurationBox(view.duration_minutes)
        self.time = SlotPicker(backend, bridge, zone, self)
        self.reason = QComboBox()
        self.reason.setEditable(True)
        self.reason.setAccessibleName("Reason for rescheduling")
        self.reason.addItems(["", *RESCHEDULE_REASONS])
        line = self.reason.lineEdit()
        if line is not None:
            line.setPlaceholderText("Why is it moving? (kept with the appointment)")
        self.form.addRow("New date", self.day)
        self.form.addRow("Length", self.duration)
        self.form.addRow("New time", self.time)
        self.form.addRow("Reason", self.reason)
        self.ok = QPushButton("Reschedule")
        self.ok.setDefault(True)
        self.buttons.addButton(self.ok, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.ok.clicked.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.day.dateChanged.connect(self._on_choice_changed)
        self.duration.valueChanged.connect(self._on_choice_changed)
        self.reload_times()

    def chosen_day(self) -> date:
        qd = self.day.date()
        return date(qd.year(), qd.month(), qd.day())

    def _on_choice_changed(self, *_args: object) -> None:
        self.reload_times()

    def reload_times(self) -> None:
        day, minutes = self.chosen_day(), self.duration.value()
        self.time.load(
            self.view.provider_id,
            day,
            minutes,
            extra=own_slot_starts(self.model, self.view, day, minutes),
        )

    def submit(self) -> None:
        start = self.time.selected()
        set_invalid(self.time, start is None)
        if start is None:
            self.message.show_message("Choose a new time", level="warning")
            return
        minutes = self.duration.value()
        request = AppointmentReschedule(
            new_start_time=start,
            new_duration_minutes=None if minutes == self.view.duration_minutes else minutes,
            reason=self.reason.currentText().strip() or None,
        )
        self.ok.setEnabled(False)
        self._bridge.run(
            self._backend.reschedule_appointment(
                self.view.id, request, idempotency_key=self.key_for(request)
            ),
            on_success=self._on_done,
            on_error=self._on_refused,
            busy="Rescheduling…",
            context="rescheduling an appointment",
        )

    def _on_done(self, result: RescheduleResult) -> None:
        self.rescheduled.emit(result)
        self.accept()

    def _on_refused(self, exc: BaseException) -> bool:
        self.ok.setEnabled(True)
        if not isinstance(exc, FrontDeskError):
            return False
        self.show_error(exc)
        if isinstance(exc, (SlotUnavailable, ProviderUnavailable)):
            self.reload_times()
        return True


class CancelDialog(_ChangeDialog):
    cancelled = Signal(object)  # CancelResult

    def __init__(
        self,
        backend: Backend,
        bridge: AsyncBridge,
        *,
        view: AppointmentView,
        model: CalendarModel,
        now: Callable[[], datetime] = utc_now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Cancel appointment", view, model, parent)
        self._backend = backend
        self._bridge = bridge
        self.reason = QComboBox()
        self.reason.setAccessibleName("Reason for cancelling")
        for code in CANCEL_REASON_CODES:
            self.reason.addItem(REASON_LABELS.get(code, code), code)
        self.notify = QCheckBox("Tell the patient and the provider")
        self.notify.setAccessibleName("Send cancellation notices")
        self.notify.setChecked(True)
        refund = refund_eligible(view.start, now())
        self.refund = QLabel(
            "More than 24 hours ahead: the patient keeps their refund."
            if refund
            else "Less than 24 hours ahead: no refund under the clinic's policy."
        )
        self.refund.setProperty("role", "hint")
        self.refund.setWordWrap(True)
        self.form.addRow("Reason", self.reason)
        self.form.addRow("", self.notify)
        self.form.addRow("", self.refund)
        self.ok = QPushButton("Cancel appointment")
        self.ok.setAccessibleName("Cancel appointment")
        keep = QPushButton("Keep it")
        keep.setDefault(True)
        self.buttons.addButton(self.ok, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.buttons.addButton(keep, QDialogButtonBox.ButtonRole.RejectRole)
        self.ok.clicked.connect(self.submit)
        keep.clicked.connect(self.reject)

    def submit(self) -> None:
        request = AppointmentCancel(
            reason_code=str(self.reason.currentData()), notify=self.notify.isChecked()
        )
        self.ok.setEnabled(False)
        self._bridge.run(
            self._backend.cancel_appointment(
                self.view.id, request, idempotency_key=self.key_for(request)
            ),
            on_success=self._on_done,
            on_error=self._on_refused,
            busy="Cancelling…",
            context="cancelling an appointment",
        )

    def _on_done(self, result: CancelResult) -> None:
        self.cancelled.emit(result)
        self.accept()

    def _on_refused(self, exc: BaseException) -> bool:
        self.ok.setEnabled(True)
        if not isinstance(exc, FrontDeskError):
            return False
        self.show_error(exc)
        return True


def day_start(day: date, zone: ZoneInfo) -> datetime:
    return local_instant(day, time(0, 0), zone)
