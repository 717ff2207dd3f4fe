"""How fulfillkit writes a value as text: one implementation per rule, at the bottom layer.

Reprs, the notebook display, the carrier report, the HTML report, the CLI and the frame
builders all render the same few kinds of values; each rule lives here once so a change to
it (say, one decimal for percentages) happens in one place. Nothing here imports pandas at
module level, so the records' reprs stay cheap.

Example:
    >>> percent(0.1234), count(1234567), percent(None)
    ('12.3%', '1,234,567', '-')
    >>> to_json({"a": [1, "é"]})
    '{"a":[1,"é"]}'
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

__all__ = [
    "MISSING",
    "count",
    "escape",
    "is_missing",
    "minute",
    "percent",
    "to_json",
    "when",
]

MISSING: Final = "-"
"""What a missing value (None, NaN, NaT, pd.NA) is written as."""

to_json: Callable[[Any], str] = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), default=str
).encode
"""Compact JSON, UTF-8 kept as is, anything unknown (datetimes, Decimals) as ``str``: the
one encoding used for JSON text in frame columns, sinks and reprs."""


def is_missing(value: Any) -> bool:
    """True for ``None``, float NaN and pandas' NA / NaT (without importing pandas)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    # pd.NA and pd.NaT: both compare unequal to themselves or refuse to be compared.
    kind = type(value).__name__
    return kind in {"NAType", "NaTType"}


def count(value: Any) -> str:
    """An integer with thousands separators, or ``-``."""
    return MISSING if is_missing(value) else f"{int(value):,}"


def percent(value: Any) -> str:
    """A share in [0, 1] as a percentage with one decimal, or ``-``."""
    return MISSING if is_missing(value) else f"{100 * float(value):.1f}%"


def minute(value: Any) -> str:
    """A timestamp to the minute (``2024-10-01 12:00``), or ``-``."""
    return MISSING if is_missing(value) else f"{value:%Y-%m-%d %H:%M}"


def when(value: datetime | None) -> str:
    """A timestamp to the second with its offset, or ``-``."""
    return MISSING if value is None else value.isoformat(sep=" ", timespec="seconds")


def escape(value: Any) -> str:
    """Any value as HTML-escaped text (quotes included): every string from the API goes
    through here before it reaches HTML."""
    return html.escape(MISSING if is_missing(value) else str(value), quote=True)
