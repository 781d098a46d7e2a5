"""The main window: panels as tabs (Ctrl+1…6), one message bar, the status bar, menus.

It appears before the backend exists (a "starting" page), then `attach()` builds the panels
once the backend is ready; `detach()` tears them down before the backend closes (settings
changes reconnect this way). Geometry and the last panel are remembered in QSettings.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from frontdesk_app import __version__
from frontdesk_app.config import Settings, save_settings
from frontdesk_app.ui.async_bridge import AsyncBridge
from frontdesk_app.ui.errors import ErrorSink
from frontdesk_app.ui.message_bar import MessageBar
from frontdesk_app.ui.panel_tabs import PanelTabs
from frontdesk_app.ui.resources import icon
from frontdesk_app.ui.status_bar import FrontDeskStatusBar

if TYPE_CHECKING:
    from frontdesk_app.domain.backend import Backend
    from frontdesk_app.ui.events import EventFeed
    from frontdesk_app.ui.panels import PanelContext, PanelSpec
    from frontdesk_app.ui.patients.finder import PatientFinderAction

log = logging.getLogger(__name__)

SHORTCUTS_HELP = """<table cellpadding="3">
<tr><td><b>Ctrl+1 … Ctrl+6</b></td>
<td>Calendar, eligibility, prescriptions, live calls, flow board, waitlist</td></tr>
<tr><td><b>Ctrl+K</b></td><td>Find a patient and open their card</td></tr>
<tr><td><b>Ctrl+N</b></td><td>Book at the selected time</td></tr>
<tr><td><b>Ctrl+F</b></td><td>Find the next opening</td></tr>
<tr><td><b>Arrow keys</b></td><td>Move through times and providers</td></tr>
<tr><td><b>Enter</b></td><td>Book the free time, or open the appointment</td></tr>
<tr><td><b>Delete</b></td><td>Cancel the selected appointment</td></tr>
<tr><td><b>Page Up / Page Down</b></td><td>Previous / next day or week</td></tr>
<tr><td><b>Ctrl+T</b></td><td>Today</td></tr>
<tr><td><b>Ctrl+D / Ctrl+W</b></td><td>Day view / week view</td></tr>
<tr><td><b>Ctrl+Shift+W</b></td><td>One provider's week</td></tr>
<tr><td><b>Ctrl+plus / Ctrl+minus / Ctrl+0</b></td><td>Zoom the calendar in / out / back</td></tr>
<tr><td><b>Ctrl+Z</b></td><td>Undo the last move (within a minute)</td></tr>
<tr><td><b>Ctrl+P / Ctrl+E</b></td><td>Print the day sheet / save it as PDF</td></tr>
<tr><td><b>Ctrl+,</b></td><td>Settings</td></tr>
</table>"""


class MainWindow(QMainWindow):
    """`settings_changed(settings, reconnect)` asks the app to rebuild the backend."""

    settings_changed = Signal(object, bool)
    closing = Signal()

    def __init__(
        self,
        *,
        settings: Settings,
        qsettings: QSettings,
        settings_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("FrontDesk")
        self.setWindowIcon(icon("app"))
        self.setAccessibleName("FrontDesk")
        self.settings = settings
        self._qsettings = qsettings
        self._settings_path = settings_path
        self.errors = ErrorSink(self)
        self.bridge = AsyncBridge(self.errors)
        self.context: PanelContext | None = None
        self.patient_finder: PatientFinderAction | None = None
        self._panel_actions: list[QAction] = []

        self.message = MessageBar()
        self.errors.set_fallback(self.message)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setAccessibleName("Panels")
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self._panels = PanelTabs(self.tabs, self.errors)
        self.starting = self._starting_page()
        self.tabs.addTab(self.starting, "Starting")
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.status = FrontDeskStatusBar(self)
        self.setStatusBar(self.status)
        self.status.set_zone(settings.clinic_timezone)
        self.status.conflicts_clicked.connect(self.open_conflicts)
        self.bridge.busy_changed.connect(self.status.set_busy)
        self._build_menus()
        self._restore_geometry()

    # --- starting page -----------------------------------------------------------------------
    def _starting_page(self) -> QWidget:
        page = QWidget()
        page.setAccessibleName("Starting")
        self.starting_label = QLabel("Opening the clinic…")
        self.starting_label.setProperty("role", "heading")
        self.starting_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.starting_detail = QLabel("")
        self.starting_detail.setProperty("role", "hint")
        self.starting_detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.starting_detail.setWordWrap(True)
        self.starting_progress = QProgressBar()
        self.starting_progress.setRange(0, 0)
        self.starting_progress.setFixedWidth(240)
        box = QVBoxLayout(page)
        box.addStretch(2)
        box.addWidget(self.starting_label)
        box.addWidget(self.starting_progress, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addWidget(self.starting_detail)
        box.addStretch(3)
        return page

    def set_starting(self, text: str, detail: str = "", *, failed: bool = False) -> None:
        self.starting_label.setText(text)
        self.starting_detail.setText(detail)
        self.starting_progress.setVisible(not failed)

    # --- menus -------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        settings = file_menu.addAction(icon("settings"), "&Settings…", self.open_settings)
        settings.setShortcut(QKeySequence("Ctrl+,"))
        file_menu.addSeparator()
        quit_action = file_menu.addAction("&Quit", self.close)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        # On the window too: Ctrl+Q quits while locked, when the menus are disabled (the next
        # start is locked as well).
        self.addAction(quit_action)
        self.quit_action = quit_action
        self.view_menu = bar.addMenu("&View")
        help_menu = bar.addMenu("&Help")
        keys = help_menu.addAction("&Keyboard shortcuts", self.show_shortcuts)
        keys.setShortcut(QKeySequence("F1"))
        help_menu.addAction("&About FrontDesk", self.show_about)

    def _rebuild_view_menu(self) -> None:
        for action in self._panel_actions:
            self.view_menu.removeAction(action)
            self.removeAction(action)
        self._panel_actions.clear()
        for spec in self._panels.specs.values():
            action = QAction(spec.title, self)
            if spec.icon:
                action.setIcon(icon(spec.icon))
            if 1 <= spec.slot <= 9:
                action.setShortcut(QKeySequence(f"Ctrl+{spec.slot}"))
            action.triggered.connect(lambda _=False, key=spec.key: self.show_panel(key))
            self.view_menu.addAction(action)
            self.addAction(action)
            self._panel_actions.append(action)

    # --- panels ------------------------------------------------------------------------------
    def attach(
        self,
        backend: Backend,
        *,
        environment: str,
        events: EventFeed | None = None,
        specs: list[PanelSpec] | None = None,
    ) -> None:
        """Build the registered panels over `backend` (the window is already showing): the
        one on show now, the others just after (`ui/panel_tabs.py`)."""
        # Imported here, not with the window: the models and the panels load after its first
        # frame is painted (see app.run).
        from frontdesk_app.ui.events import EventFeed
        from frontdesk_app.ui.panels import PanelContext, panel_specs

        feed = events or EventFeed(backend)
        self.context = PanelContext(
            backend=backend,
            bridge=self.bridge,
            errors=self.errors,
            events=feed,
            settings=self.settings,
            zone=ZoneInfo(self.settings.clinic_timezone),
            window=self,
        )
        self.status.attach(backend, environment=environment)
        self.status.set_zone(self.settings.clinic_timezone)
        last = str(self._qsettings.value("window/panel", "calendar"))
        self.tabs.blockSignals(True)
        self.tabs.removeTab(self.tabs.indexOf(self.starting))
        # The panel on show is built now, the others once it has shown its data (panel_tabs).
        self._panels.build(panel_specs() if specs is None else specs, self.context, first=last)
        self.tabs.blockSignals(False)
        self._rebuild_view_menu()
        from frontdesk_app.ui.patients.finder import PatientFinderAction

        self.patient_finder = PatientFinderAction(self.context)  # Ctrl+K from any panel
        feed.start()
        self.show_panel(last if last in self._panels.specs else next(iter(self._panels.specs), ""))

    # --- panels ------------------------------------------------------------------------------
    async def detach(self) -> None:
        """Shut the panels down and forget the backend (before it is closed)."""
        panels = list(self._panels.built.values())
        self._panels.clear()  # first: nothing still waiting is built from now on
        for widget in panels:
            shutdown = getattr(widget, "shutdown", None)
            if callable(shutdown):
                try:
                    shutdown()
                except Exception as exc:
                    self.errors.report(exc, context="closing a panel")
        self.bridge.cancel_all()
        if self.patient_finder is not None:
            self.patient_finder.remove()
            self.patient_finder = None
        if self.context is not None:
            await self.context.events.stop()
        self.status.detach()
        self.tabs.blockSignals(True)
        while self.tabs.count():
            page = self.tabs.widget(0)
            self.tabs.removeTab(0)
            if page is not None and page is not self.starting:
                page.deleteLater()
        self.tabs.addTab(self.starting, "Starting")
        self.tabs.blockSignals(False)
        self._rebuild_view_menu()
        self.context = None

    def panel(self, key: str) -> QWidget | None:
        """The panel `key` (built now if it was still waiting for its turn)."""
        return self._panels.get(key)

    def show_panel(self, key: str) -> QWidget | None:
        widget = self._panels.get(key)
        if widget is not None:
            self.tabs.setCurrentWidget(widget)
            widget.setFocus(Qt.FocusReason.ShortcutFocusReason)
        return widget

    def _on_tabs_current_changed(self, index: int) -> None:
        key = self._panels.key_of(self.tabs.widget(index))
        if key is None:
            return
        panel = self._panels.get(key)  # a tab clicked before its panel's turn: built now
        self._qsettings.setValue("window/panel", key)
        on_shown = getattr(panel, "on_shown", None)
        if callable(on_shown):
            on_shown()

    def current_panel_key(self) -> str | None:
        return self._panels.key_of(self.tabs.currentWidget())

    # --- remembered state --------------------------------------------------------------------
    def remembered(self, key: str, default: Any = None) -> Any:
        return self._qsettings.value(key, default)

    def remember(self, key: str, value: Any) -> None:
        self._qsettings.setValue(key, value)

    def save_settings(self) -> None:
        save_settings(self.settings, self._settings_path)

    def _restore_geometry(self) -> None:
        geometry = self._qsettings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            # A clinic's common screen is 1280 × 800: the whole window on it, the taskbar aside.
            screen = self.screen()
            size = QSize(1280, 800)
            self.resize(size.boundedTo(screen.availableGeometry().size()) if screen else size)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._qsettings.setValue("window/geometry", self.saveGeometry())
        key = self.current_panel_key()
        if key:
            self._qsettings.setValue("window/panel", key)
        self._qsettings.sync()
        self.errors.close_reports()
        self.closing.emit()
        event.accept()

    # --- dialogs -----------------------------------------------------------------------------
    def open_settings(self) -> QWidget:
        from frontdesk_app.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, settings_path=self._settings_path, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.saved.connect(self._on_settings_saved)
        if self.context is not None:
            self.bridge.run(
                self.context.backend.list_agents(),
                on_success=dialog.set_agents,
                on_error=lambda _exc: True,
                context="loading the agents",
            )
        dialog.open()
        return dialog

    def _on_settings_saved(self, settings: Settings, reconnect: bool) -> None:
        zone_changed = settings.clinic_timezone != self.settings.clinic_timezone
        self.settings = settings
        if self.context is not None:
            self.context.settings = settings  # the panels read it as they draw
        self.status.set_zone(settings.clinic_timezone)
        self.settings_changed.emit(settings, reconnect or zone_changed)

    def open_conflicts(self, *, appointment_id: str | None = None) -> QWidget | None:
        """The conflict list; on `appointment_id`'s conflict when given (a calendar tile)."""
        if self.context is None:
            return None
        from frontdesk_app.ui.conflicts_dialog import ConflictListDialog

        calendar = self.panel("calendar")
        model = getattr(calendar, "model", None)
        providers = {p.id: p.name for p in model.providers} if model is not None else {}
        patients = model.patient_labels() if model is not None else {}
        dialog = ConflictListDialog(
            self.context.backend,
            self.bridge,
            zone=self.context.zone,
            provider_names=providers,
            patient_names=patients,
            appointment_id=appointment_id,
            parent=self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        refresh = getattr(calendar, "reload", None)
        if callable(refresh):
            dialog.resolved.connect(lambda _id: refresh())
        dialog.open()
        return dialog

    def show_shortcuts(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.NoIcon,
            "Keyboard shortcuts",
            SHORTCUTS_HELP,
            QMessageBox.StandardButton.Close,
            self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        box.open()

    def show_about(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.NoIcon,
            "About FrontDesk",
            f"<b>FrontDesk {__version__}</b><br>The clinic's reception desk: calendar, "
            "eligibility, prescriptions and live calls, online or offline.",
            QMessageBox.StandardButton.Close,
            self,
        )
        box.setIconPixmap(icon("app").pixmap(48, 48))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        box.open()
