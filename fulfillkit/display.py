"""Rich and plain-text displays for Jupyter: a fulfillment, a batch, the carrier report.

Pure functions that return strings; the ``_repr_html_`` / ``__repr__`` hooks of
:class:`~fulfillkit.Fulfillment` and :class:`~fulfillkit.BatchResult` call them, so a
record or a batch on the last line of a cell shows as a small table, and the same text
reads well in a terminal.

Every value that came from the API (ids, carriers, tracking numbers and URLs, field
mapping keys and values, error messages) passes through :func:`html.escape` before it
reaches HTML, quotes included. A tracking URL becomes a link only when it is ``http`` or
``https`` (a ``javascript:`` URL stays inert text).

The carrier report stays a plain DataFrame. pandas' own ``DataFrame._repr_html_`` escapes
cell values, the index and column labels (``<``, ``>`` and ``&``; quotes need no escaping
in element text), so ``fk.carrier_report(df)`` on the last line of a cell is safe as it
is. :func:`report_html` (or :func:`display_report`) gives a friendlier view: shares in
percent and dates to the minute.

Example:
    >>> from fulfillkit.models import Fulfillment
    >>> f = Fulfillment(id="f1", carrier="<b>UPS</b>", tracking_numbers=["1Z9"])
    >>> "&lt;b&gt;UPS&lt;/b&gt;" in fulfillment_html(f)
    True
    >>> print(fulfillment_text(f).splitlines()[0])
    Fulfillment f1
"""

from __future__ import annotations

import html
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from ._batch import BatchResult, FetchError
from .models import Fulfillment

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ReportView",
    "batch_html",
    "batch_text",
    "display_report",
    "fulfillment_html",
    "fulfillment_text",
    "report_html",
    "safe_url",
]

MAX_TEXT: Final = 200
"""Longest value shown in full; longer text is cut with an ellipsis."""

_STYLE: Final = (
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


def esc(value: Any) -> str:
    """``value`` as HTML-escaped text (quotes too), long text cut to :data:`MAX_TEXT`.

    Example:
        >>> esc('<a href="x">')
        '&lt;a href=&quot;x&quot;&gt;'
    """
    return html.escape(_short(value), quote=True)


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


# --- a fulfillment ---------------------------------------------------------------------


def fulfillment_text(f: Fulfillment) -> str:
    """A plain-text summary of one fulfillment, a few lines long.

    Example:
        >>> print(fulfillment_text(Fulfillment(id="f1", carrier="UPS",
        ...     tracking_numbers=["1Z1"], tracking_urls=[])))
        Fulfillment f1
          carrier:   UPS
          order_id:  -
          tracking:  1Z1
    """
    lines = [f"Fulfillment {_short(f.id)}"]
    rows: list[tuple[str, str]] = [
        ("carrier", _short(f.carrier)),
        ("order_id", _short(f.order_id)),
        ("tracking", ", ".join(_short(n) for n in _pairs(f)[0]) or "-"),
    ]
    if f.remote_id is not None:
        rows.insert(0, ("remote_id", _short(f.remote_id)))
    if f.created_at is not None:
        rows.append(("created", _when(f.created_at)))
    if f.modified_at is not None:
        rows.append(("modified", _when(f.modified_at)))
    if f.field_mappings:
        rows.append(("fields", ", ".join(_short(k) for k in f.field_mappings)))
    if f.unparsed_timestamps:
        rows.append(("unparsed", _short(f.unparsed_timestamps)))
    lines.extend(f"  {name + ':':<10} {value}" for name, value in rows)
    return "\n".join(lines)


def fulfillment_html(f: Fulfillment) -> str:
    """One fulfillment as a small HTML table: ids, carrier, tracking numbers paired with
    their URLs (as links when they are ``http(s)``), timestamps, field mappings and items.

    Example:
        >>> out = fulfillment_html(Fulfillment(id="x", tracking_urls=["javascript:alert(1)"]))
        >>> "href" in out, "javascript:alert(1)" in out
        (False, True)
    """
    rows: list[tuple[str, str]] = [
        ("id", _code(f.id)),
        ("remote_id", _code(f.remote_id)),
        ("order_id", _code(f.order_id)),
        ("carrier", esc(f.carrier) if f.carrier is not None else _none()),
    ]
    numbers, urls = _pairs(f)
    tracking = [
        f"<li>{_code(n)} {_link(u)}</li>"
        for n, u in zip(
            numbers + [None] * (len(urls) - len(numbers)),
            urls + [None] * (len(numbers) - len(urls)),
            strict=True,
        )
    ]
    rows.append(
        ("tracking", f"<ul style='margin:0;padding-left:1.2em'>{''.join(tracking)}</ul>")
        if tracking
        else ("tracking", _none())
    )
    rows.append(("created_at", esc(_when(f.created_at)) if f.created_at else _none()))
    rows.append(("modified_at", esc(_when(f.modified_at)) if f.modified_at else _none()))
    if f.unparsed_timestamps:
        rows.append(
            ("unparsed", f"<span class='fk-bad'>{esc(_json(f.unparsed_timestamps))}</span>")
        )
    if f.field_mappings:
        inner = "".join(
            f"<tr><th>{esc(k)}</th><td>{esc(_json(v))}</td></tr>"
            for k, v in f.field_mappings.items()
        )
        rows.append(("field_mappings", f"<table>{inner}</table>"))
    if f.items:
        rows.append(("items", f"<code>{esc(_json(f.items))}</code>"))
    extra = f.model_extra or {}
    if extra:
        rows.append(("other fields", esc(", ".join(map(str, extra)))))
    if f.remote_data:
        rows.append(("remote_data", f"<span class='fk-muted'>{len(f.remote_data)} keys</span>"))
    body = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in rows)
    return f"<div class='fk-card'>{_STYLE}<b>Fulfillment</b><table>{body}</table></div>"


