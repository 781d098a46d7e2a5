"""Book a recurring series: every N weeks on chosen weekdays, a number of times or until a date.

Opened from the booking dialog ("Repeat…") with its patient, provider, first time, type and
length. Every start is checked before anything is booked (`check_series`); the ones that do not
fit are listed with the reason and the nearest free times, to choose one or leave the date out.
"Book" books the chosen starts as one series — all of them or, if the diary changed meanwhile,
none, with the reason and a fresh check; nothing entered is lost.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import FrontDeskError
from frontdesk_app.domain.ids import SERIES, new_id
from frontdesk_app.domain.models import AppointmentCreate
from frontdesk_app.domain.series import (
    MAX_EVERY_WEEKS,
    MAX_OCCURRENCES,
    Series,
    SeriesCheck,
    SeriesCheckRequest,
    SeriesCreate,
    SeriesRule,
)
from frontdesk_app.domain.waitlist import WEEKDAY_NAMES
from frontdesk_app.ui.async_bridge import AsyncBridge
from frontdesk_app.ui.form_dialog import action_buttons, lay_out
from frontdesk_app.ui.message_bar import MessageBar

LEAVE_OUT = "Leave this date out"
COLUMNS = ("Date", "Time", "", "Book at")


class SeriesDialog(QDialog):
    """Non-modal to the event loop: opened with `open()`."""

    booked = Signal(object)  # Series

    def __init__(
        self,
        backend: Backend,
        bridge: AsyncBridge,
        *,
        first: AppointmentCreate,
        zone: ZoneInfo,
        who: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Book a recurring series")
        self.setAccessibleName("Book a recurring series")
        self.resize(720, 560)
        self._backend = backend
        self._bridge = bridge
        self._first = first
        self._zone = zone
        self.series_id = new_id(SERIES)
        self._key = new_id("idem", 20)
        self._last_request: SeriesCreate | None = None
        self.checked: SeriesCheck | None = None
        self._generation = 0
        self._keep_message = False
        local = first.start_time.astimezone(zone)

        heading = QLabel(f"{who} · from {local:%a} {local.day} {local:%b %Y} at {local:%H:%M}")
        heading.setProperty("role", "heading")
        heading.setWordWrap(True)
        self.message = MessageBar(self)
        self.every = QSpinBox()
        self.every.setAccessibleName("Repeat every this many weeks")
        self.every.setRange(1, MAX_EVERY_WEEKS)
        self.every.setSuffix(" week(s)")
        self.every.setMinimumWidth(120)
        self.weekdays = [QCheckBox(name) for name in WEEKDAY_NAMES]
        self.weekdays[local.weekday()].setChecked(True)
        self.count_choice = QRadioButton("After")
        self.count_choice.setChecked(True)
        self.count = QSpinBox()
        self.count.setAccessibleName("Number of appointments")
        self.count.setRange(1, MAX_OCCURRENCES)
        self.count.setValue(6)
        self.count.setSuffix(" appointments")
        self.count.setMinimumWidth(160)
        self.until_choice = QRadioButton("On")
        self.until = QDateEdit()
        self.until.setAccessibleName("Last date")
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat("ddd d MMM yyyy")
        last = local.date().toordinal() + 7 * 8
        end = date.fromordinal(last)
        self.until.setDate(QDate(end.year, end.month, end.day))

        repeat = QHBoxLayout()
        repeat.addWidget(QLabel("Every"))
        repeat.addWidget(self.every)
        repeat.addSpacing(12)
        repeat.addWidget(QLabel("on"))
        for box in self.weekdays:
            repeat.addWidget(box)
        repeat.addStretch(1)
        ends = QHBoxLayout()
        ends.addWidget(QLabel("Ends"))
        ends.addWidget(self.count_choice)
        ends.addWidget(self.count)
        ends.addSpacing(12)
        ends.addWidget(self.until_choice)
        ends.addWidget(self.until)
        ends.addStretch(1)
        self.summary = QLabel()
        self.summary.setAccessibleName("What will be booked")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("The series' dates")
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        buttons, self.book_button = action_buttons(self, "Book series")
        self.book_button.clicked.connect(self.submit)
        lay_out(
            self,
            heading,
            self.message,
            repeat,
            ends,
            (self.table, 1),
            self.summary,
            buttons,
            primary=self.book_button,
            spacing=10,
        )

        self.every.valueChanged.connect(lambda _v: self.check())
        self.count.valueChanged.connect(lambda _v: self.check())
        self.until.dateChanged.connect(lambda _d: self.check())
        self.count_choice.toggled.connect(lambda _on: self.check())
        for box in self.weekdays:
            box.toggled.connect(lambda _on: self.check())
        self.check()

    # --- the rule and its check --------------------------------------------------------------
    def rule(self) -> SeriesRule:
        qd = self.until.date()
        by_count = self.count_choice.isChecked()
        return SeriesRule(
            every_weeks=self.every.value(),
            weekdays=[i for i, box in enumerate(self.weekdays) if box.isChecked()],
            count=self.count.value() if by_count else None,
            until=None if by_count else date(qd.year(), qd.month(), qd.day()),
        )

    def check(self) -> None:
        """Ask which starts fit (the newest question wins; an older answer is dropped)."""
        self._generation += 1
        generation = self._generation
        request = SeriesCheckRequest(
            patient_id=self._first.patient_id,
            provider_id=self._first.provider_id,
            start_time=self._first.start_time,
            duration_minutes=self._first.duration_minutes,
            type=self._first.type,
            rule=self.rule(),
        )
        self.book_button.setEnabled(False)
        self._bridge.run(
            self._backend.check_series(request),
            on_success=lambda found: self._show(generation, found),
            on_error=lambda exc: self._refused(generation, exc),
            where=self,
            context="checking the series' dates",
        )

    def _show(self, generation: int, found: SeriesCheck) -> None:
        if generation != self._generation:
            return
        self.checked = found
        if self._keep_message:
            self._keep_message = False  # the refusal that asked for this check stays in view
        else:
            self.message.hide_errors()
        self.table.setRowCount(len(found.occurrences))
        for row, occurrence in enumerate(found.occurrences):
            local = occurrence.start_time.astimezone(self._zone)
            cells = (
                f"{local:%a} {local.day} {local:%b %Y}",
                f"{local:%H:%M}",
                "Free" if occurrence.bookable else occurrence.problem or "Not free",
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if not occurrence.bookable and column == 2:
                    item.setForeground(Qt.GlobalColor.darkRed)
                self.table.setItem(row, column, item)
            if occurrence.bookable:
                self.table.removeCellWidget(row, 3)
                self.table.setItem(row, 3, QTableWidgetItem(f"{local:%H:%M}"))
            else:
                choice = QComboBox()
                choice.setAccessibleName(f"Instead of {cells[0]}")
                for alternative in occurrence.alternatives:
                    other = alternative.astimezone(self._zone)
                    choice.addItem(f"{other:%a} {other.day} {other:%b} {other:%H:%M}", alternative)
                choice.addItem(LEAVE_OUT, None)
                choice.currentIndexChanged.connect(lambda _i: self._update_summary())
                self.table.setCellWidget(row, 3, choice)
        self._update_summary()

    def _refused(self, generation: int, exc: BaseException) -> bool:
        if generation != self._generation or not isinstance(exc, FrontDeskError):
            return False
        self.checked = None
        self.table.setRowCount(0)
        self.message.show_error(exc)  # e.g. no weekday ticked, or the first date not on one
        self._update_summary()
        return True

    def chosen_starts(self) -> list[datetime]:
        """The starts to book: each free one, or the alternative chosen for it."""
        if self.checked is None:
            return []
        starts: list[datetime] = []
        for row, occurrence in enumerate(self.checked.occurrences):
            if occurrence.bookable:
                starts.append(occurrence.start_time)
                continue
            choice = self.table.cellWidget(row, 3)
            picked = choice.currentData() if isinstance(choice, QComboBox) else None
            if isinstance(picked, datetime):
                starts.append(picked)
        return starts

    def _update_summary(self) -> None:
        starts = self.chosen_starts()
        total = len(self.checked.occurrences) if self.checked else 0
        problems = sum(1 for o in self.checked.occurrences if not o.bookable) if self.checked else 0
        text = f"{len(starts)} appointment{'s' if len(starts) != 1 else ''} to book"
        if problems:
            text += f" · {problems} of {total} dates did not fit: choose another time or leave out"
        self.summary.setText(text)
        self.book_button.setText(f"Book {len(starts)} appointments" if starts else "Book series")
        self.book_button.setEnabled(bool(starts))

    # --- booking -------------------------------------------------------------------------------
    def submit(self) -> None:
        starts = self.chosen_starts()
        if not starts:
            return
        request = SeriesCreate(
            patient_id=self._first.patient_id,
            provider_id=self._first.provider_id,
            duration_minutes=self._first.duration_minutes,
            type=self._first.type,
            notes=self._first.notes,
            rule=self.rule(),
            starts=sorted(starts),
        )
        if request != self._last_request:  # a changed series is a new one
            self._key = new_id("idem", 20)
            self.series_id = new_id(SERIES)
            self._last_request = request
        self.book_button.setEnabled(False)
        self._bridge.run(
            self._backend.save_series(self.series_id, request, idempotency_key=self._key),
            on_success=self._on_booked,
            on_error=self._on_book_refused,
            busy="Booking the series…",
            where=self,
            context="booking a recurring series",
        )

    def _on_booked(self, series: Series) -> None:
        self.booked.emit(series)
        self.accept()

    def _on_book_refused(self, exc: BaseException) -> bool:
        self.book_button.setEnabled(True)
        if not isinstance(exc, FrontDeskError):
            return False
        # Nothing was booked; the diary changed under us: say why and check the dates again.
        self.message.show_error(exc)
        self._last_request = None
        self._keep_message = True
        self.check()
        return True
