"""FrontDesk: the reception desk of a clinic, a desktop client of the FrontDeskOS API."""

# The one place the version is written (pyproject.toml reads it from here). A constant, not
# importlib.metadata: that lookup cost every start ~25 ms before the first frame, and a frozen
# (PyInstaller) build has no installed metadata to read.
__version__ = "0.1.0"
