"""Every retry decision, in one pure module: which outcome is retried, how long to wait.

Nothing here does I/O, so the whole policy is unit-tested as tables. The client loops ask
:func:`classify` what a response means and :meth:`RetryPolicy.delay` how long to sleep.

Panora specifics (see ``docs/failure-modes.md``):

* Panora answers several *deterministic* failures with status 500: an unknown id
  (``Fulfillment with ID ... not found.``), an unknown API key (``API Key not found.``), an
  unknown connection token (``Connection undefined for token ...``), an id that is not a
  UUID (a database error), an unknown cursor. Retrying those only burns the rate limit, so
  a 500 is classified by its message; an unknown 500 is retried at most once.
* 429 carries ``Retry-After`` (seconds, or an HTTP date); the wait honours it up to a cap,
  and a longer demand fails fast with :class:`~fulfillkit.RateLimitError`.
* 502/503/504 and network failures (refused, dropped, truncated, timed out) are retried
  with capped exponential backoff and full jitter.

Example:
    >>> classify(500, "Fulfillment with ID 42 not found.").kind
    'not_found'
    >>> classify(503, "").retry
    True
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from fulfillkit.errors import (
    EndpointNotFoundError,
    ErrorKind,
    FetchFailed,
    UnknownCursorError,
)

__all__ = ["Decision", "RetryPolicy", "classify", "classify_exception", "parse_retry_after"]

_NOT_FOUND = re.compile(r"\bwith ID\b.*\bnot found\b", re.IGNORECASE | re.DOTALL)
_BAD_UUID = re.compile(r"uuid", re.IGNORECASE)
_AUTH = re.compile(r"API Key not found|Connection undefined for token", re.IGNORECASE)
_BAD_CURSOR = re.compile(r"cursor does not exist", re.IGNORECASE)
_NO_ROUTE = re.compile(r"^Cannot (GET|HEAD|POST)\b")
_RETRYABLE_GATEWAY = frozenset({502, 503, 504})


@dataclass(frozen=True, slots=True)
class Decision:
    """What a failed attempt means.

    Attributes:
        kind: the error kind it maps to.
        retry: whether another attempt may cure it.
        max_times: how often this outcome may happen for one record before giving up,
            on top of the policy's attempt limit (an unknown 500 is retried once: after
            the second, give up); ``None`` for no extra limit.
        reason: a short human explanation, used in error messages.
        error: the exception class when it is more specific than the kind's.
        connect: the attempt never connected (nothing was sent).
    """

    kind: ErrorKind
    retry: bool
    max_times: int | None = None
    reason: str = ""
    error: type[FetchFailed] | None = None
    connect: bool = False


def classify(status: int, message: str) -> Decision:
    """Map an HTTP error status and the server's message to a :class:`Decision`.

    ``message`` is the ``message`` field of Panora's JSON error body (or the raw text).

    Example:
        >>> classify(500, "API Key not found.").kind
        'auth'
    """
    if status in (401, 403):
        return Decision("auth", retry=False, reason="credentials refused")
    if status == 429:
        return Decision("rate_limited", retry=True, reason="rate limited")
    if status in _RETRYABLE_GATEWAY:
        return Decision("server", retry=True, reason="server unavailable")
    if status == 404:
        if _NO_ROUTE.match(message):  # Nest/Express: the route, not the record, is unknown
            return Decision(
                "server",
                retry=False,
                reason="no such route: check base_url",
                error=EndpointNotFoundError,
            )
        return Decision("not_found", retry=False, reason="no such resource or route")
    if status == 500:
        if _AUTH.search(message):
            return Decision("auth", retry=False, reason="credentials refused")
        if _NOT_FOUND.search(message):
            return Decision("not_found", retry=False, reason="no record with that id")
        if _BAD_UUID.search(message):
            return Decision("not_found", retry=False, reason="id is not a valid UUID")
        if _BAD_CURSOR.search(message):
            return Decision(
                "server", retry=False, reason="unknown cursor", error=UnknownCursorError
            )
        return Decision("server", retry=True, max_times=2, reason="unknown server error")
    if 500 <= status < 600:
        return Decision("server", retry=False, reason="server error")
    return Decision("server", retry=False, reason=f"unexpected status {status}")


# Names of httpx exception classes, matched by name so this module stays free of httpx.
_CONNECT = frozenset({"ConnectError", "ConnectTimeout"})
_TIMEOUTS = frozenset({"ConnectTimeout", "ReadTimeout", "WriteTimeout", "PoolTimeout"})
_NETWORK = frozenset(
    {
        "ConnectError",
        "ReadError",
        "WriteError",
        "CloseError",
        "RemoteProtocolError",
        "LocalProtocolError",
        "ProxyError",
        "NetworkError",
        "TransportError",
        "ProtocolError",
    }
)


def classify_exception(exc: BaseException) -> Decision | None:
    """Classify a transport exception (httpx or OS level); ``None`` if it is not one.

    A body that cannot be decoded (corrupt gzip/deflate/brotli) is ``invalid_response``,
    not retried: the server answered, and would answer the same again.

    Example:
        >>> classify_exception(ConnectionResetError()).kind
        'network'
    """
    for cls in type(exc).__mro__:
        if cls.__name__ == "DecodingError":
            return Decision("invalid_response", retry=False, reason="body could not be decoded")
        if cls.__name__ in _CONNECT:
            timeout = cls.__name__ == "ConnectTimeout"
            return Decision(
                "timeout" if timeout else "network",
                retry=True,
                reason="timed out connecting" if timeout else "could not connect",
                connect=True,
            )
        if cls.__name__ in _TIMEOUTS:
            return Decision("timeout", retry=True, reason="timed out")
        if cls.__name__ in _NETWORK:
            return Decision("network", retry=True, reason="connection failed")
    if isinstance(exc, TimeoutError):
        return Decision("timeout", retry=True, reason="timed out")
    if isinstance(exc, ConnectionRefusedError):
        return Decision("network", retry=True, reason="could not connect", connect=True)
    if isinstance(exc, (ConnectionError, EOFError)):
        return Decision("network", retry=True, reason="connection failed")
    return None


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP-date).

    Returns ``None`` when absent or unreadable; never negative.

    Example:
        >>> parse_retry_after("2.5")
        2.5
        >>> parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT",
        ...                   now=datetime(2015, 10, 21, 7, 27, 50, tzinfo=UTC))
        10.0
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds or seconds == float("inf"):  # NaN or inf
        return None
    return max(0.0, seconds)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry.

    Attributes:
        max_retries: retries after the first attempt (so ``max_retries + 1`` attempts).
        base_delay: the first backoff ceiling, in seconds; doubles every attempt.
        max_delay: the cap on one backoff sleep.
        max_retry_after: the longest ``Retry-After`` honoured; a longer one fails the
            record with ``rate_limited`` instead of stalling the batch.

    Example:
        >>> RetryPolicy(max_retries=3).attempts_allowed()
        4
    """

    max_retries: int = 3
    base_delay: float = 0.25
    max_delay: float = 8.0
    max_retry_after: float = 120.0

    def attempts_allowed(self) -> int:
        """The total number of attempts one record may take."""
        return self.max_retries + 1

    def should_retry(self, decision: Decision, attempts: int, times: int = 1) -> bool:
        """Whether to try again after ``attempts`` attempts, the last ending in
        ``decision``, an outcome seen ``times`` times for this record so far."""
        if not decision.retry or attempts >= self.attempts_allowed():
            return False
        return decision.max_times is None or times < decision.max_times

    def backoff(self, attempts: int, rng: random.Random | None = None) -> float:
        """Full-jitter exponential backoff after ``attempts`` failed attempts.

        Uniform in ``[0, min(max_delay, base_delay * 2 ** (attempts - 1))]``.
        """
        ceiling = min(self.max_delay, self.base_delay * (2 ** max(0, attempts - 1)))
        return (rng or random).uniform(0.0, ceiling)

    def delay(
        self, attempts: int, retry_after: float | None, rng: random.Random | None = None
    ) -> float | None:
        """Seconds to sleep before the next attempt, or ``None`` to give up now.

        A server's ``Retry-After`` wins over backoff (plus a little jitter so that many
        waiting requests do not return in one burst); above ``max_retry_after`` it means
        "give up".
        """
        if retry_after is not None:
            if retry_after > self.max_retry_after:
                return None
            return retry_after + (rng or random).uniform(0.0, min(1.0, self.base_delay))
        return self.backoff(attempts, rng)
