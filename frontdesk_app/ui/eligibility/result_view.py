"""One eligibility answer, laid out: the verdict, coverage, each service, and its age."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from frontdesk_app.domain.models import EligibilityResult
from frontdesk_app.ui.eligibility.service import CheckOutcome
from frontdesk_app.ui.eligibility.state import verdict
from frontdesk_app.ui.eligibility.widgets import Banner, FieldGrid, money

COVERAGE_FIELDS = [
    ("payer", "Payer"),
    ("member_id", "Member ID"),
    ("network", "Network"),
    ("copay", "Copay"),
    ("deductible", "Deductible remaining"),
    ("coinsurance", "Coinsurance"),
    ("date_of_service", "Date of service"),
    ("verified", "Verified"),
]


class ResultView(QWidget):
    """Shows a `CheckOutcome`; `banner.tone` and the grid's values are what tests read."""

    def __init__(self, zone: ZoneInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._zone = zone
        self.banner = Banner(self)
        self.notice = Banner(self)  # payer down / offline, beside an older result
        self.grid = FieldGrid(COVERAGE_FIELDS, self)
        self.services_caption = QLabel("Services", self)
        self.services_caption.setProperty("role", "heading")
        self.services = QTableWidget(0, 3, self)
        self.services.setHorizontalHeaderLabels(["Service code", "Covered", "Prior authorization"])
        self.services.setAccessibleName("Coverage by service")
        self.services.verticalHeader().hide()
        self.services.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.services.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.services.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.services.setShowGrid(False)
        self.services.setAlternatingRowColors(True)
        self.services.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(self.notice)
        layout.addWidget(self.banner)
        layout.addWidget(self.grid)
        layout.addWidget(self.services_caption)
        layout.addWidget(self.services)
        self.result: EligibilityResult | None = None
        self.show_outcome(None)

    def show_outcome(self, outcome: CheckOutcome | None) -> None:
        self.notice.clear()
        if outcome is None:
            self._show_result(None)
            self.banner.show_message(
                "info", "No check yet", "Choose a patient and a date, then check eligibility."
            )
            return
        if outcome.payer_down:
            self.notice.show_message(
                "warn", f"{outcome.payer or 'The payer'} is not answering", outcome.message
            )
        elif outcome.freshness.cached:
            age = outcome.freshness.describe().capitalize()
            title = "Offline" if outcome.freshness.offline else "Earlier answer"
            self.notice.show_message(
                "info", f"{title} · {age}" if outcome.result else title, outcome.message
            )
        self._show_result(outcome.result)
        if outcome.result is None:
            self.banner.clear()

    def show_result(self, result: EligibilityResult) -> None:
        """Show a check from the history (no notice: its age is in the Verified row)."""
        self.notice.clear()
        self._show_result(result)

    def _show_result(self, result: EligibilityResult | None) -> None:
        self.result = result
        visible = result is not None
        self.grid.setVisible(visible)
        self.services_caption.setVisible(visible and bool(result and result.services))
        self.services.setVisible(visible and bool(result and result.services))
        if result is None:
            self.grid.clear()
            self.services.setRowCount(0)
            return
        said = verdict(result)
        self.banner.show_message(said.tone, said.title, said.detail)
        coverage = result.coverage
        self.grid.set("payer", result.payer)
        self.grid.set("member_id", result.member_id)
        self.grid.set("network", "In network" if coverage.in_network else "Out of network")
        self.grid.set("copay", money(coverage.copay))
        self.grid.set("deductible", money(coverage.deductible_remaining))
        self.grid.set("coinsurance", f"{coverage.coinsurance_pct}%")
        self.grid.set("date_of_service", f"{result.date_of_service:%a %d %b %Y}")
        self.grid.set("verified", f"{result.verified_at.astimezone(self._zone):%d %b %Y, %H:%M}")
        self.services.setRowCount(len(result.services))
        for row, service in enumerate(result.services):
            cells = [
                service.code,
                "✓ Covered" if service.covered else "✕ Not covered",
                "Required" if service.requires_prior_auth else "Not required",
            ]
            for column, text in enumerate(cells):
                self.services.setItem(row, column, QTableWidgetItem(text))
        # Exactly as tall as its rows: no empty band under a short list.
        height = self.services.horizontalHeader().sizeHint().height() + 4
        height += sum(self.services.rowHeight(r) for r in range(self.services.rowCount()))
        self.services.setFixedHeight(height)
