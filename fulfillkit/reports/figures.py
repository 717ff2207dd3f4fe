"""Writing matplotlib figures out: inline SVG for HTML, and the IPython display hook.

Every plot of :mod:`fulfillkit.reports` is a :class:`matplotlib.figure.Figure` built
without ``pyplot`` (no global figure list, safe in a worker thread, no double display in
Jupyter). :func:`figure_svg` is the text an HTML report embeds;
:func:`register_ipython_png` makes a bare figure on a cell's last line show as a picture
(what ``%matplotlib inline`` would do), once, and only when IPython is running.

Example:
    >>> from matplotlib.figure import Figure
    >>> fig = Figure()
    >>> _ = fig.subplots().plot([0, 1], [1, 0])
    >>> svg = figure_svg(fig)
    >>> svg.startswith("<svg"), "<!--" in svg
    (True, False)
"""

from __future__ import annotations

import io
import re
import sys
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["FREQ_WORDS", "figure_png", "figure_svg", "freq_word", "register_ipython_png"]

FREQ_WORDS: Final = {
    "D": "day",
    "W": "week",
    "M": "month",
    "ME": "month",
    "MS": "month",
    "Q": "quarter",
    "QE": "quarter",
    "QS": "quarter",
    "Y": "year",
    "YE": "year",
    "YS": "year",
    "A": "year",
    "H": "hour",
    "h": "hour",
}
"""The word an axis or a title uses for a pandas period alias."""

_SVG_PROLOG: Final = re.compile(r"^.*?(?=<svg)", re.S)
_SVG_COMMENT: Final = re.compile(r"<!--.*?-->", re.S)


def freq_word(freq: str) -> str:
    """The word for a period alias (a multiple's count dropped); the alias itself when
    :data:`FREQ_WORDS` has none.

    Example:
        >>> freq_word("MS"), freq_word("2W"), freq_word("15min")
        ('month', 'week', '15min')
    """
    return FREQ_WORDS.get(freq.lstrip("0123456789"), freq)


def figure_svg(fig: Figure) -> str:
    """``fig`` as inline SVG text (starts with ``<svg``): no XML prolog, no comments (where
    matplotlib repeats label texts), no date, so one figure always gives the same text."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return _SVG_COMMENT.sub("", _SVG_PROLOG.sub("", buffer.getvalue(), count=1))


def figure_png(fig: Figure, *, dpi: int = 100) -> bytes:
    """Render ``fig`` to PNG bytes (for an ``ipywidgets.Image``, a file, or a test).

    Example:
        >>> from matplotlib.figure import Figure
        >>> figure_png(Figure(figsize=(1, 1))).startswith(b"\\x89PNG")
        True
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


_registered = False


def register_ipython_png() -> None:
    """Show a bare ``Figure`` as a PNG in IPython (registered once; nothing outside
    IPython, and nothing if a PNG formatter for ``Figure`` is already there)."""
    global _registered
    if _registered or "IPython" not in sys.modules:
        return
    _registered = True
    try:
        from IPython import get_ipython
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover
        return
    shell = get_ipython()
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["image/png"]
    try:
        formatter.lookup_by_type(Figure)
    except KeyError:
        formatter.for_type(Figure, figure_png)
