"""Printing the day sheet through the system's print dialog (QtPrintSupport, loaded lazily)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QWidget

from frontdesk_app.ui.audit_menu import record_view
from frontdesk_app.ui.calendar.day_sheet import paint_day_sheet
from frontdesk_app.ui.calendar.model import CalendarModel


def print_day_sheet(parent: QWidget, model: CalendarModel, day: date) -> None:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(f"Day sheet {day.isoformat()}")
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle("Print day sheet")

    def accepted() -> None:
        paint_day_sheet(printer, model, day)
        record_view("daysheet.print", object_id=day.isoformat())

    dialog.accepted.connect(accepted)
    dialog.finished.connect(dialog.deleteLater)
    # Window-modal show(), not exec(): a nested modal loop would stall the asyncio loop.
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.show()