# --- a batch -----------------------------------------------------------------------------


def batch_text(batch: BatchResult, *, rows: int = 5) -> str:
    """A plain-text summary of a batch: counts, errors by kind, and the first failures.

    Example:
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
            lines.append(f"  {_short(e.id, 40)}  {e.kind}  {status}  {_short(e.message, 80)}")
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
    parts = [f"<div class='fk-card'>{_STYLE}<div>{summary}</div>"]
    if batch.errors:
        first: dict[str, FetchError] = {}
        for e in batch.errors:
            first.setdefault(e.kind, e)
        kinds = "".join(
            f"<tr><td>{esc(kind)}</td><td class='fk-num'>{n:,}</td>"
            f"<td>{_code(first[kind].id)}</td><td>{esc(first[kind].message)}</td></tr>"
            for kind, n in batch.error_counts().items()
        )
        parts.append(
            "<div><b>Errors by kind</b></div><table><tr><th>kind</th><th>count</th>"
            f"<th>example id</th><th>message</th></tr>{kinds}</table>"
        )
    if batch.fulfillments:
        shown = batch.fulfillments[:rows]
        body = "".join(
            f"<tr><td>{_code(f.id)}</td><td>{esc(f.carrier) if f.carrier else _none()}</td>"
            f"<td>{_code(f.order_id)}</td>"
            f"<td class='fk-num'>{len(_pairs(f)[0])}</td>"
            f"<td>{esc(_when(f.created_at)) if f.created_at else _none()}</td></tr>"
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
            f"<th>{esc(carrier)}</th>",
            f"<td class='fk-num'>{_int(row['fulfillments'])}</td>",
            f"<td class='fk-num'>{_int(row['tracking_number_count'])}</td>",
            f"<td class='fk-num'>{_percent(row['share_with_tracking'])}</td>",
            f"<td class='fk-num'>{_percent(row['share_with_url'])}</td>",
            f"<td>{esc(_minute(row['first_created_at']))}</td>",
            f"<td>{esc(_minute(row['last_created_at']))}</td>",
        ]
        body.append(f"<tr>{''.join(cells)}</tr>")
    total = int(pd.to_numeric(report["fulfillments"]).sum()) if len(report) else 0
    return (
        f"<div class='fk-card'>{_STYLE}<b>Carrier report</b> "
        f"<span class='fk-muted'>({total:,} fulfillments, {len(report)} carriers)</span>"
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
        from .reports import format_carrier_report

        return format_carrier_report(self.report)


def display_report(report: pd.DataFrame) -> ReportView:
    """Wrap a carrier report for a friendlier display (``fk.display_report(report)`` on the
    last line of a cell). The report itself stays a DataFrame: see :class:`ReportView`."""
    return ReportView(report)


# --- helpers -----------------------------------------------------------------------------


def _short(value: Any, limit: int = MAX_TEXT) -> str:
    text = "-" if value is None else value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _none() -> str:
    return "<span class='fk-muted'>—</span>"


def _code(value: Any) -> str:
    return _none() if value is None else f"<code>{esc(value)}</code>"


def _link(url: Any) -> str:
    if url is None:
        return ""
    safe = safe_url(url)
    if safe is None:
        return f"<span class='fk-muted'>{esc(url)}</span>"
    return (
        f"<a href='{html.escape(safe, quote=True)}' target='_blank' "
        f"rel='noopener noreferrer nofollow'>{esc(safe)}</a>"
    )


def _pairs(f: Fulfillment) -> tuple[list[Any], list[Any]]:
    return list(f.tracking_numbers or []), list(f.tracking_urls or [])


def _when(value: datetime | None) -> str:
    return "-" if value is None else value.isoformat(sep=" ", timespec="seconds")


def _json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):  # pragma: no cover - default=str handles the rest
        return repr(value)


def _int(value: Any) -> str:
    return "-" if _missing(value) else f"{int(value):,}"


def _percent(value: Any) -> str:
    return "-" if _missing(value) else f"{100 * float(value):.1f}%"


def _minute(value: Any) -> str:
    return "-" if _missing(value) else f"{value:%Y-%m-%d %H:%M}"


def _missing(value: Any) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))
