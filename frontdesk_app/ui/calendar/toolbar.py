"""The calendar's toolbar: today, previous/next, date picker, day/week, providers, actions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QDate, QObject, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QLabel,
    QMenu,
    QSizePolicy,
    QToolBar,
    QToolButton,
    QWidget,
)

from frontdesk_app.domain.models import Provider
from frontdesk_app.ui.calendar.provider_picker import ProviderPicker
from frontdesk_app.ui.resources import icon


def _action(
    parent: QWidget, text: str, icon_name: str | None, keys: tuple[str, ...] = (), tip: str = ""
) -> QAction:
    action = QAction(text, parent)
    if icon_name:
        action.setIcon(icon(icon_name))
    if keys:
        action.setShortcuts([QKeySequence(k) for k in keys])
        # Active wherever the focus is inside the calendar panel, not only in the toolbar.
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    shortcut_text = f" ({keys[0]})" if keys else ""
    action.setToolTip((tip or text) + shortcut_text)
    return action


def quietly(target: QObject, change: Callable[[], object]) -> None:
    """Change a widget without it signalling. Not `QSignalBlocker` as a context manager:
    in PySide6 6.12 its `__exit__` drops a reference to None on every use, and after some
    thousand uses the interpreter aborts (`none_dealloc`)."""
    was = target.blockSignals(True)
    try:
        change()
    finally:
        target.blockSignals(was)


class CalendarToolbar(QToolBar):
    providers_changed = Signal(list)  # provider ids to show
    focus_changed = Signal(str)  # the provider whose week is shown

    def __init__(self, parent: QWidget) -> None:
        super().__init__("Calendar", parent)
        self.setAccessibleName("Calendar toolbar")
        self.setMovable(False)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.today = _action(self, "Today", "today", ("Ctrl+T",), "Go to today")
        self.prev = _action(self, "Previous", "prev", ("PgUp", "Alt+Left"), "Previous day or week")
        self.next = _action(self, "Next", "next", ("PgDown", "Alt+Right"), "Next day or week")
        self.date = QDateEdit()
        self.date.setAccessibleName("Go to date")
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("ddd d MMM yyyy")
        self.date.setToolTip("Choose a date")
        self.period = QLabel()
        self.period.setAccessibleName("Dates shown")
        self.period.setProperty("role", "heading")
        self.day_mode = _action(self, "Day", "day-view", ("Ctrl+D",), "Day view")
        self.week_mode = _action(self, "Week", "week-view", ("Ctrl+W",), "Week view")
        self.provider_mode = _action(
            self, "Provider", "provider-week", ("Ctrl+Shift+W",), "One provider's week"
        )
        self.focus_box = QComboBox()
        self.focus_box.setAccessibleName("Provider whose week is shown")
        self.focus_box.setToolTip("Whose week to show")
        self.focus_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.focus_box.currentIndexChanged.connect(self._on_focus_index_changed)
        self.zoom_in = _action(self, "Zoom in", None, ("Ctrl++", "Ctrl+="), "Wider columns")
        self.zoom_out = _action(self, "Zoom out", None, ("Ctrl+-",), "Narrower columns")
        self.zoom_reset = _action(self, "Actual size", None, ("Ctrl+0",), "Columns as they start")
        self.undo = _action(self, "Undo move", None, ("Ctrl+Z",), "Put the last move back")
        self.undo.setEnabled(False)
        group = QActionGroup(self)
        for action in (self.day_mode, self.week_mode, self.provider_mode):
            action.setCheckable(True)
            group.addAction(action)
        self.show_cancelled = _action(self, "Show cancelled", None)
        self.show_cancelled.setCheckable(True)
        self.provider_button = ProviderPicker([self.show_cancelled])
        self.provider_button.providers_changed.connect(self.providers_changed)
        self.book = _action(self, "Book", "add", ("Ctrl+N",), "Book an appointment")
        self.find_opening = _action(
            self, "Find opening", "find-opening", ("Ctrl+F",), "Find the next opening"
        )
        self.print_ = _action(self, "Print", "print", ("Ctrl+P",), "Print the day sheet")
        self.export = _action(self, "Export PDF", "pdf", ("Ctrl+E",), "Save the day sheet as a PDF")

        self.addAction(self.today)
        self.addAction(self.prev)
        self.addAction(self.next)
        self.addWidget(self.date)
        self._period_action = self.addWidget(self.period)
        self._spacer = QWidget()
        self._spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.addWidget(self._spacer)
        self.addAction(self.day_mode)
        self.addAction(self.week_mode)
        self.addAction(self.provider_mode)
        self._focus_action = self.addWidget(self.focus_box)
        self._focus_action.setVisible(False)
        self.addWidget(self.provider_button)
        self.addSeparator()
        self.addAction(self.book)
        # A button of its own (not the action's): hiding it when the window is narrow must not
        # hide the action, whose key (Ctrl+F) works wherever the focus is in the panel.
        self.find_button = QToolButton()
        self.find_button.setDefaultAction(self.find_opening)
        self.find_button.setAccessibleName(self.find_opening.text())
        self.find_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._find_action = self.addWidget(self.find_button)
        # What a 1280-pixel window has no room for: the day sheet and the zoom, with their keys.
        self.more_menu = QMenu(self)
        self.more_menu.setAccessibleName("More calendar actions")
        for action in (self.undo, self.find_opening, self.print_, self.export):
            self.more_menu.addAction(action)
        self.more_menu.addSeparator()
        for action in (self.zoom_in, self.zoom_out, self.zoom_reset):
            self.more_menu.addAction(action)
        self.more_button = QToolButton()
        self.more_button.setText("More")
        self.more_button.setIcon(icon("more"))
        self.more_button.setAccessibleName("More")
        self.more_button.setToolTip("Print, PDF, zoom")
        self.more_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more_button.setMenu(self.more_menu)
        self.addWidget(self.more_button)
        for action in (
            self.today,
            self.prev,
            self.next,
            self.day_mode,
            self.week_mode,
            self.provider_mode,
            self.book,
            self.print_,
            self.export,
        ):
            button = self.widgetForAction(action)
            if button is not None:
                button.setAccessibleName(action.text())
        for action in (self.prev, self.next):
            button = self.widgetForAction(action)
            if isinstance(button, QToolButton):
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)

    # --- fitting the window --------------------------------------------------------------------
    def _squeezes(self) -> list[Callable[[], None]]:
        """What gives way, in order, when the toolbar is wider than the window: the "Find
        opening" button (it stays in More), the dates' heading (the date box shows the day),
        the words beside the view and provider buttons (their tooltips and names keep them)."""

        def icon_only(*actions: QAction) -> Callable[[], None]:
            def squeeze() -> None:
                for action in actions:
                    button = self.widgetForAction(action)
                    if isinstance(button, QToolButton):
                        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)

            return squeeze

        def provider_icon() -> None:
            self.provider_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)

        return [
            lambda: self._find_action.setVisible(False),
            lambda: self._period_action.setVisible(False),
            icon_only(self.day_mode, self.week_mode, self.provider_mode),
            provider_icon,
            icon_only(self.today),
        ]

    def fit(self) -> None:
        """Show what fits the width, the rest giving way in the order of `_squeezes`."""
        self._find_action.setVisible(True)
        self._period_action.setVisible(True)
        for action in (self.today, self.day_mode, self.week_mode, self.provider_mode):
            button = self.widgetForAction(action)
            if isinstance(button, QToolButton):
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.provider_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for squeeze in self._squeezes():
            if self.wanted_width() <= self.width():
                return
            squeeze()

    def wanted_width(self) -> int:
        """The width every visible item asks for, the flexible space aside."""
        layout = self.layout()
        spacing = layout.spacing() if layout is not None else 0
        margins = self.contentsMargins()
        total = margins.left() + margins.right() + 24  # the toolbar's handle and ends
        for action in self.actions():
            widget = self.widgetForAction(action)
            if not action.isVisible() or widget is None or widget is self._spacer:
                continue
            total += widget.sizeHint().width() + spacing
        return total

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit()

    def keyboard_actions(self) -> list[QAction]:
        return [
            self.today,
            self.prev,
            self.next,
            self.day_mode,
            self.week_mode,
            self.provider_mode,
            self.book,
            self.find_opening,
            self.print_,
            self.export,
            self.zoom_in,
            self.zoom_out,
            self.zoom_reset,
            self.undo,
        ]

    def show_date(self, anchor: date, days: list[date]) -> None:
        quietly(self.date, lambda: self.date.setDate(QDate(anchor.year, anchor.month, anchor.day)))
        if len(days) == 1:
            text = f"{anchor:%A %d %B %Y}"
        else:
            first, last = days[0], days[-1]
            if first.month == last.month:
                text = f"{first:%d}–{last:%d %B %Y}"
            else:
                text = f"{first:%d %b} – {last:%d %b %Y}"
        self.period.setText(text)
        self.date.setToolTip(f"Choose a date ({text} shown)")
        self.fit()

    def show_focus(self, visible: bool) -> None:
        """The provider box is there only while one provider's week is shown."""
        self._focus_action.setVisible(visible)
        self.fit()

    def set_focus(self, providers: list[Provider], provider_id: str | None) -> None:
        def fill() -> None:
            self.focus_box.clear()
            for provider in providers:
                self.focus_box.addItem(provider.name, provider.id)
            self.focus_box.setCurrentIndex(max(0, self.focus_box.findData(provider_id)))

        quietly(self.focus_box, fill)

    def _on_focus_index_changed(self, index: int) -> None:
        provider_id = self.focus_box.itemData(index)
        if isinstance(provider_id, str):
            self.focus_changed.emit(provider_id)

    def set_providers(self, providers: list[Provider], shown: list[str]) -> None:
        self.provider_button.set_providers(providers, shown)
        self.fit()
