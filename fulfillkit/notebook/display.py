"""Rich and plain-text displays for Jupyter: the carrier report, and a batch's summary.

Pure functions that return strings. A record shows itself (its ``_repr_html_`` is
:func:`fulfillkit.models.fulfillment_html`); a :class:`~fulfillkit.BatchResult` calls
:func:`batch_html` / :func:`batch_text` here. Values are written with
:mod:`fulfillkit.formatting`, so every value that came from the API (ids, carriers,
error messages) is escaped, quotes included, before it reaches HTML.

The carrier report stays a plain DataFrame. pandas' own ``DataFrame._repr_html_`` escapes
cell values, the index and column labels (``<``, ``>`` and ``&``; quotes need no escaping
in element text), so ``fk.carrier_report(df)`` on the last line of a cell is safe as it
is. :func:`report_html` (or :func:`display_report`) gives a friendlier view: shares in
percent and dates to the minute.

Example:
    >>> from fulfillkit.frames import to_frame
    >>> from fulfillkit.reports import carrier_report
    >>> report = carrier_report(to_frame([{"id": "a", "carrier": "ups", "tracking_numbers": [1]}]))
    >>> "<th>UPS</th>" in report_html(report), "100.0%" in report_html(report)
    (True, True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fulfillkit._batch import BatchResult, FetchError
from fulfillkit.formatting import (
    CARD_STYLE,
    count,
    escape,
    html_code,
    html_missing,
    minute,
    percent,
    short,
    when,
)
from fulfillkit.notebook.html import muted

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ReportView",
    "batch_html",
    "batch_text",
    "display_report",
    "report_html",
]


# --- the carrier report ------------------------------------------------------------------


def report_html(report: pd.DataFrame) -> str:
    """A :func:`~fulfillkit.carrier_report` as an HTML table: shares in %, dates to the
    minute, carrier names escaped.

    Example:
        >>> from fulfillkit.frames import to_frame
        >>> from fulfillkit.reports import carrier_report
        >>> r = carrier_report(to_frame([{"id": "a", "carrier": "UPS", "tracking_numbers": ["1"]}]))
        >>> "100.0%" in report_html(r)
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
    """A carrier report that shows as :func:`report_html` in Jupyter and as
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
        return report_html(self.report)

    def __repr__(self) -> str:
        from fulfillkit.reports import format_carrier_report

        return format_carrier_report(self.report)


def display_report(report: pd.DataFrame) -> ReportView:
    """Wrap a carrier report for a friendlier display (``fk.display_report(report)`` on the
    last line of a cell). The report itself stays a DataFrame: see :class:`ReportView`."""
    return ReportView(report)


# --- a batch -----------------------------------------------------------------------------


def batch_text(batch: BatchResult, *, rows: int = 5) -> str:
    """A plain-text summary of a batch: counts, errors by kind, and the first failures.

    Example:
        >>> from fulfillkit.models import Fulfillment
        >>> b = BatchResult(fulfillments=[Fulfillment(id="a")],
        ...     errors=[FetchError("b", "not_found", 500, "gone", 1)])
        >>> print(batch_text(b))
        BatchResult: 2 requested, 1 fetched, 1 failed
          errors by kind: not_found 1
          b  not_found  500  gone
    """
    head = (
        f"BatchResult: {batch.requested} requested, {len(batch.fulfillments)} fetched, "
        f"{len(batch.errors)} failed"
    )
    if batch.pending:
        head += f", {len(batch.pending)} pending"
    lines = [head]
    if batch.errors:
        kinds = ", ".join(f"{kind} {n}" for kind, n in batch.error_counts().items())
        lines.append(f"  errors by kind: {kinds}")
        for e in batch.errors[:rows]:
            status = "-" if e.status is None else str(e.status)
            lines.append(f"  {short(e.id, 40)}  {e.kind}  {status}  {short(e.message, 80)}")
        if len(batch.errors) > rows:
            lines.append(f"  ... and {len(batch.errors) - rows} more (batch.errors_frame())")
    return "\n".join(lines)


def batch_html(batch: BatchResult, *, rows: int = 5) -> str:
    """A batch as HTML: counts, an error summary by kind (with an example id and message
    each) and the first ``rows`` fulfillments and errors.

    Example:
        >>> b = BatchResult(fulfillments=[], errors=[FetchError("<x>", "server", 500, "<boom>", 2)])
        >>> out = batch_html(b)
        >>> "&lt;x&gt;" in out and "<x>" not in out and "&lt;boom&gt;" in out
        True
    """
    ok = not batch.errors and not batch.pending
    summary = (
        f"<b>BatchResult</b>: {batch.requested:,} requested, "
        f"<b>{len(batch.fulfillments):,}</b> fetched, "
        f"<b class='{'' if ok else 'fk-bad'}'>{len(batch.errors):,}</b> failed"
    )
    if batch.pending:
        summary += f", {len(batch.pending):,} pending"
    parts = [f"<div class='fk-card'>{CARD_STYLE}<div>{summary}</div>"]
    if batch.errors:
        first: dict[str, FetchError] = {}
        for e in batch.errors:
            first.setdefault(e.kind, e)
        kinds = "".join(
            f"<tr><td>{escape(short(kind))}</td><td class='fk-num'>{n:,}</td>"
            f"<td>{html_code(first[kind].id)}</td><td>{escape(short(first[kind].message))}</td></tr>"
            for kind, n in batch.error_counts().items()
        )
        parts.append(
            "<div><b>Errors by kind</b></div><table><tr><th>kind</th><th>count</th>"
            f"<th>example id</th><th>message</th></tr>{kinds}</table>"
        )
    if batch.fulfillments:
        shown = batch.fulfillments[:rows]
        body = "".join(
            f"<tr><td>{html_code(f.id)}</td>"
            f"<td>{escape(short(f.carrier)) if f.carrier else html_missing()}</td>"
            f"<td>{html_code(f.order_id)}</td>"
            f"<td class='fk-num'>{len(f.tracking_numbers or [])}</td>"
            f"<td>{escape(when(f.created_at)) if f.created_at else html_missing()}</td></tr>"
            for f in shown
        )
        more = len(batch.fulfillments) - len(shown)
        parts.append(
            f"<div><b>First {len(shown)} of {len(batch.fulfillments):,} fulfillments</b>"
            f"{' (batch.to_frame() for all)' if more else ''}</div>"
            "<table><tr><th>id</th><th>carrier</th><th>order_id</th><th>tracking</th>"
            f"<th>created_at</th></tr>{body}</table>"
        )
    parts.append("</div>")
    return "".join(parts)
