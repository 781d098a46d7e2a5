"""What the calendar shows: the providers' day, everyone's week or one provider's week, and the
zoom; the desk remembers each (QSettings)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from frontdesk_app.ui.calendar.zoom import Kind, Zoom

if TYPE_CHECKING:
    from frontdesk_app.ui.calendar.panel import CalendarPanel


class CalendarModes(QObject):
    """The panel's view modes and zoom, wired to its toolbar."""

    def __init__(self, panel: CalendarPanel) -> None:
        super().__init__(panel)
        self.panel = panel
        window = panel.ctx.window
        self.focus_id: str | None = window.remembered("calendar/focus") or None
        panel.view.set_zoom(Zoom.from_setting(window.remembered("calendar/zoom", 0)))
        t = panel.toolbar
        t.day_mode.triggered.connect(self._on_day_mode_triggered)
        t.week_mode.triggered.connect(self._on_week_mode_triggered)
        t.provider_mode.triggered.connect(self._on_provider_mode_triggered)
        t.focus_changed.connect(self.show_provider_week)
        t.zoom_in.triggered.connect(self._on_zoom_in_triggered)
        t.zoom_out.triggered.connect(self._on_zoom_out_triggered)
        t.zoom_reset.triggered.connect(self._on_zoom_reset_triggered)
        panel.view.provider_week_requested.connect(self.show_provider_week)

    def remembered_mode(self) -> Kind:
        mode = self.panel.ctx.window.remembered("calendar/mode")
        return "week" if mode == "week" else "provider" if mode == "provider" else "day"

    def set_mode(self, mode: Kind) -> None:
        panel, toolbar = self.panel, self.panel.toolbar
        panel.mode = mode
        toolbar.day_mode.setChecked(mode == "day")
        toolbar.week_mode.setChecked(mode == "week")
        toolbar.provider_mode.setChecked(mode == "provider")
        toolbar.show_focus(mode == "provider")
        if mode == "provider":
            if self.focus_id is None or panel.model.provider(self.focus_id) is None:
                self.focus_id = self._focus_candidate()
            toolbar.set_focus(panel.model.providers, self.focus_id)
        panel.model.set_focus(self.focus_id if mode == "provider" else None)
        panel.view.set_kind(mode)
        panel.ctx.window.remember("calendar/mode", mode)
        panel.set_anchor(panel.anchor, force=True)

    def show_provider_week(self, provider_id: str) -> None:
        """One provider across the week: the view for offering a patient times."""
        if self.panel.model.provider(provider_id) is None:
            return
        self.focus_id = provider_id
        self.panel.ctx.window.remember("calendar/focus", provider_id)
        self.set_mode("provider")

    def follow(self, provider_id: str) -> None:
        """Another provider's time is to be shown: in one provider's week, theirs."""
        panel = self.panel
        if panel.mode == "provider" and provider_id != self.focus_id:
            self.focus_id = provider_id
            panel.toolbar.set_focus(panel.model.providers, provider_id)
            panel.model.set_focus(provider_id)

    def _focus_candidate(self) -> str | None:
        """Whose week: the selected appointment's or the cursor's provider, else the one
        shown last time, else the first shown."""
        model, view = self.panel.model, self.panel.view
        selected = model.get(view.selected_id) if view.selected_id else None
        slot = view.cursor_slot()
        shown = model.shown_provider_ids
        for candidate in (
            selected.provider_id if selected else None,
            slot[0] if slot else None,
            self.focus_id,
            shown[0] if shown else None,
        ):
            if candidate and model.provider(candidate):
                return candidate
        return None

    def _on_day_mode_triggered(self) -> None:
        self.set_mode("day")

    def _on_week_mode_triggered(self) -> None:
        self.set_mode("week")

    def _on_provider_mode_triggered(self) -> None:
        candidate = self._focus_candidate()
        if candidate is not None:
            self.show_provider_week(candidate)

    # --- zoom ------------------------------------------------------------------------------
    def set_zoom(self, zoom: Zoom) -> None:
        """Column width and hour height; the desk remembers it."""
        self.panel.view.set_zoom(zoom)
        self.panel.ctx.window.remember("calendar/zoom", zoom.level)

    def _on_zoom_in_triggered(self) -> None:
        self.set_zoom(self.panel.view.zoom.step(1))

    def _on_zoom_out_triggered(self) -> None:
        self.set_zoom(self.panel.view.zoom.step(-1))

    def _on_zoom_reset_triggered(self) -> None:
        self.set_zoom(Zoom())
