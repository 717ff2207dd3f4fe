"""The sandbox's clock: the moment the app serves, which only moves forward.

The app holds a :class:`SandboxClock`; the dataset says what is true at its time. The
clock moves when told (:meth:`SandboxClock.advance`, the admin route ``POST
/_sandbox/advance?days=N``) and, with a ``speed``, by itself: ``speed`` days of shop time
per minute of wall time (``fulfillkit sandbox --clock-speed``).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from fulfillkit.sandbox.timestamps import DAY_MS, from_ms, to_ms

__all__ = ["ADVANCE_UNITS", "SandboxClock", "advance_ms", "parse_advance_query", "parse_now"]

ADVANCE_UNITS: dict[str, int] = {
    "days": DAY_MS,
    "hours": 3_600_000,
    "minutes": 60_000,
    "seconds": 1_000,
}
"""The units :meth:`SandboxClock.advance` and the admin route accept, in ms each."""


def advance_ms(**amounts: float) -> int:
    """The milliseconds ``days=``, ``hours=``, ``minutes=``, ``seconds=`` add up to;
    ValueError for another name, a negative, infinite or non-numeric amount.

    Example:
        >>> advance_ms(days=1, hours=1.5)
        91800000
    """
    total = 0.0
    for name, amount in amounts.items():
        if name not in ADVANCE_UNITS:
            raise ValueError(f"cannot advance by {name!r}: use {', '.join(ADVANCE_UNITS)}")
        number = (
            amount if isinstance(amount, int | float) and not isinstance(amount, bool) else None
        )
        if number is None or not math.isfinite(number):
            raise ValueError(f"{name} must be a finite number, got {amount!r}")
        if number < 0:
            raise ValueError(f"{name}={amount!r}: the sandbox clock never moves backward")
        total += number * ADVANCE_UNITS[name]
    return round(total)


def parse_advance_query(params: Mapping[str, Sequence[str]]) -> int:
    """:func:`advance_ms` of a query string's ``days``, ``hours``, ``minutes``,
    ``seconds`` (each once); ValueError saying what is wrong.

    Example:
        >>> parse_advance_query({"days": ["2"]}) == advance_ms(days=2)
        True
    """
    amounts: dict[str, float] = {}
    for name, values in params.items():
        if name not in ADVANCE_UNITS:
            raise ValueError(f"unknown parameter {name!r}: use {', '.join(ADVANCE_UNITS)}")
        if len(values) != 1:
            raise ValueError(f"{name} given {len(values)} times")
        try:
            amounts[name] = float(values[0])
        except ValueError:
            raise ValueError(f"{name} must be a number, got {values[0]!r}") from None
    return advance_ms(**amounts)


def parse_now(text: str) -> datetime:
    """An ISO date or datetime as a UTC datetime (no offset means UTC).

    Example:
        >>> parse_now("2026-02-01").isoformat(), parse_now("2026-02-01T12:00:00+01:00").hour
        ('2026-02-01T00:00:00+00:00', 11)
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not an ISO date or datetime: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class SandboxClock:
    """A moment (ms since the epoch) that moves forward only.

    Args:
        start_ms: the moment to start at.
        speed: days of shop time that pass per minute of wall time (0: only
            :meth:`advance` moves it).
        timer: wall-time source in seconds (``time.monotonic``).

    Example:
        >>> clock = SandboxClock(0)
        >>> clock.advance(days=1).isoformat()
        '1970-01-02T00:00:00+00:00'
    """

    def __init__(
        self, start_ms: int, speed: float = 0.0, *, timer: Callable[[], float] = time.monotonic
    ) -> None:
        if not isinstance(speed, int | float) or not math.isfinite(speed) or speed < 0:
            raise ValueError(f"clock speed must be a finite number >= 0, got {speed!r}")
        self.speed = float(speed)
        self._timer = timer
        self._origin = timer()
        self._base_ms = start_ms
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SandboxClock({self.now.isoformat()}, speed={self.speed:g})"

    def now_ms(self) -> int:
        """The current moment in ms."""
        if not self.speed:
            return self._base_ms
        elapsed = self._timer() - self._origin
        return self._base_ms + int(elapsed * self.speed * DAY_MS / 60)

    @property
    def now(self) -> datetime:
        """The current moment (UTC)."""
        return from_ms(self.now_ms())

    def advance(
        self, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
    ) -> datetime:
        """Move forward; return the new moment. ValueError for a negative amount."""
        return self.advance_by(advance_ms(days=days, hours=hours, minutes=minutes, seconds=seconds))

    def advance_by(self, ms: int) -> datetime:
        """Move forward by ``ms`` milliseconds (>= 0); return the new moment."""
        if ms < 0:
            raise ValueError(f"cannot move the sandbox clock backward ({ms} ms)")
        with self._lock:
            self._base_ms += ms
        return self.now

    def set(self, moment: datetime) -> datetime:
        """Move to ``moment`` (aware, not before now); return it."""
        return self.advance_by(to_ms(moment) - self.now_ms())
