"""Panora's throttle: a fixed window per route and per client IP.

Upstream registers NestJS's throttler as a global guard: 100 requests per 60 s, counted per
route (handler) and client IP, on every route. Each answer carries ``X-RateLimit-Limit``,
``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (seconds to the window's end, rounded
up); an over-limit request gets 429 and a ``Retry-After`` in whole seconds, as upstream.

The sandbox throttles like Panora by default (:data:`PANORA_RATE_LIMIT`). Demos and tests
use :data:`FAST_RATE_LIMIT`, which still sends every header but never gets in the way; the
environment variable ``FULFILLKIT_SANDBOX_RATE_LIMIT`` (``"10000/1"``, ``"off"``) changes
the default of every :class:`~fulfillkit.sandbox.SandboxApp` made without an explicit one.

Example:
    >>> parse_rate_limit("100/60"), parse_rate_limit("off")
    ((100, 60.0), None)
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "FAST_RATE_LIMIT",
    "PANORA_RATE_LIMIT",
    "RATE_LIMIT_ENV",
    "RateLimiter",
    "Verdict",
    "default_rate_limit",
    "parse_rate_limit",
]

PANORA_RATE_LIMIT: tuple[int, float] = (100, 60.0)
"""Panora's throttle: 100 requests per 60 s per route and client."""
FAST_RATE_LIMIT: tuple[int, float] = (10_000, 1.0)
"""Headers on every answer, yet no throttling in practice: for demos, notebooks, tests."""
RATE_LIMIT_ENV = "FULFILLKIT_SANDBOX_RATE_LIMIT"
_OFF = frozenset({"off", "none"})


def parse_rate_limit(text: str) -> tuple[int, float] | None:
    """``"LIMIT/SECONDS"`` (seconds default to 60) as a tuple; ``"off"`` or ``"none"``: None.

    Raises:
        ValueError: anything else.
    """
    cleaned = text.strip().lower()
    if cleaned in _OFF:
        return None
    count, _, window = cleaned.partition("/")
    try:
        limit, seconds = int(count), float(window or 60)
    except ValueError:
        raise ValueError(f"expected LIMIT/SECONDS such as 100/60, or off: {text!r}") from None
    if limit < 1 or not seconds > 0 or not math.isfinite(seconds):
        raise ValueError(f"a rate limit needs LIMIT >= 1 and SECONDS > 0: {text!r}")
    return limit, seconds


def default_rate_limit() -> tuple[int, float] | None:
    """``FULFILLKIT_SANDBOX_RATE_LIMIT`` if set, else :data:`PANORA_RATE_LIMIT`."""
    text = os.environ.get(RATE_LIMIT_ENV, "").strip()
    return parse_rate_limit(text) if text else PANORA_RATE_LIMIT


@dataclass(frozen=True)
class Verdict:
    """The outcome of one hit: allowed or not, and the headers to send either way."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        headers = [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", str(self.reset_seconds).encode()),
        ]
        if not self.allowed:
            headers.append((b"retry-after", str(self.reset_seconds).encode()))
        return headers


class RateLimiter:
    """Fixed windows of ``window`` seconds allowing ``limit`` requests per key.

    The app's key is the route and the client's IP address.
    """

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 0 or window <= 0:
            raise ValueError(f"rate limit needs limit >= 0 and window > 0, got {limit}/{window}")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (window end, hits)

    def hit(self, key: str) -> Verdict:
        """Count one request on ``key`` and say whether it may proceed."""
        with self._lock:
            now = self._clock()
            end, hits = self._windows.get(key, (0.0, 0))
            if now >= end:
                end, hits = now + self.window, 0
            hits += 1
            self._windows[key] = (end, hits)
        reset = max(1, math.ceil(round(end - now, 6)))  # (now + 60) - now can be 60.000001
        return Verdict(hits <= self.limit, self.limit, max(0, self.limit - hits), reset)
