"""HTML pieces the notebook displays share: status spans and escaped DataFrame tables.

Values are written with :mod:`fulfillkit.formatting` (``escape``, ``percent``, ...); the
record-level pieces (``html_code``, ``html_link``, the ``fk-card`` style) live there too,
because the records' and the batch's own reprs, which sit below this package, use them.
What is here is only used by :mod:`~fulfillkit.notebook.display` and the explorer.

Example:
    >>> import pandas as pd
    >>> "&lt;b&gt;" in frame_html(pd.DataFrame({"x": ["<b>"]}))
    True
    >>> bad("3 failed")
    "<span class='fk-bad'>3 failed</span>"
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["bad", "frame_html", "muted"]


def bad(html: str) -> str:
    """``html`` (already safe HTML) in the red of a failure."""
    return f"<span class='fk-bad'>{html}</span>"


def muted(html: str) -> str:
    """``html`` (already safe HTML) in the grey of a note."""
    return f"<span class='fk-muted'>{html}</span>"


def frame_html(frame: pd.DataFrame, **options: Any) -> str:
    """``frame`` as an ``fk-table`` HTML table without its index, every cell, header and
    label escaped by pandas, a dash for missing values; ``options`` go to ``to_html``."""
    settings: dict[str, Any] = {
        "escape": True,
        "index": False,
        "na_rep": "—",
        "classes": ["fk-table"],
        "border": 0,
    }
    return str(frame.to_html(**(settings | options)))
