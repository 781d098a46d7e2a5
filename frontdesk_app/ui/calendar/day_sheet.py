"""The day sheet: each provider's appointments for one day, printed or saved as a PDF."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, Qt
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
)

from frontdesk_app.ui.calendar import palette
from frontdesk_app.ui.calendar.model import CalendarModel

STATUS_TEXT = {"confirmed": "", "rescheduled": "Rescheduled", "cancelled": "Cancelled"}
SYNC_TEXT = {"synced": "", "pending": "Waiting to sync", "conflict": "Conflict"}


def sheet_rows(model: CalendarModel, day: date) -> list[tuple[str, list[list[str]]]]:
    """(provider heading, rows of [time, patient, type, status, notes]) for each provider shown."""
    zone = model.zone
    sections = []
    for provider in model.providers:
        if provider.id not in model.shown_provider_ids:
            continue
        rows = []
        for view in model.in_cell(provider.id, day):
            status = ", ".join(
                t
                for t in (STATUS_TEXT.get(view.status, view.status), SYNC_TEXT[view.sync_state])
                if t
            )
            rows.append(
                [
                    f"{view.start.astimezone(zone):%H:%M}–{view.end.astimezone(zone):%H:%M}",
                    model.patient_label(view.patient_id),
                    palette.type_style(view.type).label,
                    status,
                    view.notes or "",
                ]
            )
        sections.append((f"{provider.name} — {provider.specialty}", rows))
    return sections


def paint_day_sheet(device: QPagedPaintDevice, model: CalendarModel, day: date) -> int:
    """Paint onto a PDF writer or printer; returns the number of pages."""
    painter = QPainter(device)
    layout = device.pageLayout()
    dpi = device.logicalDpiY()
    page = layout.paintRectPixels(dpi)
    width, height = float(page.width()), float(page.height())
    base = QFont()
    base.setPointSizeF(9.5)
    bold = QFont(base)
    bold.setWeight(QFont.Weight.DemiBold)
    title = QFont(base)
    title.setPointSizeF(15)
    title.setWeight(QFont.Weight.DemiBold)
    metrics = QFontMetrics(base, device)
    line = metrics.height() * 1.45
    columns = [0.0, 0.16, 0.42, 0.62, 0.78]  # fractions of the width: time, patient, type …
    pages = 1
    y = 0.0

    def new_page() -> None:
        nonlocal y, pages
        device.newPage()
        pages += 1
        y = 0.0

    painter.setFont(title)
    painter.drawText(
        QRectF(0, y, width, line * 1.6),
        Qt.AlignmentFlag.AlignLeft,
        f"Day sheet — {day:%A %d %B %Y}",
    )
    y += line * 1.8
    painter.setFont(base)
    painter.setPen(palette.SUBTEXT)
    painter.drawText(
        QRectF(0, y, width, line),
        Qt.AlignmentFlag.AlignLeft,
        f"Times in {model.zone.key}. Confidential: contains patient information.",
    )
    y += line * 1.5
    for heading, rows in sheet_rows(model, day):
        if y + line * 3 > height:
            new_page()
        painter.setFont(bold)
        painter.setPen(palette.TEXT)
        painter.drawText(QRectF(0, y, width, line), Qt.AlignmentFlag.AlignLeft, heading)
        y += line
        painter.setPen(palette.HOUR_LINE)
        painter.drawLine(0, int(y), int(width), int(y))
        y += line * 0.2
        painter.setFont(base)
        if not rows:
            painter.setPen(palette.SUBTEXT)
            painter.drawText(
                QRectF(0, y, width, line), Qt.AlignmentFlag.AlignLeft, "No appointments."
            )
            y += line * 1.6
            continue
        for row in rows:
            if y + line > height:
                new_page()
            painter.setPen(palette.TEXT)
            for index, cell in enumerate(row):
                x = columns[index] * width
                right = columns[index + 1] * width if index + 1 < len(columns) else width
                text = metrics.elidedText(cell, Qt.TextElideMode.ElideRight, int(right - x - 8))
                painter.drawText(
                    QRectF(x, y, right - x, line),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    text,
                )
            y += line
        y += line * 0.8
    painter.end()
    return pages


def export_pdf(path: Path, model: CalendarModel, day: date) -> int:
    writer = QPdfWriter(str(path))
    writer.setTitle(f"Day sheet {day.isoformat()}")
    writer.setCreator("FrontDesk")
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(15, 15, 15, 15),
            QPageLayout.Unit.Millimeter,
        )
    )
    writer.setResolution(150)
    return paint_day_sheet(writer, model, day)
