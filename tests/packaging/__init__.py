"""Tests of the packaged (PyInstaller) desktop app."""
