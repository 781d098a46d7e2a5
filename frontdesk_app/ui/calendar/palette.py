"""Colours of the calendar: one calm hue per appointment type, marks for status and sync."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor


@dataclass(frozen=True, slots=True)
class TypeStyle:
    label: str
    fill: QColor
    accent: QColor


TYPE_STYLES: dict[str, TypeStyle] = {
    "consultation": TypeStyle("Consultation", QColor("#e3eefa"), QColor("#3f7cbf")),
    "follow-up": TypeStyle("Follow-up", QColor("#e2f3e7"), QColor("#3d8f5c")),
    "new-patient": TypeStyle("New patient", QColor("#eee6f7"), QColor("#7c5bb5")),
    "procedure": TypeStyle("Procedure", QColor("#fbefdc"), QColor("#c07f22")),
    "telehealth": TypeStyle("Telehealth", QColor("#ddf2f2"), QColor("#2f8c8c")),
}
OTHER_STYLE = TypeStyle("Appointment", QColor("#eceff3"), QColor("#6b7785"))


def type_style(appointment_type: str) -> TypeStyle:
    return TYPE_STYLES.get(appointment_type, OTHER_STYLE)


BACKGROUND = QColor("#ffffff")
OFF_HOURS = QColor("#f1f3f6")
BLOCKED = QColor("#f3eeee")
BLOCKED_HATCH = QColor("#e2d6d6")
BLOCKED_TEXT = QColor("#8a6d6d")
HOUR_LINE = QColor("#e2e7ed")
HALF_HOUR_LINE = QColor("#eff2f5")
COLUMN_LINE = QColor("#e2e7ed")
DAY_LINE = QColor("#b9c5d2")
HEADER_BG = QColor("#f8fafc")
HEADER_TEXT = QColor("#1f2a36")
HEADER_SUBTEXT = QColor("#66768a")
TODAY_TEXT = QColor("#2f6f9f")
GUTTER_TEXT = QColor("#66768a")
TEXT = QColor("#1f2a36")
SUBTEXT = QColor("#4f5f70")
CANCELLED_FILL = QColor("#f4f5f7")
CANCELLED_TEXT = QColor("#8a96a3")
SELECTION = QColor("#1d4a6b")
CURSOR_FILL = QColor(47, 111, 159, 38)
CURSOR_LINE = QColor("#2f6f9f")
NOW_LINE = QColor("#d0453a")
PENDING = QColor("#b7791f")
PENDING_FILL = QColor("#fff8e8")
CONFLICT = QColor("#c0392b")
CONFLICT_FILL = QColor("#fdeceb")
GHOST_OK = QColor(47, 111, 159, 70)
GHOST_BAD = QColor(192, 57, 43, 70)
