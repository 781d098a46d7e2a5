"""The desktop user interface (PySide6): main window, panels, dialogs, status bar."""
