"""Register a new patient: name, date of birth, phone, email, address, insurance.

Opened from the booking dialog's patient search and from a call's actions, prefilled with what
is known (what was typed in the search, what the phone assistant collected). A refusal keeps
everything typed and marks the fields to correct; a likely duplicate lists the patients it may
be, to choose one of them or to register this one anyway.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from frontdesk_app.domain import clock
from frontdesk_app.domain.backend import Backend
from frontdesk_app.domain.errors import FrontDeskError, PossibleDuplicate
from frontdesk_app.domain.ids import new_id
from frontdesk_app.domain.models import Insurance, Patient, PatientCreate, Payer
from frontdesk_app.ui.async_bridge import AsyncBridge
from frontdesk_app.ui.message_bar import MessageBar
from frontdesk_app.ui.patients.header import patient_caption

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PHONE = re.compile(r"^[\d\s().+\-]{7,}$")
NO_INSURANCE = ""


def set_invalid(widget: QWidget, invalid: bool) -> None:
    widget.setProperty("invalid", invalid)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def prefill_from_text(text: str) -> dict[str, Any]:
    """What a search box held, as the fields it names: a date, a phone number or a name."""
    text = text.strip()
    if _DATE.match(text):
        return {"date_of_birth": text}
    if _PHONE.match(text):
        return {"phone": text}
    return {"patient_name": text} if text else {}


def split_name(name: str) -> tuple[str, str]:
    """`Dana Whitfield` → (`Dana`, `Whitfield`); `Whitfield, Dana` → the same."""
    name = " ".join(name.split())
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip(), last.strip()
    first, _, last = name.rpartition(" ")
    return (first, last) if first else (name, "")


class NewPatientDialog(QDialog):
    """Non-modal to the event loop: `open()`, never `exec()`; emits `patient_chosen(Patient)`
    with the new patient, or with an existing one the person picked instead of a duplicate."""

    patient_chosen = Signal(object)

    FIELDS = ("first_name", "last_name", "date_of_birth", "phone", "email", "address")

    def __init__(
        self,
        backend: Backend,
        bridge: AsyncBridge,
        *,
        zone: Any,
        prefill: Mapping[str, Any] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("New patient")
        self.setAccessibleName("New patient")
        self.setMinimumWidth(460)
        self._backend = backend
        self._bridge = bridge
        self._key = new_id("idem", 20)
        self._last: PatientCreate | None = None
        self.result_patient: Patient | None = None

        heading = QLabel("Register a new patient")
        heading.setProperty("role", "heading")
        self.message = MessageBar(self)
        self.first_name = QLineEdit()
        self.last_name = QLineEdit()
        self.date_of_birth = QDateEdit()
        self.date_of_birth.setDisplayFormat("yyyy-MM-dd")
        self.date_of_birth.setCalendarPopup(True)
        today = clock.today(zone)
        self.date_of_birth.setMaximumDate(QDate(today.year, today.month, today.day))
        self.date_of_birth.setDate(QDate(1980, 1, 1))
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("(555) 010-2233")
        self.email = QLineEdit()
        self.email.setPlaceholderText("optional")
        self.address = QLineEdit()
        self.address.setPlaceholderText("optional")
        self.payer = QComboBox()
        self.payer.addItem("No insurance on file", NO_INSURANCE)
        self.member_id = QLineEdit()
        self.member_id.setPlaceholderText("From the insurance card")
        for widget, name in (
            (self.first_name, "First name"),
            (self.last_name, "Last name"),
            (self.date_of_birth, "Date of birth"),
            (self.phone, "Phone"),
            (self.email, "Email"),
            (self.address, "Address"),
            (self.payer, "Insurance payer"),
            (self.member_id, "Member ID"),
        ):
            widget.setAccessibleName(name)

        self.duplicates_caption = QLabel(
            "Already registered and perhaps the same person: choose them, or register anyway."
        )
        self.duplicates_caption.setWordWrap(True)
        self.duplicates = QListWidget()
        self.duplicates.setAccessibleName("Possible duplicates")
        self.duplicates.setMaximumHeight(120)
        self.use_button = QPushButton("Use this patient")
        self.anyway_button = QPushButton("Register as a new patient anyway")
        hidden: tuple[QWidget, ...] = (
            self.duplicates_caption,
            self.duplicates,
            self.use_button,
            self.anyway_button,
        )
        for hidden_widget in hidden:
            hidden_widget.hide()

        form = QFormLayout()
        form.setSpacing(8)
        form.addRow("First name", self.first_name)
        form.addRow("Last name", self.last_name)
        form.addRow("Date of birth", self.date_of_birth)
        form.addRow("Phone", self.phone)
        form.addRow("Email", self.email)
        form.addRow("Address", self.address)
        form.addRow("Insurance", self.payer)
        form.addRow("Member ID", self.member_id)
        self.register_button = QPushButton("Register")
        self.register_button.setDefault(True)
        self.register_button.setAccessibleName("Register patient")
        buttons = QDialogButtonBox()
        buttons.addButton(self.register_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(self.message)
        layout.addLayout(form)
        layout.addWidget(self.duplicates_caption)
        layout.addWidget(self.duplicates)
        layout.addWidget(self.use_button)
        layout.addWidget(self.anyway_button)
        layout.addWidget(buttons)

        self.register_button.clicked.connect(self.submit)
        self.use_button.clicked.connect(self.on_use_clicked)
        self.anyway_button.clicked.connect(self.on_anyway_clicked)
        self.duplicates.itemActivated.connect(lambda _item: self.on_use_clicked())
        self.payer.currentIndexChanged.connect(self._on_payer_changed)
        self._on_payer_changed()
        self._pending_payer: str | None = None
        if prefill:
            self.prefill(prefill)
        bridge.run(
            backend.list_payers(), on_success=self._on_payers, owner=self, context="loading payers"
        )

    # --- filling -------------------------------------------------------------------------------
    def prefill(self, data: Mapping[str, Any]) -> None:
        """From a search or a call: `patient_name`, `date_of_birth`, `phone`, `email`,
        `address`, `payer_id`, `member_id` (any may be missing)."""
        name = data.get("patient_name")
        if isinstance(name, str) and name.strip():
            first, last = split_name(name)
            self.first_name.setText(first)
            self.last_name.setText(last)
        born = data.get("date_of_birth")
        if isinstance(born, str) and _DATE.match(born.strip()):
            try:
                day = date.fromisoformat(born.strip())
            except ValueError:
                day = None
            if day is not None:
                self.date_of_birth.setDate(QDate(day.year, day.month, day.day))
        for key in ("phone", "email", "address", "member_id"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                getattr(self, key).setText(value.strip())
        payer_id = data.get("payer_id")
        if isinstance(payer_id, str) and payer_id:
            self._pending_payer = payer_id
            self._select_payer(payer_id)

    def _on_payers(self, payers: list[Payer]) -> None:
        chosen = self.payer.currentData()
        for payer in sorted(payers, key=lambda p: p.name):
            self.payer.addItem(payer.name, payer.id)
        self._select_payer(self._pending_payer or (chosen if isinstance(chosen, str) else ""))

    def _select_payer(self, payer_id: str) -> None:
        index = self.payer.findData(payer_id)
        if index >= 0:
            self.payer.setCurrentIndex(index)

    def _on_payer_changed(self, *_args: object) -> None:
        insured = bool(self.payer.currentData())
        self.member_id.setEnabled(insured)

    # --- registering ---------------------------------------------------------------------------
    def request(self, *, allow_duplicate: bool = False) -> PatientCreate:
        payer_id = self.payer.currentData()
        insurance = (
            Insurance(payer_id=payer_id, member_id=self.member_id.text().strip())
            if isinstance(payer_id, str) and payer_id
            else None
        )
        return PatientCreate(
            first_name=self.first_name.text(),
            last_name=self.last_name.text(),
            date_of_birth=self.date_of_birth.date().toPython(),
            phone=self.phone.text(),
            email=self.email.text() or None,
            address=self.address.text() or None,
            insurance=insurance,
            allow_duplicate=allow_duplicate,
        )

    def submit(self, *, allow_duplicate: bool = False) -> None:
        request = self.request(allow_duplicate=allow_duplicate)
        # The same registration sent again (a dropped answer) keeps its key: registered once.
        if request != self._last:
            self._key = new_id("idem", 20)
            self._last = request
        for name in (*self.FIELDS, "payer", "member_id"):
            set_invalid(getattr(self, name), False)
        self.register_button.setEnabled(False)
        self.anyway_button.setEnabled(False)
        self._bridge.run(
            self._backend.create_patient(request, idempotency_key=self._key),
            on_success=self._on_registered,
            on_error=self._on_refused,
            busy="Registering the patient",
            context="registering a patient",
        )

    def on_anyway_clicked(self) -> None:
        self.submit(allow_duplicate=True)

    def on_use_clicked(self) -> None:
        item = self.duplicates.currentItem() or self.duplicates.item(0)
        patient = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if isinstance(patient, Patient):
            self._choose(patient)

    def _on_registered(self, patient: Patient) -> None:
        self._choose(patient)

    def _choose(self, patient: Patient) -> None:
        self.result_patient = patient
        self.patient_chosen.emit(patient)
        self.accept()

    def _on_refused(self, exc: BaseException) -> bool:
        self.register_button.setEnabled(True)
        self.anyway_button.setEnabled(True)
        if not isinstance(exc, FrontDeskError):
            return False
        if isinstance(exc, PossibleDuplicate):
            self.message.show_error(exc)
            self._bridge.run(
                self._candidates(exc.candidate_ids),
                on_success=self._show_duplicates,
                owner=self,
                context="loading possible duplicates",
            )
            return True
        self.show_error(exc)
        return True

    async def _candidates(self, ids: tuple[str, ...]) -> list[Patient]:
        found = []
        for patient_id in ids:
            try:
                found.append(await self._backend.get_patient(patient_id))
            except FrontDeskError:
                continue  # not on this computer (offline): the others are still worth showing
        return found

    def _show_duplicates(self, patients: list[Patient]) -> None:
        self.duplicates.clear()
        for patient in patients:
            item = QListWidgetItem(f"{patient_caption(patient)} · {patient.phone}")
            item.setData(Qt.ItemDataRole.UserRole, patient)
            self.duplicates.addItem(item)
        if patients:
            self.duplicates.setCurrentRow(0)
        for widget in (self.duplicates_caption, self.duplicates, self.use_button):
            widget.setVisible(bool(patients))
        self.anyway_button.show()

    def show_error(self, error: FrontDeskError) -> None:
        """Above the form, with the fields to correct marked; nothing typed is lost."""
        self.message.show_error(error)
        for field_error in error.errors:
            name = field_error.field.removeprefix("insurance.")
            widget = getattr(self, "payer" if name == "payer_id" else name, None)
            if isinstance(widget, QWidget):
                set_invalid(widget, True)
