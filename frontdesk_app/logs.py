"""Logging for the app and the sandbox: rotating files, with health data and secrets scrubbed.

Code never logs patient data on purpose; the scrubber is the second line of defence for what
slips into a message through an exception or a third-party library.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path
from typing import Final

from frontdesk_app.config import log_dir

_REDACTED: Final = "[redacted]"
_PATTERNS: Final[tuple[re.Pattern[str], ...]] = (
    # Credentials: API keys, webhook secrets, bearer tokens, OAuth form fields.
    re.compile(r"\bfdk_[a-z]+_[A-Za-z0-9_\-]+"),
    re.compile(r"\bwhsec_[A-Za-z0-9+/=_\-]+"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=\-]+"),
    re.compile(r"(?i)\b((?:client_secret|access_token|refresh_token|password|api_key)=)[^&\s]+"),
    re.compile(r"(?i)(\"(?:client_secret|access_token|api_key|secret)\"\s*:\s*)\"[^\"]*\""),
    # Phone numbers in the forms the clinic uses: (555) 123-4567, 555-123-4567, +15551234567.
    re.compile(r"\(?\b\d{3}\)?[\s.\-]?\d{3}[\s.\-]\d{4}\b"),
    re.compile(r"\+\d{10,15}\b"),
    # A bare calendar date (a date of birth looks like any other): timestamps keep their time.
    re.compile(r"\b(?:19|20)\d{2}-\d{2}-\d{2}\b(?!T)"),
    # Insurance member ids: letters followed by 6+ digits, such as BCB123456789.
    re.compile(r"\b[A-Z]{2,4}\d{6,}\b"),
    # Search terms in query strings may be names.
    re.compile(r"([?&]q=)[^&\s]*"),
)


def scrub(text: str) -> str:
    """The text with credentials and patient identifiers replaced by `[redacted]`."""
    for pattern in _PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + _REDACTED, text)
        else:
            text = pattern.sub(_REDACTED, text)
    return text


class ScrubbingFilter(logging.Filter):
    """Rewrites each record's final message (and any traceback) through `scrub`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info:
            formatted = logging.Formatter().formatException(record.exc_info)
            message = f"{message}\n{formatted}"
            record.exc_info = None
            record.exc_text = None
        record.msg = scrub(message)
        record.args = None
        return True


_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(
    name: str = "frontdesk", *, directory: Path | None = None, level: int = logging.INFO
) -> Path:
    """Send the root logger to a rotating file `<name>.log`, scrubbed; returns the file's path."""
    folder = directory or log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.log"
    root = logging.getLogger()
    for existing in root.handlers:
        if (
            isinstance(existing, logging.handlers.RotatingFileHandler)
            and Path(existing.baseFilename) == path.resolve()
        ):
            return path
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=5_000_000, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(ScrubbingFilter())
    root.addHandler(handler)
    root.setLevel(min(root.level or level, level) if root.handlers[:-1] else level)
    return path


def scrubbed_stream_handler() -> logging.Handler:
    """A console handler for command-line tools, with the same scrubbing."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(ScrubbingFilter())
    return handler
