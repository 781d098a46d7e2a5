"""Request fingerprints and the keys handed to the backend."""

from __future__ import annotations

from frontdesk_app.sandbox.idempotency import backend_key, fingerprint


def test_fingerprint_compares_json_by_meaning() -> None:
    a = fingerprint("POST", "/v1/appointments", b'{"a": 1, "b": [1, 2]}')
    b = fingerprint("POST", "/v1/appointments", b'{"b":[1,2],"a":1}')
    assert a == b
    assert a != fingerprint("POST", "/v1/appointments", b'{"a": 2, "b": [1, 2]}')
    assert a != fingerprint("POST", "/v1/eligibility/checks", b'{"a": 1, "b": [1, 2]}')


def test_fingerprint_of_a_body_that_is_not_json() -> None:
    assert fingerprint("POST", "/x", b"{oops") == fingerprint("POST", "/x", b"{oops")
    assert fingerprint("POST", "/x", b"{oops") != fingerprint("POST", "/x", b"{oops ")


def test_backend_keys_are_scoped_to_the_credential() -> None:
    assert backend_key("key_a", "k1") != backend_key("key_b", "k1")
    assert backend_key("key_a", "k1") == backend_key("key_a", "k1")
    # The separator keeps ("ab", "c") and ("a", "bc") apart.
    assert backend_key("ab", "c") != backend_key("a", "bc")
