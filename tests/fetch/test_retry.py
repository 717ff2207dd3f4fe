"""The retry policy as tables: every status and message Panora sends, every wait."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from fulfillkit.fetch.retry import (
    Decision,
    RetryPolicy,
    classify,
    classify_exception,
    parse_retry_after,
)

CLASSIFY_TABLE = [
    # status, message, kind, retry, max_times
    (401, "Unauthorized", "auth", False, None),
    (403, "Forbidden", "auth", False, None),
    (404, "Cannot GET /ecommerce/fulfillment/x", "server", False, None),  # the route
    (404, "Not Found", "not_found", False, None),
    (400, "Bad Request", "server", False, None),
    (429, "ThrottlerException: Too Many Requests", "rate_limited", True, None),
    (502, "Bad Gateway", "server", True, None),
    (503, "Service Unavailable", "server", True, None),
    (504, "Gateway Timeout", "server", True, None),
    (500, "API Key not found.", "auth", False, None),
    (500, "Connection undefined for token [REDACTED]", "auth", False, None),
    (
        500,
        "Fulfillment with ID 801f9ede-c698-4e66-a7fc-48d19eebaa4f not found.",
        "not_found",
        False,
        None,
    ),
    (500, "Order with ID abc not found.", "not_found", False, None),
    (
        500,
        "Inconsistent column data: Error creating UUID, invalid character: expected an "
        "optional prefix of `urn:uuid:`",
        "not_found",
        False,
        None,
    ),
    (500, "The provided cursor does not exist!", "server", False, None),
    (500, "Internal server error", "server", True, 2),
    (501, "Not Implemented", "server", False, None),
]


@pytest.mark.parametrize(("status", "message", "kind", "retry", "cap"), CLASSIFY_TABLE)
def test_classify(status: int, message: str, kind: str, retry: bool, cap: int | None) -> None:
    decision = classify(status, message)
    assert (decision.kind, decision.retry, decision.max_times) == (kind, retry, cap)


class ConnectTimeout(Exception): ...


class RemoteProtocolError(Exception): ...


class SomethingElse(Exception): ...


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (ConnectTimeout(), "timeout"),
        (RemoteProtocolError(), "network"),
        (ConnectionResetError(), "network"),
        (TimeoutError(), "timeout"),
    ],
)
def test_classify_exception(exc: BaseException, kind: str) -> None:
    decision = classify_exception(exc)
    assert decision is not None
    assert (decision.kind, decision.retry) == (kind, True)


def test_unknown_exceptions_are_not_swallowed() -> None:
    assert classify_exception(SomethingElse()) is None
    assert classify_exception(ValueError()) is None


def test_classify_real_httpx_exceptions() -> None:
    import httpx

    assert classify_exception(httpx.ReadTimeout("t")) == Decision(
        "timeout", retry=True, reason="timed out"
    )
    decision = classify_exception(httpx.RemoteProtocolError("peer closed"))
    assert decision is not None and decision.kind == "network"
    decision = classify_exception(httpx.ConnectError("refused"))
    assert decision is not None and decision.kind == "network"


NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("3", 3.0),
        (" 1.5 ", 1.5),
        ("0", 0.0),
        ("-4", 0.0),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("Thu, 01 Jan 2026 12:00:30 GMT", 30.0),
        ("Thu, 01 Jan 2026 11:59:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_attempts_allowed_and_should_retry() -> None:
    policy = RetryPolicy(max_retries=3)
    gateway = classify(503, "")
    unknown_500 = classify(500, "boom")
    not_found = classify(500, "Fulfillment with ID x not found.")
    assert policy.attempts_allowed() == 4
    assert [policy.should_retry(gateway, n) for n in range(1, 6)] == [
        True,
        True,
        True,
        False,
        False,
    ]
    # An unknown 500 is retried once, even when other failures came before it.
    assert policy.should_retry(unknown_500, attempts=1, times=1)
    assert policy.should_retry(unknown_500, attempts=2, times=1)
    assert not policy.should_retry(unknown_500, attempts=2, times=2)
    assert not policy.should_retry(not_found, 1)
    assert not RetryPolicy(max_retries=0).should_retry(gateway, 1)


def test_backoff_is_full_jitter_capped_exponential() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0)
    rng = random.Random(1)
    for attempts, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 4.0), (30, 4.0)]:
        samples = [policy.backoff(attempts, rng) for _ in range(400)]
        assert all(0.0 <= s <= ceiling for s in samples)
        # full jitter spreads over the whole range, not around the ceiling
        assert min(samples) < ceiling * 0.1
        assert max(samples) > ceiling * 0.9


def test_retry_after_wins_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=0.2, max_retry_after=10.0)
    rng = random.Random(0)
    delay = policy.delay(1, 3.0, rng)
    assert delay is not None and 3.0 <= delay <= 3.2
    assert policy.delay(1, 10.5, rng) is None  # longer than the cap: give up now
    no_header = policy.delay(2, None, rng)
    assert no_header is not None and 0.0 <= no_header <= 0.4
