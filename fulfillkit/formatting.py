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
    "CARD_STYLE",
    "MAX_TEXT",
    "MISSING",
    "count",
    "escape",
    "html_code",
    "html_link",
    "html_missing",
    "is_missing",
    "minute",
    "percent",
    "safe_url",
    "short",
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


# --- HTML pieces: shared by the records' reprs, the batch's and the notebook's ---------------

MAX_TEXT: Final = 200
"""Longest value shown in full in a repr; longer text is cut with an ellipsis."""

CARD_STYLE: Final = (
    "<style>"
    ".fk-card{font-family:var(--jp-ui-font-family,sans-serif);font-size:13px}"
    ".fk-card table{border-collapse:collapse;margin:4px 0}"
    ".fk-card th,.fk-card td{padding:2px 8px;text-align:left;vertical-align:top;"
    "border-bottom:1px solid #e0e0e0}"
    ".fk-card th{font-weight:600}"
    ".fk-card .fk-num{text-align:right;font-variant-numeric:tabular-nums}"
    ".fk-card .fk-bad{color:#b00020}"
    ".fk-card .fk-muted{color:#666}"
    "</style>"
)
"""The stylesheet of every ``fk-card`` (a record, a batch, a report) in a notebook."""


def short(value: Any, limit: int = MAX_TEXT) -> str:
    """``value`` as text, ``-`` when missing, cut to ``limit`` characters with an ellipsis.

    Example:
        >>> short("x" * 5, limit=3), short(None)
        ('xx…', '-')
    """
    text = MISSING if is_missing(value) else value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def safe_url(url: Any) -> str | None:
    """``url`` if it is a plain ``http(s)://`` URL (so it may become a link), else ``None``.

    Example:
        >>> safe_url("https://ups.com/track?n=1"), safe_url("javascript:alert(1)")
        ('https://ups.com/track?n=1', None)
    """
    if not isinstance(url, str):
        return None
    text = url.strip()
    if text.lower().startswith(("http://", "https://")) and not any(c in text for c in "\n\r\t"):
        return text
    return None


def html_missing() -> str:
    """A muted dash for a missing value."""
    return "<span class='fk-muted'>—</span>"


def html_code(value: Any) -> str:
    """``value`` escaped and shortened in ``<code>``, or :func:`html_missing`.

    Example:
        >>> html_code("<id>")
        '<code>&lt;id&gt;</code>'
    """
    return html_missing() if value is None else f"<code>{escape(short(value))}</code>"


def html_link(url: Any) -> str:
    """A link for an ``http(s)`` URL (opens in a new tab, no referrer); any other URL is
    shown as muted, inert text; ``None`` gives nothing.

    Example:
        >>> html_link("javascript:alert(1)")
        "<span class='fk-muted'>javascript:alert(1)</span>"
    """
    if url is None:
        return ""
    safe = safe_url(url)
    if safe is None:
        return f"<span class='fk-muted'>{escape(short(url))}</span>"
    return (
        f"<a href='{escape(safe)}' target='_blank' "
        f"rel='noopener noreferrer nofollow'>{escape(short(safe))}</a>"
    )
