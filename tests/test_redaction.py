"""Secrets never appear in texts fulfillkit produces, log records included."""

from __future__ import annotations

import logging

import pytest

from fulfillkit.redaction import (
    REDACTED,
    install_log_redaction,
    redact,
    redact_url,
    register_secret,
)


def test_registered_secrets_are_removed() -> None:
    register_secret("sk-live-abcdef")
    assert redact("key sk-live-abcdef used") == f"key {REDACTED} used"


def test_panora_echoed_token_is_removed_even_if_unknown() -> None:
    text = redact("Connection undefined for token someone-elses-token")
    assert "someone-elses-token" not in text
    assert text == f"Connection undefined for token {REDACTED}"


def test_url_credentials_are_removed() -> None:
    assert redact_url("see https://user:pw@host/x and http://a@b/") == (
        f"see https://{REDACTED}@host/x and http://{REDACTED}@b/"
    )


def test_longer_secret_wins_over_its_prefix() -> None:
    register_secret("tok")
    register_secret("tok-extended-999")
    assert redact("tok-extended-999") == REDACTED


def test_log_records_are_redacted_on_httpx_and_httpcore_loggers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_log_redaction()
    register_secret("very-secret-key-77")
    caplog.set_level(logging.DEBUG)
    logging.getLogger("httpcore.http11").debug("headers %s", [(b"x-api-key", "very-secret-key-77")])
    logging.getLogger("httpx").info("GET https://u:very-secret-key-77@h/")
    logging.getLogger("fulfillkit").warning("token=%s", "very-secret-key-77")
    assert len(caplog.records) == 3
    assert "very-secret-key-77" not in caplog.text
    assert REDACTED in caplog.text
