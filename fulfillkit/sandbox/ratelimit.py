"""Panora's throttle: a fixed window per route, shared by every client.

Upstream uses NestJS's throttler (100 requests per 60 s, per route, per client IP). The
sandbox serves one client IP, so a window is counted per route for everyone together. Each
answer carries the three ``X-RateLimit-*`` headers; an over-limit request gets 429 and a
``Retry-After`` in whole seconds (rounded up), as upstream.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateLimiter", "Verdict"]


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
    """Fixed windows of ``window`` seconds allowing ``limit`` requests per route key."""

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
        reset = max(1, math.ceil(end - now))
        return Verdict(hits <= self.limit, self.limit, max(0, self.limit - hits), reset)
