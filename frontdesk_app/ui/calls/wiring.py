"""The live-calls panel in the main window: agent, routed actions, shortcuts and the call bar.

Its agent comes from the settings, its actions go to the other panels, Alt+A / Alt+D / Alt+C
work window-wide, and the call bar shows the call on the line above every panel.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolBar

from frontdesk_app.ui.calls.notifier import TransferNotifier
from frontdesk_app.ui.calls.panel import CallsPanel
from frontdesk_app.ui.calls.routing import CallActionRouter
from frontdesk_app.ui.panels import PanelContext


def build_calls_panel(ctx: PanelContext) -> CallsPanel:
    """The panel for the main window: its agent from the settings, its actions routed."""
    panel = CallsPanel(
        ctx.backend,
        ctx.bridge,
        ctx.events,
        zone=ctx.zone,
        agent_id=ctx.settings.agent_id,
        notifier=TransferNotifier(ctx.window),
    )
    # Window-wide: Alt+A / Alt+D / Alt+C work from any panel, and the call bar shows the call
    # on the line above every panel.
    panel.keys.install_shortcuts(ctx.window, Qt.ShortcutContext.WindowShortcut)
    bar = QToolBar("Call on the line", ctx.window)
    bar.setObjectName("callBarToolbar")
    bar.setMovable(False)
    bar.setFloatable(False)
    ctx.window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
    panel.call_bar.place_in(bar)
    # Kept on the panel: a signal holds only a weak reference to a plain object's method.
    panel.router = CallActionRouter(ctx, where=panel)
    panel.action_requested.connect(panel.router.route)

    def on_agent_changed(agent_id: str) -> None:
        ctx.settings.agent_id = agent_id
        ctx.window.save_settings()

    panel.agent_changed.connect(on_agent_changed)
    # A slot of the panel itself: Qt drops the connection when the panel is deleted.
    ctx.window.settings_changed.connect(panel.on_window_settings_changed)
    return panel
