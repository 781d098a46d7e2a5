"""The log scrubber removes credentials and patient identifiers, and keeps the rest readable."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from frontdesk_app.logs import ScrubbingFilter, configure_logging, scrub


@pytest.mark.parametrize(
    "secret",
    [
        "fdk_test_3k9x0m2q7d1c9a8b",
        "fdk_live_AbC-123_xyz",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc",
        "(555) 123-4567",
        "555-123-4567",
        "+15551234567",
        "1984-02-29",
        "BCB123456789",
        "maria.lopez@example.org",
        "5551234567",
        "03/14/1962",
        "3/4/62",
        "2026-03-02T14:05:09.123456+00:00",
        "2026-03-02 14:05",
        "Basic ZnJvbnRkZXNrOnNlY3JldA==",
        '"transcript": [{"speaker": "caller", "text": "my hip hurts"}]',
        '"summary": "Caller wants a refill of lisinopril"',
        '"notes": "allergic to \\"penicillin\\""',
    ],
)
def test_scrub_removes(secret: str) -> None:
    assert secret not in scrub(f"before {secret} after")
    assert "[redacted]" in scrub(f"before {secret} after")


def test_scrub_keeps_timestamps_ids_and_form_field_names() -> None:
    line = "POST /v1/appointments 201 12ms req_abc apt_1a2b3c4d at 10:00"
    assert scrub(line) == line
    assert scrub("grant_type=client_credentials&client_secret=s3cr3t") == (
        "grant_type=client_credentials&client_secret=[redacted]"
    )
    assert scrub("GET /v1/patients?q=Jane%20Doe&limit=5") == "GET /v1/patients?q=[redacted]&limit=5"


def test_filter_scrubs_arguments_and_tracebacks(tmp_path: Path) -> None:
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "key %s", ("fdk_test_abc",), None)
    try:
        raise ValueError("phone 555-123-4567")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert ScrubbingFilter().filter(record)
    text = record.getMessage()
    assert "fdk_test_abc" not in text and "555-123-4567" not in text
    assert "ValueError" in text


def test_configure_logging_writes_scrubbed_rotating_file(tmp_path: Path) -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        path = configure_logging("unit", directory=tmp_path)
        logging.getLogger("frontdesk.test").warning("token fdk_test_zzz for 555-987-6543")
        for handler in root.handlers:
            handler.flush()
        text = path.read_text(encoding="utf-8")
        assert "fdk_test_zzz" not in text and "555-987-6543" not in text and "token" in text
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
                handler.close()


def test_exceptions_are_logged_by_type_and_frames_never_their_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("tests.logs.exceptions")
    try:
        try:
            raise KeyError("Maria Lopez")
        except KeyError as inner:
            raise ValueError("could not book Maria Lopez, born 03/14/1962") from inner
    except ValueError as exc:
        record = log.makeRecord(
            log.name, logging.ERROR, __file__, 1, "booking failed: %s", (exc,), sys.exc_info()
        )
    assert ScrubbingFilter().filter(record)
    text = record.getMessage()
    assert "Maria" not in text and "1962" not in text
    assert "booking failed: ValueError" in text
    assert "builtins.KeyError (message not logged)" in text
    assert "builtins.ValueError (message not logged)" in text
    assert "direct cause" in text and "test_exceptions_are_logged_by_type" in text


def test_domain_validation_errors_do_not_quote_what_was_given() -> None:
    from pydantic import ValidationError

    from frontdesk_app.domain.models import AppointmentCreate

    with pytest.raises(ValidationError) as raised:
        AppointmentCreate.model_validate({"patient_id": "Maria Lopez 03/14/1962"})
    assert "Maria" not in str(raised.value)
