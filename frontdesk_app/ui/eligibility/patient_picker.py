"""Pick a patient by typing part of a name, a date of birth or a phone number.

The search runs a moment after the last key press (not per key) and a late answer to an
older query is dropped, so the list always matches what is in the box.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.models import Page, Patient
from frontdesk_app.ui.async_bridge import AsyncBridge

SEARCH_DELAY_MS = 200
MIN_CHARS = 2
RESULT_LIMIT = 20


def patient_line(patient: Patient) -> str:
    """`Dana Whitfield · born 1984-03-02 · (555) 010-2233` for lists and labels."""
    return f"{patient.full_name} · born {patient.date_of_birth:%Y-%m-%d} · {patient.phone}"


class PatientPicker(QWidget):
    """A search box with a result list; emits `patient_chosen(Patient)`.

    Editing the box away from the chosen patient's name un-chooses them (`patient_cleared`):
    a panel must never keep showing a patient whose name is no longer in the box.
    """

    patient_chosen = Signal(object)
    patient_cleared = Signal()

    def __init__(
        self,
        backend: Backend,
        bridge: AsyncBridge,
        parent: QWidget | None = None,
        *,
        where: object | None = None,
    ) -> None:
        super().__init__(parent)
        self._backend = backend
        self._bridge = bridge
        self._where = where
        self._generation = 0
        self.patient: Patient | None = None

        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search patients: name, date of birth or phone")
        self.search.setAccessibleName("Patient search")
        self.search.setClearButtonEnabled(True)
        self.results = QListWidget(self)
        self.results.setAccessibleName("Matching patients")
        self.results.setMaximumHeight(180)
        self.results.hide()
        self.hint = QLabel(self)
        self.hint.setProperty("role", "hint")
        self.hint.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.results)
        layout.addWidget(self.hint)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.on_timer_timeout)
        self.search.textEdited.connect(self.on_search_edited)
        self.search.textChanged.connect(self.on_search_changed)
        self.search.returnPressed.connect(self.on_search_return)
        self.search.installEventFilter(self)
        self.results.itemActivated.connect(self.on_results_activated)
        self.results.itemClicked.connect(self.on_results_activated)

    # --- public ---

    def set_patient(self, patient: Patient) -> None:
        """Show `patient` as chosen (a prefill from a call) and tell the listeners."""
        self.patient = patient
        self.search.setText(patient.full_name)
        self.results.hide()
        self.hint.hide()
        self.patient_chosen.emit(patient)

    def show_patient(self, patient: Patient | None) -> None:
        """Show `patient` as chosen without telling the listeners (the panel switched to them)."""
        self.patient = patient
        # setText does not emit textEdited (no search starts), and the box now names `patient`.
        self.search.setText(patient.full_name if patient is not None else "")
        self.results.hide()
        self.hint.hide()

    def search_now(self, text: str) -> None:
        """Type `text` and search without waiting for the pause (tests, prefill)."""
        self.search.setText(text)
        self._timer.stop()
        self._start_search(text)

    # --- slots ---

    def on_search_edited(self, _text: str) -> None:
        self._timer.start()

    def on_search_changed(self, text: str) -> None:
        if self.patient is not None and text.strip() != self.patient.full_name:
            self.patient = None
            self.patient_cleared.emit()

    def on_timer_timeout(self) -> None:
        self._start_search(self.search.text())

    def on_search_return(self) -> None:
        if self.results.isVisible() and self.results.count():
            self.on_results_activated(self.results.item(0))

    def on_results_activated(self, item: QListWidgetItem) -> None:
        patient = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(patient, Patient):
            self.set_patient(patient)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Down arrow from the box moves into the list, so the keyboard alone can pick.
        if (
            watched is self.search
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Down
            and self.results.isVisible()
            and self.results.count()
        ):
            self.results.setFocus()
            self.results.setCurrentRow(0)
            return True
        return super().eventFilter(watched, event)

    # --- searching ---

    def _start_search(self, text: str) -> None:
        text = text.strip()
        self._generation += 1
        generation = self._generation
        if len(text) < MIN_CHARS:
            self.results.clear()
            self.results.hide()
            self.hint.hide()
            return
        self.hint.setText("Searching…")
        self.hint.show()
        self._bridge.run(
            self._backend.search_patients(text, limit=RESULT_LIMIT),
            on_success=lambda page: self._show_results(generation, page),
            where=self._where,
            context="searching patients",
        )

    def _show_results(self, generation: int, page: Page[Patient]) -> None:
        if generation != self._generation:
            return  # an answer to an older query; a newer one is on its way
        self.results.clear()
        for patient in page.data:
            item = QListWidgetItem(patient_line(patient))
            item.setData(Qt.ItemDataRole.UserRole, patient)
            self.results.addItem(item)
        found = bool(page.data)
        self.results.setVisible(found)
        self.hint.setVisible(not found)
        self.hint.setText("" if found else "No patient matches.")
