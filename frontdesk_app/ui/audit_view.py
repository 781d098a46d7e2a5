"""The audit log for an administrator: who did what to which patient's data, when; read-only.

Filters by date range (clinic days), person or login, action and patient id; exports what is
shown as CSV. It can only read: the app has no way to change or remove an entry (see
`store.audit`).
Queries run on a worker thread, so a long history never freezes the window.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import shiboken6
from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from frontdesk_app.domain import clock
from frontdesk_app.store import audit
from frontdesk_app.store.audit import ACTIONS, AuditEntry, AuditQuery
from frontdesk_app.store.db import Store
from frontdesk_app.ui.audit_menu import record_view

log = logging.getLogger(__name__)

COLUMNS = ("Time", "Person", "Login", "Workstation", "Action", "Patient id", "Object id")
DEFAULT_DAYS = 30


class AuditView(QDialog):
    """`AuditView(store, zone=…)`; `search()` runs the filters, `export_to(path)` the CSV."""

    def __init__(
        self,
        store: Store,
        *,
        zone: ZoneInfo,
        today: date | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Audit log")
        self.setAccessibleName("Audit log")
        self.resize(980, 560)
        self._store = store
        self._zone = zone
        self.entries: list[AuditEntry] = []
        self._task: asyncio.Future[None] | None = None
        self.searches = 0  # completed searches (tests wait on it)

        day = today or clock.today(zone)
        self.start = QDateEdit(_qdate(day - timedelta(days=DEFAULT_DAYS)))
        self.start.setCalendarPopup(True)
        self.start.setAccessibleName("From (clinic date)")
        self.end = QDateEdit(_qdate(day))
        self.end.setCalendarPopup(True)
        self.end.setAccessibleName("To (clinic date, included)")
        self.user = QComboBox()
        self.user.setAccessibleName("Person or login")
        self.user.addItem("Anyone", "")
        self.action = QComboBox()
        self.action.setAccessibleName("Action")
        self.action.addItem("Any action", "")
        for key, label in ACTIONS.items():
            self.action.addItem(label, key)
        self.patient = QLineEdit()
        self.patient.setAccessibleName("Patient id")
        self.patient.setPlaceholderText("pat_…")
        self.search_button = QPushButton("Search")
        self.search_button.setDefault(True)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setEnabled(False)
        self.summary = QLabel("")
        self.summary.setProperty("role", "hint")

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setAccessibleName("Audit entries")

        filters = QFormLayout()
        dates = QHBoxLayout()
        dates.addWidget(self.start)
        dates.addWidget(QLabel("to"))
        dates.addWidget(self.end)
        dates.addStretch(1)
        filters.addRow("Dates", dates)
        filters.addRow("Person or login", self.user)
        filters.addRow("Action", self.action)
        filters.addRow("Patient id", self.patient)
        row = QHBoxLayout()
        row.addWidget(self.summary, 1)
        row.addWidget(self.search_button)
        row.addWidget(self.export_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)

        self.search_button.clicked.connect(self.search)
        self.patient.returnPressed.connect(self.search)
        self.export_button.clicked.connect(self.on_export_clicked)

    # --- searching ----------------------------------------------------------------------------

    def query(self) -> AuditQuery:
        """The filters as a query: clinic days [from 00:00, to+1 00:00) in UTC."""
        first, last = self.start.date().toPython(), self.end.date().toPython()
        assert isinstance(first, date) and isinstance(last, date)
        if last < first:
            first, last = last, first
        start = datetime.combine(first, time(0), tzinfo=self._zone)
        end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=self._zone)
        return AuditQuery(
            start=start,
            end=end,
            user=str(self.user.currentData() or "") or None,
            action=str(self.action.currentData() or "") or None,
            patient_id=self.patient.text().strip() or None,
        )

    def search(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self.search_button.setEnabled(False)
        self.summary.setText("Searching…")
        self._task = asyncio.ensure_future(self._search(self.query()))

    async def _search(self, query: AuditQuery) -> None:
        def work() -> tuple[list[AuditEntry], list[str]]:
            with self._store.read() as session:
                return audit.search(session, query), audit.known_users(session)

        try:
            found, users = await asyncio.to_thread(work)
        except Exception:
            log.exception("reading the audit log failed")
            if shiboken6.isValid(self):
                self.summary.setText("The audit log could not be read; details are in the log.")
                self.search_button.setEnabled(True)
            return
        if shiboken6.isValid(self):
            self._show(found, users, query)

    def _show(self, found: list[AuditEntry], users: list[str], query: AuditQuery) -> None:
        self.entries = found
        chosen = str(self.user.currentData() or "")
        self.user.blockSignals(True)
        self.user.clear()
        self.user.addItem("Anyone", "")
        for name in users:
            self.user.addItem(name, name)
        self.user.setCurrentIndex(max(0, self.user.findData(chosen)))
        self.user.blockSignals(False)
        self.table.setRowCount(len(found))
        for row, entry in enumerate(found):
            cells = (
                entry.at.astimezone(self._zone).strftime("%Y-%m-%d %H:%M:%S"),
                entry.person or "—",
                entry.user,
                entry.workstation,
                entry.label,
                entry.patient_id or "",
                f"{entry.object_id or ''}"
                + (f" (was {entry.linked_id})" if entry.linked_id else ""),
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        more = (
            " (the newest; narrow the filters to see older ones)"
            if len(found) >= query.limit
            else ""
        )
        self.summary.setText(f"{len(found)} entries{more}")
        self.export_button.setEnabled(bool(found))
        self.search_button.setEnabled(True)
        self.searches += 1

    # --- export -------------------------------------------------------------------------------

    def on_export_clicked(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, "Export the audit log", str(Path.home() / "audit-log.csv"), "CSV files (*.csv)"
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> int:
        """Write the entries shown (oldest first) to `path` as CSV; returns the row count."""
        with path.open("w", encoding="utf-8", newline="") as stream:
            written = audit.write_csv(reversed(self.entries), stream)
        self.summary.setText(f"{written} entries exported to {path.name}")
        log.info("audit log exported (%d entries)", written)
        record_view("audit.export", object_id=f"{written} entries")
        return written


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)
