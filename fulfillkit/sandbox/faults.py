"""Deterministic fault injection: the failures a real network and gateway produce.

A request's *key* is the decoded id for a retrieve, or ``"list:" + cursor`` for a list page
(``"list:"`` for the first page). A key is faulty when a BLAKE2 hash of ``(seed, key)`` falls
below ``rate`` (never Python's salted ``hash()``), and its kind is chosen by the same hash;
a faulty key fails its first ``failures_per_id`` requests, then succeeds. ``script`` plays
fixed outcomes instead: ``{"<id>": ["503", "drop", "ok"]}`` answers that id's first three
requests that way, then normally.

Transient kinds (worth retrying)::

    "503" "502" "504"  gateway error pages (HTML, as a proxy sends them)
    "429"              throttled, with Retry-After = retry_after seconds
    "500"              an unexplained 500: "Internal server error"
    "drop"             headers and half the body, then the connection closes
    "truncate"         a Content-Length longer than the body sent, then close
    "slow"             sleep slow_seconds first (to trip a client read timeout)

Permanent or invalid kinds (for ``script``)::

    "invalid_json"  200 with a broken JSON body
    "html"          200 with a text/html error page
    "null"          200 with the body ``null``
    "wrong_types"   200 JSON with tracking_numbers a number, carrier a list, ...
    "not_found"     the resource's deterministic not-found 500
    "ok"            a normal answer
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Mapping, Sequence

__all__ = ["ALL_KINDS", "PERMANENT_KINDS", "TRANSIENT_KINDS", "Faults"]

TRANSIENT_KINDS: tuple[str, ...] = ("503", "502", "504", "429", "500", "drop", "truncate", "slow")
PERMANENT_KINDS: tuple[str, ...] = (
    "invalid_json",
    "html",
    "null",
    "wrong_types",
    "not_found",
    "ok",
)
ALL_KINDS: frozenset[str] = frozenset(TRANSIENT_KINDS + PERMANENT_KINDS)


class Faults:
    """Which requests fail, and how (see the module docstring).

    Attributes:
        injected: how many of each kind were injected so far (``"ok"`` is not counted).
    """

    def __init__(
        self,
        rate: float = 0.0,
        kinds: Sequence[str] = TRANSIENT_KINDS,
        *,
        seed: int = 0,
        failures_per_id: int = 1,
        retry_after: float = 0.05,
        slow_seconds: float = 2.0,
        script: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        unknown = {*kinds, *(k for plan in (script or {}).values() for k in plan)} - ALL_KINDS
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {sorted(ALL_KINDS)}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be within [0, 1], got {rate}")
        if rate and not kinds:
            raise ValueError("a fault rate needs at least one kind")
        self.rate = rate
        self.kinds = tuple(kinds)
        self.seed = seed
        self.failures_per_id = failures_per_id
        self.retry_after = retry_after
        self.slow_seconds = slow_seconds
        self.script = {key: tuple(plan) for key, plan in (script or {}).items()}
        self.injected: Counter[str] = Counter()
        self._requests: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"Faults(rate={self.rate}, kinds={self.kinds}, seed={self.seed}, "
            f"scripted={len(self.script)}, injected={dict(self.injected)})"
        )

    def planned(self, key: str) -> str | None:
        """The kind ``key`` fails with under ``rate`` (None: never), without counting."""
        if self.rate <= 0.0:
            return None
        digest = hashlib.blake2b(f"{self.seed}\0{key}".encode(), digest_size=16).digest()
        if int.from_bytes(digest[:8], "big") / 2**64 >= self.rate:
            return None
        return self.kinds[int.from_bytes(digest[8:], "big") % len(self.kinds)]

    def next(self, key: str) -> str:
        """Count one request for ``key`` and return its outcome (``"ok"`` when healthy)."""
        with self._lock:
            attempt = self._requests[key]
            self._requests[key] = attempt + 1
            plan = self.script.get(key)
            if plan is not None:
                kind = plan[attempt] if attempt < len(plan) else "ok"
            else:
                planned = self.planned(key)
                kind = planned if planned and attempt < self.failures_per_id else "ok"
            if kind != "ok":
                self.injected[kind] += 1
            return kind

    def reset(self) -> None:
        """Forget request counts and injections (faulty keys fail again)."""
        with self._lock:
            self._requests.clear()
            self.injected.clear()
