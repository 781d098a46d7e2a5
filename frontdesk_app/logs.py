"""Logging for the app and the sandbox: rotating files, with health data and secrets scrubbed.

Code never logs patient data on purpose; the scrubber is the second line of defence for what
slips into a message through an exception or a third-party library.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import traceback
from pathlib import Path
from typing import Final

from frontdesk_app.config import log_dir

_REDACTED: Final = "[redacted]"
# JSON fields that hold a patient's details or a call's words, wherever a body is quoted.
_PRIVATE_FIELDS: Final = (
    "first_name|last_name|full_name|name|date_of_birth|dob|phone|email|address|notes|"
    "member_id|transcript|summary|text|collected_data|context_summary|reason"
)
_PATTERNS: Final[tuple[re.Pattern[str], ...]] = (
    # Credentials: API keys, webhook secrets, bearer and basic authorisations, OAuth fields.
    re.compile(r"\bfdk_[a-z]+_[A-Za-z0-9_\-]+"),
    re.compile(r"\bwhsec_[A-Za-z0-9+/=_\-]+"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=\-]+"),
    re.compile(r"(?i)\bbasic\s+[A-Za-z0-9+/=]+"),
    re.compile(r"(?i)\b((?:client_secret|access_token|refresh_token|password|api_key)=)[^&\s]+"),
    re.compile(r"(?i)(\"(?:client_secret|access_token|api_key|secret)\"\s*:\s*)\"[^\"]*\""),
    # A patient's fields or a call's transcript in a quoted JSON body (strings, lists, objects).
    re.compile(
        rf"(?i)(\"(?:{_PRIVATE_FIELDS})\"\s*:\s*)"
        r"(?:\"(?:[^\"\\]|\\.)*\"|\[[^\]]*\]|\{[^}]*\})"
    ),
    # E-mail addresses.
    re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"),
    # Phone numbers in the forms the clinic uses: (555) 123-4567, 555-123-4567, +15551234567,
    # and ten bare digits.
    re.compile(r"\(?\b\d{3}\)?[\s.\-]?\d{3}[\s.\-]\d{4}\b"),
    re.compile(r"\+\d{10,15}\b"),
    re.compile(r"(?<![\w.])\d{10}(?![\w.])"),
    # Dates and times: ISO date-times, bare ISO dates (a date of birth looks like any other),
    # and US dates such as 03/14/1962.
    re.compile(
        r"\b(?:19|20)\d{2}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+\-]\d{2}:?\d{2})?"
    ),
    re.compile(r"\b(?:19|20)\d{2}-\d{2}-\d{2}\b"),
    re.compile(r"\b\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})\b"),
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


def exception_details(error: BaseException) -> str:
    """A traceback by frames and exception types only, never the messages (which may quote
    patient data or a statement's values), causes and contexts included."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = error
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, "The above exception was the direct cause of:"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, "During handling of the above exception:"
        else:
            current = None
    parts: list[str] = []
    # Oldest first, as Python prints it; each link says how it leads to the next one.
    for exc, leads_on in reversed(chain):
        frames = "".join(
            f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}\n'
            for frame in traceback.extract_tb(exc.__traceback__)
        )
        kind = f"{type(exc).__module__}.{type(exc).__qualname__}"
        parts.append(f"Traceback (most recent call last):\n{frames}{kind} (message not logged)")
        if leads_on:
            parts.append(leads_on)
    return "\n".join(parts)


def _safe_argument(value: object) -> object:
    # An exception passed as a %-argument is logged by its type, never its text.
    return type(value).__name__ if isinstance(value, BaseException) else value


class ScrubbingFilter(logging.Filter):
    """Rewrites each record's final message through `scrub`: exceptions (attached or passed as
    arguments) by type and frames only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_safe_argument(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _safe_argument(v) for k, v in record.args.items()}
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            message = f"{message}\n{exception_details(record.exc_info[1])}"
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
