"""The calendar's recurring-series actions: book a series from a booking ("Repeat…"), and on
an appointment of a series, cancel it with the ones after it or the whole series, or move it
and the ones after it to another time of day.

One appointment of a series is moved or cancelled like any other (the usual menu items); these
act on several at once, each as ONE write: all of them, or none.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt, QTime
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMenu,
    QMessageBox,
    QTimeEdit,
    QVBoxLayout,
)

from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.domain.models import Appointment, AppointmentCreate
from frontdesk_app.domain.series import (
    Series,
    SeriesCancel,
    SeriesCancelResult,
    SeriesReschedule,
    SeriesRescheduleResult,
)
from frontdesk_app.ui.calendar.series_dialog import SeriesDialog

if TYPE_CHECKING:
    from frontdesk_app.ui.calendar.panel import CalendarPanel


class SeriesActions:
    def __init__(self, panel: CalendarPanel) -> None:
        self.panel = panel
        self.confirm: QMessageBox | None = None

    def open_series(self, first: AppointmentCreate, patient: str = "") -> SeriesDialog:
        """The recurring-series dialog, starting from one booking's details."""
        panel = self.panel
        provider = panel.model.provider(first.provider_id)
        patient = patient or panel.model.patient_labels().get(first.patient_id, "The patient")
        who = f"{patient} with {provider.name if provider else 'the provider'}"
        dialog = SeriesDialog(
            panel.backend, panel.bridge, first=first, zone=panel.zone, who=who, parent=panel
        )
        dialog.booked.connect(self._on_booked)
        panel.open_dialog(dialog)
        return dialog

    def _on_booked(self, series: Series) -> None:
        panel = self.panel
        for appointment in series.appointments:
            panel.feed.apply(appointment)
        if series.appointments:
            first = series.appointments[0]
            panel.show_instant(first.provider_id, first.start_time)  # the series' first day
            panel.view.select(first.id)
        count = len(series.appointments)
        panel.message.show_message(
            "Series booked", f"{count} appointment{'s' if count != 1 else ''} booked as one series."
        )

    def add_to_menu(self, menu: QMenu, appointment: Appointment) -> None:
        """For an appointment of a series: cancel, or move, it and the following or the whole
        series."""
        series_id = appointment.series_id
        if series_id is None or not appointment.active:
            return
        menu.addSeparator()
        menu.addAction(
            "Cancel this and the following in the series…",
            lambda: self.ask_cancel(series_id, appointment.start_time),
        )
        menu.addAction("Cancel the whole series…", lambda: self.ask_cancel(series_id, None))
        menu.addAction(
            "Move this and the following to another time…",
            lambda: self.ask_move(series_id, appointment, from_this=True),
        )
        menu.addAction(
            "Move the whole series to another time…",
            lambda: self.ask_move(series_id, appointment, from_this=False),
        )

    def ask_cancel(self, series_id: str, from_start: datetime | None) -> QMessageBox:
        """A question first: cancelling several appointments at once is not undone by Ctrl+Z."""
        panel = self.panel
        what = (
            "this appointment and every later one of the series"
            if from_start is not None
            else "every appointment of the series still to come"
        )
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Cancel appointments of a series",
            f"Cancel {what}? The patient and the provider are told.",
            QMessageBox.StandardButton.NoButton,
            panel,
        )
        yes = box.addButton("Cancel them", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Keep them", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(yes)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        box.buttonClicked.connect(
            lambda clicked: self.cancel(series_id, from_start) if clicked is yes else None
        )
        self.confirm = box
        box.open()
        return box

    def cancel(self, series_id: str, from_start: datetime | None) -> None:
        request = (
            SeriesCancel(scope="following", from_start=from_start, reason_code="patient_request")
            if from_start is not None
            else SeriesCancel(scope="all", reason_code="patient_request")
        )
        panel = self.panel
        panel.bridge.run(
            panel.backend.cancel_series(series_id, request),
            on_success=self._on_cancelled,
            on_error=self._refused,
            where=panel,
            context="cancelling appointments of a series",
        )

    def _on_cancelled(self, result: SeriesCancelResult) -> None:
        count = len(result.cancelled)
        self.panel.message.show_message(
            "Series cancelled", f"{count} appointment{'s' if count != 1 else ''} cancelled."
        )

    def ask_move(self, series_id: str, appointment: Appointment, *, from_this: bool) -> QDialog:
        """A time of day for this appointment and the later ones (`from_this`), or for every
        appointment of the series still to come, each on its own day."""
        panel = self.panel
        dialog = QDialog(panel)
        dialog.setWindowTitle("Move appointments of a series")
        dialog.setAccessibleName("Move appointments of a series")
        local = appointment.start_time.astimezone(panel.zone)
        when = QTimeEdit(QTime(local.hour, local.minute))
        when.setAccessibleName("New time")
        when.setDisplayFormat("HH:mm")
        which = (
            "This appointment and every later one of the series"
            if from_this
            else "Every appointment of the series still to come"
        )
        note = QLabel(
            f"{which} move to this time, each on its own day. If one of them cannot move, "
            "none of them does."
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Move them")
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(note)
        layout.addWidget(when)
        layout.addWidget(buttons)
        dialog.accepted.connect(
            lambda: self.move(
                series_id,
                appointment.start_time if from_this else None,
                time(when.time().hour(), when.time().minute()),
            )
        )
        panel.open_dialog(dialog)
        return dialog

    def move(self, series_id: str, from_start: datetime | None, new_time: time) -> None:
        """Those from `from_start` on, or (None) every appointment of the series to come."""
        panel = self.panel
        request = (
            SeriesReschedule(scope="following", from_start=from_start, new_time=new_time)
            if from_start is not None
            else SeriesReschedule(scope="all", new_time=new_time)
        )
        panel.bridge.run(
            panel.backend.reschedule_series(series_id, request),
            on_success=self._on_moved,
            on_error=self._refused,
            where=panel,
            context="moving appointments of a series",
        )

    def _on_moved(self, result: SeriesRescheduleResult) -> None:
        count = len(result.rescheduled)
        self.panel.message.show_message(
            "Series moved", f"{count} appointment{'s' if count != 1 else ''} moved."
        )

    def _refused(self, exc: BaseException) -> bool:
        if isinstance(exc, FrontDeskError):
            self.panel.message.show_error(exc)  # which date could not move, and why
            return True
        return False

    def menu_for(self, appointment_id: str, where: QPoint, build: object) -> None:
        """Read the appointment (is it one of a series?), then show the menu `build` makes."""
        panel = self.panel
        panel.bridge.run(
            panel.backend.get_appointment(appointment_id),
            on_success=lambda appointment: build(appointment, where),  # type: ignore[operator]
            on_error=lambda _exc: build(None, where) or True,  # type: ignore[operator]
            where=panel,
            context="reading the appointment",
        )
