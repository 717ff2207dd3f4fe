"""Rich and plain-text displays for Jupyter: the carrier report, and a batch's summary.

Pure functions that return strings. A record shows itself (its ``_repr_html_`` is
:func:`fulfillkit.models.fulfillment_html`, a batch's is in
:mod:`fulfillkit.fetch.results`: both sit below this layer). Values are written with
:mod:`fulfillkit.formatting`, so every value that came from the API (ids, carriers,
error messages) is escaped, quotes included, before it reaches HTML.

The carrier report stays a plain DataFrame. pandas' own ``DataFrame._repr_html_`` escapes
cell values, the index and column labels (``<``, ``>`` and ``&``; quotes need no escaping
in element text), so ``fk.carrier_report(df)`` on the last line of a cell is safe as it
is. :func:`carrier_report_html` (the HTML text) or :func:`display_report` (an object that
shows as it) gives a friendlier view: shares in percent and dates to the minute. It is
named apart from :func:`fulfillkit.report_html`, which *writes* the whole HTML report to a
file; this module's old ``report_html`` name still works for one release, with a
``DeprecationWarning``.

Example:
    >>> from fulfillkit.frames import to_frame
    >>> from fulfillkit.reports import carrier_report
    >>> report = carrier_report(to_frame([{"id": "a", "carrier": "ups", "tracking_numbers": [1]}]))
    >>> html = carrier_report_html(report)
    >>> "<th>UPS</th>" in html, "100.0%" in html
    (True, True)
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from fulfillkit.errors import InvalidDataError
from fulfillkit.formatting import (
    CARD_STYLE,
    count,
    escape,
    minute,
    percent,
    short,
)
from fulfillkit.notebook.html import muted

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ReportView",
    "carrier_report_html",
    "display_report",
]


# --- the carrier report ------------------------------------------------------------------


def carrier_report_html(report: pd.DataFrame) -> str:
    """A :func:`~fulfillkit.carrier_report` as HTML text (a table in a card): shares in %,
    dates to the minute, carrier names escaped. Returns the text; to write the whole HTML
    report to a file, use :func:`fulfillkit.report_html`.

    Example:
        >>> from fulfillkit.frames import to_frame
        >>> from fulfillkit.reports import carrier_report
        >>> r = carrier_report(to_frame([{"id": "a", "carrier": "UPS", "tracking_numbers": ["1"]}]))
        >>> "100.0%" in carrier_report_html(r)
        True
    """
    import pandas as pd

    header = (
        "<tr><th>carrier</th><th>fulfillments</th><th>tracking numbers</th>"
        "<th>with tracking</th><th>with URL</th><th>first created</th><th>last created</th></tr>"
    )
    body = []
    for carrier, row in report.iterrows():
        cells = [
            f"<th>{escape(short(carrier))}</th>",
            f"<td class='fk-num'>{count(row['fulfillments'])}</td>",
            f"<td class='fk-num'>{count(row['tracking_number_count'])}</td>",
            f"<td class='fk-num'>{percent(row['share_with_tracking'])}</td>",
            f"<td class='fk-num'>{percent(row['share_with_url'])}</td>",
            f"<td>{escape(minute(row['first_created_at']))}</td>",
            f"<td>{escape(minute(row['last_created_at']))}</td>",
        ]
        body.append(f"<tr>{''.join(cells)}</tr>")
    total = int(pd.to_numeric(report["fulfillments"]).sum()) if len(report) else 0
    return (
        f"<div class='fk-card'>{CARD_STYLE}<b>Carrier report</b> "
        f"{muted(f'({total:,} fulfillments, {len(report)} carriers)')}"
        f"<table>{header}{''.join(body)}</table></div>"
    )


class ReportView:
    """A carrier report that shows as :func:`carrier_report_html` in Jupyter and as
    :func:`~fulfillkit.reports.format_carrier_report` text elsewhere. ``.report`` is the
    DataFrame itself.

    Example:
        >>> from fulfillkit.frames import to_frame
        >>> from fulfillkit.reports import carrier_report
        >>> view = display_report(carrier_report(to_frame([{"id": "a", "carrier": "DHL"}])))
        >>> view.report.index.tolist()
        ['DHL']
    """

    def __init__(self, report: pd.DataFrame) -> None:
        self.report = report

    def _repr_html_(self) -> str:
        return carrier_report_html(self.report)

    def __repr__(self) -> str:
        from fulfillkit.reports import format_carrier_report

        return format_carrier_report(self.report)


def display_report(report: pd.DataFrame) -> ReportView:
    """Wrap a carrier report for a friendlier display (``fk.display_report(report)`` on the
    last line of a cell). The report itself stays a DataFrame: see :class:`ReportView`.

    Raises:
        InvalidDataError: ``report`` is not a carrier report (``fk.carrier_report(...)``).

    Example:
        >>> import fulfillkit as fk
        >>> view = display_report(fk.carrier_report(fk.to_frame([{"id": "a"}])))
        >>> "<table" in view._repr_html_()
        True
    """
    import pandas as pd

    if not isinstance(report, pd.DataFrame) or "fulfillments" not in report:
        raise InvalidDataError(
            "display_report takes a carrier report (the frame fk.carrier_report(...) returns), "
            f"got {type(report).__name__}"
        )
    return ReportView(report)


_RENAMED = {"report_html": "carrier_report_html"}


def __getattr__(name: str) -> Any:
    """Old names, for one release, with a ``DeprecationWarning`` (PEP 562)."""
    new = _RENAMED.get(name)
    if new is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"fulfillkit.notebook.display.{name} is now {new} (it returns HTML text; "
        f"fulfillkit.report_html writes a file); {name} goes in the next release",
        DeprecationWarning,
        stacklevel=2,
    )
    return globals()[new]
