"""Sandbox time: integer milliseconds since the epoch, and the two ways they are printed.

Panora prints UTC with milliseconds (``2024-10-01T12:00:00.123Z``, JavaScript's
``toISOString``); Shopify prints shop-local time with an offset
(``2024-10-01T08:00:00-04:00``). The sandbox computes in integer milliseconds and formats
through caches, because a large dataset formats millions of timestamps.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "DAY_MS",
    "EPOCH_START_MS",
    "HOUR_MS",
    "SPAN_MS",
    "LocalClock",
    "from_ms",
    "iso_ms",
    "iso_ms_to_ms",
    "to_ms",
]

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
EPOCH_START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z: the initial records' first day
SPAN_MS = 730 * DAY_MS  # the initial records span 2024 and 2025

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)
_DATES: dict[int, str] = {}
_MILLIS = tuple(f".{m:03d}Z" for m in range(1000))
_TIMES: list[str] = []  # "HH:MM:SS" for each second of a day, built on first use


def _date(day: int) -> str:
    """``YYYY-MM-DDT`` of a day number since the epoch (cached: millions of calls)."""
    text = _DATES.get(day)
    if text is None:
        t = time.gmtime(day * 86_400)
        text = _DATES[day] = f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T"
    return text


def _time_of_day(seconds: int) -> str:
    if not _TIMES:
        _TIMES.extend(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400))
    return _TIMES[seconds]


def iso_ms(ms: int) -> str:
    """``2024-10-01T12:00:00.123Z`` (what JavaScript's ``toISOString`` prints).

    Example:
        >>> iso_ms(EPOCH_START_MS + 1)
        '2024-01-01T00:00:00.001Z'
    """
    day, rest = divmod(ms, DAY_MS)
    seconds, millis = divmod(rest, 1000)
    return _date(day) + _time_of_day(seconds) + _MILLIS[millis]


def iso_ms_to_ms(text: str) -> int:
    """Inverse of :func:`iso_ms` (any ISO text with an offset).

    Example:
        >>> iso_ms_to_ms("2024-01-01T00:00:00.001Z") - EPOCH_START_MS
        1
    """
    return round(datetime.fromisoformat(text).timestamp() * 1000)


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of a timezone-aware datetime; ValueError if naive.

    Example:
        >>> to_ms(datetime(2024, 1, 1, tzinfo=UTC)) == EPOCH_START_MS
        True
    """
    if not isinstance(moment, datetime):
        raise ValueError(f"expected a timezone-aware datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime (UTC), got naive {moment}")
    return (moment - _EPOCH) // _ONE_MS  # exact; sub-millisecond parts are dropped


def from_ms(ms: int) -> datetime:
    """The UTC datetime of a millisecond timestamp.

    Example:
        >>> from_ms(EPOCH_START_MS).isoformat()
        '2024-01-01T00:00:00+00:00'
    """
    seconds, millis = divmod(ms, 1000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=millis * 1000)


class LocalClock:
    """Shop-local ISO timestamps with offsets (``2024-10-01T08:00:00-04:00``), as Shopify.

    Example:
        >>> LocalClock(ZoneInfo("America/New_York"))(EPOCH_START_MS)
        '2023-12-31T19:00:00-05:00'
    """

    def __init__(self, tz: ZoneInfo) -> None:
        self._tz = tz
        self._offsets: dict[int, tuple[int, str]] = {}

    def __call__(self, ms: int) -> str:
        hour = ms // HOUR_MS  # zones change offset on whole hours
        offset = self._offsets.get(hour)
        if offset is None:
            delta = self._tz.utcoffset(datetime.fromtimestamp(hour * 3600, UTC))
            minutes = int(delta.total_seconds()) // 60 if delta is not None else 0
            sign = "-" if minutes < 0 else "+"
            text = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
            offset = self._offsets[hour] = (minutes * 60_000, text)
        day, rest = divmod(ms + offset[0], DAY_MS)
        return _date(day) + _time_of_day(rest // 1000) + offset[1]
