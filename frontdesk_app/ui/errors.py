"""One place every failure goes: refusals to where the person is looking, bugs to the log.

A `FrontDeskError` is something a person can act on (a slot taken, a payer down, no
connection): it is shown as a short message in the dialog or panel in use. Anything else is a
bug: it is logged with a reference number, without its message (which might hold patient
data), and the person sees a short report that their work is kept.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import traceback
from typing import Protocol, runtime_checkable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from frontdesk_app.domain.errors import FrontDeskError, RateLimited

log = logging.getLogger(__name__)


@runtime_checkable
class ErrorDisplay(Protocol):
    """A widget that can show a refusal inline (a message bar in a dialog or a panel)."""

    def show_error(self, error: FrontDeskError) -> None: ...


def describe(error: FrontDeskError) -> str:
    """The sentence shown to a person: what happened and, when known, when to retry."""
    text = error.message.strip() or error.title
    if error.retry_after and not isinstance(error, RateLimited):
        text += f" Try again in about {max(1, round(error.retry_after))} seconds."
    elif isinstance(error, RateLimited):
        text += " FrontDesk will retry by itself shortly."
    return text


def bug_details(exc: BaseException) -> str:
    """A traceback without the exception's message: enough to find the bug, no patient data."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    return f"{frames}{type(exc).__module__}.{type(exc).__qualname__}"


class ErrorSink(QObject):
    """Routes errors: `report(exc, where=dialog)` from any slot or background task."""

    refusal_shown = Signal(str, str)  # code, message
    bug_reported = Signal(str)  # reference

    def __init__(self, window: QWidget | None = None) -> None:
        super().__init__(window)
        self._window = window
        self._fallback: ErrorDisplay | None = None
        self.bugs: list[tuple[str, BaseException]] = []
        self._open_reports: list[QMessageBox] = []

    def set_fallback(self, display: ErrorDisplay | None) -> None:
        """Where refusals go when the caller names no better place (the main window's bar)."""
        self._fallback = display

    def report(
        self,
        exc: BaseException,
        *,
        where: object | None = None,
        context: str = "",
    ) -> None:
        if isinstance(exc, asyncio.CancelledError):
            return
        if isinstance(exc, FrontDeskError):
            self._refusal(exc, where, context)
        else:
            self._bug(exc, context)

    def _refusal(self, error: FrontDeskError, where: object | None, context: str) -> None:
        log.info("refused: code=%s while %s", error.code, context or "working")
        display = where if isinstance(where, ErrorDisplay) else self._fallback
        if display is not None:
            display.show_error(error)
        else:
            box = QMessageBox(QMessageBox.Icon.Information, error.title, describe(error))
            box.setParent(self._window, box.windowFlags())
            self._show(box)
        self.refusal_shown.emit(error.code, describe(error))

    def _bug(self, exc: BaseException, context: str) -> None:
        reference = secrets.token_hex(3).upper()
        log.error("bug %s while %s:\n%s", reference, context or "working", bug_details(exc))
        self.bugs.append((reference, exc))
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Something went wrong",
            "FrontDesk ran into a problem"
            + (f" while {context}" if context else "")
            + ". Your work so far is kept; please try again.\n\n"
            f"It has been written to the log as reference {reference}, for IT support.",
        )
        box.setDetailedText(bug_details(exc))
        box.setParent(self._window, box.windowFlags())
        self._show(box)
        self.bug_reported.emit(reference)

    def _show(self, box: QMessageBox) -> None:
        # Never exec(): a modal loop inside a coroutine's callback would stall the event loop.
        box.setModal(False)
        box.setAccessibleName(box.windowTitle())
        self._open_reports.append(box)
        box.finished.connect(lambda _=0, b=box: self._closed(b))
        box.show()

    def _closed(self, box: QMessageBox) -> None:
        if box in self._open_reports:
            self._open_reports.remove(box)
        box.deleteLater()

    def close_reports(self) -> None:
        for box in list(self._open_reports):
            box.close()
