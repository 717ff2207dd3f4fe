"""What the sandbox saw: thread-safe request counters that tests assert on.

Only routing facts are recorded (paths, decoded ids, query strings, statuses), never header
values: API keys and connection tokens must not end up in test output.
"""

from __future__ import annotations

import threading
from collections import Counter

__all__ = ["SandboxStats"]


class SandboxStats:
    """Counters for one :class:`~fulfillkit.sandbox.SandboxApp`, safe across threads.

    Attributes:
        requests: HTTP requests received.
        by_status: responses per status code.
        by_route: requests per route name (``fulfillments.retrieve``, ``fulfillments.list``,
            ``orders.retrieve``, ``orders.list``, the clock's ``sandbox.advance`` and
            ``sandbox.clock``, or ``unknown``).
        per_id: retrieve requests per decoded id.
        seen_ids: decoded retrieve ids, in arrival order.
        raw_paths: raw (still percent-encoded) request paths, in arrival order.
        queries: raw query strings, in arrival order.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.by_status: Counter[int] = Counter()
        self.by_route: Counter[str] = Counter()
        self.per_id: Counter[str] = Counter()
        self.seen_ids: list[str] = []
        self.raw_paths: list[str] = []
        self.queries: list[str] = []

    def __repr__(self) -> str:
        return (
            f"SandboxStats(requests={self.requests}, by_status={dict(self.by_status)}, "
            f"by_route={dict(self.by_route)})"
        )

    def record_request(self, route: str, raw_path: str, query: str) -> None:
        with self._lock:
            self.requests += 1
            self.by_route[route] += 1
            self.raw_paths.append(raw_path)
            self.queries.append(query)

    def record_id(self, record_id: str) -> None:
        with self._lock:
            self.per_id[record_id] += 1
            self.seen_ids.append(record_id)

    def record_status(self, status: int) -> None:
        with self._lock:
            self.by_status[status] += 1

    def reset(self) -> None:
        """Forget everything seen so far."""
        with self._lock:
            self.requests = 0
            self.by_status.clear()
            self.by_route.clear()
            self.per_id.clear()
            self.seen_ids.clear()
            self.raw_paths.clear()
            self.queries.clear()
