"""Rate-limit pacing: hold new requests while the server's (or our own) window is spent.

Panora allows 100 requests per 60 s per route and says so on every response with
``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (seconds to the
end of the window). A client that only reacts to 429s wastes requests and stalls on
``Retry-After``; this pacer keeps an estimate of what is left in the window and makes new
requests wait for the next one instead. Two inputs:

* the server's headers, read from every response (:meth:`Pacer.observe`), with the
  requests still in flight counted against the remaining budget;
* an optional client-side budget ``(requests, seconds)``, a sliding window over our own
  send times, for servers that do not send the headers.

A 429 pauses every worker until its ``Retry-After`` (:meth:`Pacer.hold`).

Example:
    >>> pacer = Pacer((100, 60.0))
    >>> pacer.budget
    (100, 60.0)
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Mapping

__all__ = ["Pacer"]

_EPOCH_THRESHOLD = 1_000_000_000  # a Reset larger than this is an epoch timestamp


class Pacer:
    """Shared by every request of one client; all methods run on the client's event loop."""

    def __init__(
        self,
        budget: tuple[int, float] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.budget = budget
        self._clock = clock
        self._sent: deque[float] = deque()
        self._remaining: int | None = None
        self._window_end = 0.0
        self._hold_until = 0.0
        self._in_flight = 0
        self._server_limit: int | None = None
        self._server_window = 0.0
        self._lock: asyncio.Lock | None = None
        self.waited = 0.0  # total seconds requests were held, for reports and tests

    def wait_time(self) -> float:
        """Seconds the next request has to wait now (0 when it may go)."""
        now = self._clock()
        wait = self._hold_until - now
        if self._remaining is not None and self._remaining <= 0 and now < self._window_end:
            wait = max(wait, self._window_end - now)
        if self.budget is not None:
            limit, window = self.budget
            while self._sent and self._sent[0] <= now - window:
                self._sent.popleft()
            if len(self._sent) >= limit:
                wait = max(wait, self._sent[0] + window - now)
        return max(0.0, wait)

    async def acquire(self) -> None:
        """Wait until a request may be sent, then count it as sent and in flight."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # FIFO: waiting requests go in the order they came
            while (wait := self.wait_time()) > 0:
                self.waited += wait
                await asyncio.sleep(wait)
            now = self._clock()
            if self._remaining is not None:
                if now >= self._window_end:
                    self._remaining = None  # a new window: unknown until a response says
                else:
                    self._remaining -= 1
            if self.budget is not None:
                self._sent.append(now)
            self._in_flight += 1

    def release(self) -> None:
        """The request's response (or failure) is in."""
        self._in_flight = max(0, self._in_flight - 1)

    def rate_cap(self) -> float | None:
        """The most requests per second the known limits allow, or ``None`` if unlimited.

        The server's window length is not sent; the longest ``X-RateLimit-Reset`` seen
        (read right after a window opens) estimates it.
        """
        caps = []
        if self.budget is not None:
            caps.append(self.budget[0] / self.budget[1])
        if self._server_limit is not None and self._server_window > 0:
            caps.append(self._server_limit / self._server_window)
        return min(caps) if caps else None

    def observe(self, headers: Mapping[str, str]) -> None:
        """Update the estimate from a response's ``X-RateLimit-*`` headers."""
        limit = headers.get("x-ratelimit-limit")
        if limit is not None and limit.isdigit():
            self._server_limit = int(limit)
        remaining = headers.get("x-ratelimit-remaining")
        reset = headers.get("x-ratelimit-reset")
        if remaining is None or reset is None:
            return
        try:
            left = int(float(remaining))
            seconds = float(reset)
        except ValueError:
            return
        now = self._clock()
        if seconds > _EPOCH_THRESHOLD:
            seconds = max(0.0, seconds - time.time())
        window_end = now + seconds
        self._server_window = max(self._server_window, seconds)
        # Requests sent since this one may not be counted by the server yet.
        estimate = left - self._in_flight
        if self._remaining is None or window_end > self._window_end + 0.5:
            self._remaining = estimate
            self._window_end = window_end
        else:
            self._remaining = min(self._remaining, estimate)

    def hold(self, seconds: float | None) -> None:
        """Pause every new request for ``seconds`` (after a 429)."""
        if seconds is not None and seconds > 0:
            self._hold_until = max(self._hold_until, self._clock() + seconds)
