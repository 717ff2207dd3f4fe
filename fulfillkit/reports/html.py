"""One self-contained HTML file: the carrier report, its charts and the data audit.

:func:`report_html` writes a page an operations lead can open offline in any browser: no
JavaScript, no external asset (styles inline, charts as inline SVG from matplotlib's SVG
backend, tables from pandas' :class:`~pandas.io.formats.style.Styler`). Every value that
came from the API (carrier names, ids, tracking numbers, the title) is HTML-escaped.

It shows: the period covered, the source (base URL without credentials, query or
fragment) and when it was fetched, fulfillkit's version, the carrier choice; headline
figures; the carrier table (counts, tracking coverage, status shares); the carrier and
timeline charts; the audit summary by rule and carrier, with the rules that could not run
and what they need; and the worst findings.

Needs matplotlib and jinja2 (``pip install 'fulfillkit[report]'``).

Example:
    >>> import fulfillkit as fk, tempfile, pathlib
    >>> from fulfillkit.sandbox import make_dataset
    >>> df = fk.to_frame(make_dataset(50).fulfillments)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = report_html(df, pathlib.Path(folder) / "carriers.html", title="Q3")
    ...     text = path.read_text(encoding="utf-8")
    >>> "<script" in text, "<h1>Q3</h1>" in text
    (False, True)
"""

from __future__ import annotations

import html
import os
import warnings
from collections.abc import Hashable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TypedDict, Unpack
from urllib.parse import urlsplit, urlunsplit

import pandas as pd

from fulfillkit.carriers import CarrierTable
from fulfillkit.errors import InvalidDataError
from fulfillkit.frames import (
    REMOTE_DATA_COLUMN,
    SHIPMENT_STATUS_COLUMN,
    UnparsedTimestampWarning,
    frame_of,
    join_orders,
    records_of,
)
from fulfillkit.frames.io import atomic_write
from fulfillkit.optional import require
from fulfillkit.paths import output_path
from fulfillkit.redaction import redact
from fulfillkit.reports.auditing import (
    NOT_RUN,
    RAN,
    RULES_BY_NAME,
    SEVERITIES,
    SUMMARY_COLUMNS,
    audit,
    audit_summary,
    is_findings,
)
from fulfillkit.reports.auditing.entry import AuditSource, audit_source, records_source
from fulfillkit.reports.carriers import (
    CARRIER_CHOICES,
    CarrierChoice,
    carrier_report,
    check_carrier_choice,
)
from fulfillkit.reports.data import Fulfillments, carrier_frame, check_table
from fulfillkit.reports.figures import figure_svg
from fulfillkit.version import __version__

__all__ = ["ReportOptions", "render_report", "report_html", "safe_source"]

WORST: Final = 50
"""How many findings the page lists (the worst first); the summary counts them all."""

_SEVERITY_COLORS: Final = {"error": "#fde2e1", "warning": "#fff4d6", "info": "#e8f1fb"}

_CSS: Final = """
:root { --ink: #1d2733; --muted: #5b6b7c; --line: #dfe5ec; --accent: #2f5d8a; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f6f9; color: var(--ink);
  font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 24px 48px; }
header { background: var(--accent); color: #fff; padding: 26px 0 22px; }
header .wrap { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
h1 { margin: 0 0 6px; font-size: 28px; font-weight: 650; }
header p { margin: 2px 0; color: #dbe6f2; }
h2 { font-size: 19px; margin: 34px 0 10px; padding-bottom: 6px;
  border-bottom: 2px solid var(--line); }
section > p.note { color: var(--muted); margin: 0 0 12px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(135px, 1fr)); gap: 12px;
  margin-top: -20px; }
.card { background: #fff; border-radius: 10px; padding: 14px 16px;
  box-shadow: 0 1px 3px rgba(20, 40, 60, .12); }
.card .value { font-size: 26px; font-weight: 650; }
.card .label { color: var(--muted); font-size: 13px; }
.card.error .value { color: #b42318; } .card.warning .value { color: #a15c07; }
.panel { background: #fff; border-radius: 10px; padding: 16px 18px; overflow-x: auto;
  box-shadow: 0 1px 3px rgba(20, 40, 60, .12); }
.panel svg { width: 100%; height: auto; display: block; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
caption { caption-side: top; text-align: left; color: var(--muted); padding: 0 0 8px; }
th, td { padding: 6px 9px; border-bottom: 1px solid var(--line); text-align: right;
  white-space: nowrap; }
th { background: #f7f9fb; font-weight: 600; }
th.row_heading, td.text, th.text { text-align: left; }
td.detail { text-align: left; white-space: normal; min-width: 240px; }
td.code { text-align: left; white-space: normal; word-break: break-all; min-width: 120px;
  font: 12px/1.35 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
table.findings th.col_heading { text-align: left; }
tbody tr:hover td { box-shadow: inset 0 0 0 999px rgba(47, 93, 138, .06); }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; overflow-wrap: anywhere; }
footer { color: var(--muted); font-size: 13px; margin-top: 36px; }
ul.not-run { margin: 0; padding-left: 20px; } ul.not-run li { margin: 4px 0; }
ul.not-run em { color: #a15c07; font-style: normal; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
"""


def safe_source(url: str | None) -> str | None:
    """A base URL fit to print: no ``user:password@``, no query, no fragment, and every
    registered secret removed.

    Example:
        >>> safe_source("https://me:pw@api.panora.dev/v1?token=abc#x")
        'https://api.panora.dev/v1'
    """
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return redact(urlunsplit((parts.scheme, host, parts.path, "", "")))


class ReportOptions(TypedDict, total=False):
    """The keyword options of :func:`report_html`, passed on to :func:`render_report`
    (their defaults and meaning are there: one signature, not two)."""

    title: str
    findings: pd.DataFrame | None
    source: str | None
    fetched_at: datetime | str | None
    carrier: CarrierChoice
    table: CarrierTable | None
    worst: int


def report_html(
    data: Fulfillments, path: str | os.PathLike[str], **options: Unpack[ReportOptions]
) -> Path:
    """Write the self-contained HTML report of ``data`` to ``path``; return the path.

    ``path`` is checked first, by the one output-path rule
    (:func:`fulfillkit.paths.output_path`): missing folders are created, and a folder given
    as the file, or a folder that cannot be written, raises
    :class:`~fulfillkit.errors.OutputPathError` before any work. The file is written whole or not
    at all (a hidden temporary file, then a rename); a write that fails (a full disk) raises
    :class:`~fulfillkit.errors.OutputPathError` naming ``path``.

    Args:
        data: what :func:`~fulfillkit.carrier_report` takes: a
            :func:`~fulfillkit.to_frame` frame (or one read back with
            :func:`~fulfillkit.read_frame`), a ``BatchResult``, a store or a list of records.
        path: the ``.html`` file to write.
        options: :func:`render_report`'s keyword options (``title``, ``findings``,
            ``source``, ``fetched_at``, ``carrier``, ``table``, ``worst``).

    Example:
        >>> report_html(fk.to_frame([]), "out/carriers.html")       # doctest: +SKIP
        PosixPath('out/carriers.html')
    """
    target = output_path(path, what="HTML report")
    text = render_report(data, **options)
    # Whole or not at all: a reader (or a browser refreshing) never sees half a report.
    # (atomic_write checks the path again: a folder removed while rendering is made again.)
    return atomic_write(
        target, lambda temp: temp.write_text(text, encoding="utf-8"), what="HTML report", shown=path
    )


def render_report(
    data: Fulfillments,
    *,
    title: str = "Carrier report",
    findings: pd.DataFrame | None = None,
    source: str | None = None,
    fetched_at: datetime | str | None = None,
    carrier: CarrierChoice = "effective",
    table: CarrierTable | None = None,
    worst: int = WORST,
) -> str:
    """The HTML text :func:`report_html` writes.

    Args:
        data: what :func:`report_html` takes.
        title: the page's heading.
        findings: :func:`~fulfillkit.audit` findings; ``None`` audits ``data`` here (the
            records themselves, when given records or a batch).
        source: where the data came from (a base URL: printed without credentials,
            query or fragment; or a file name).
        fetched_at: when it was fetched (shown in UTC).
        carrier: group by the ``"stated"``, ``"detected"`` or ``"effective"`` carrier
            (the page says which).
        table: a :class:`~fulfillkit.carriers.CarrierTable` to fold ``carrier`` again.
        worst: how many findings to list, worst first.

    Example:
        >>> import fulfillkit as fk
        >>> page = render_report(fk.to_frame([{"id": "<b>a</b>"}]), title="<b>Q3</b>")
        >>> "&lt;b&gt;Q3&lt;/b&gt;" in page and "<b>" not in page
        True
    """
    require("jinja2", "report", "fk.report_html")  # pandas' Styler renders with it
    require("matplotlib", "report", "fk.report_html")
    choice = check_carrier_choice(carrier)
    _check_options(title=title, source=source, fetched_at=fetched_at, worst=worst)
    check_table(table, what="report_html")
    given, shown = _built(data)
    df = carrier_frame(shown, what="report_html", table=table, also=("created_at",))
    if findings is None:
        findings = audit(given, table=table)
    elif not is_findings(findings):
        raise InvalidDataError("report_html: findings= takes the frame fk.audit(...) returns")
    report = carrier_report(df, table=table, carrier=choice)
    created = pd.to_datetime(df["created_at"], utc=True) if "created_at" in df else None
    period = _period(created)
    fulfillments = int(report["fulfillments"].sum())
    parts = [
        *_head(title, fulfillments, period),
        *_cards(report, findings, fulfillments),
        *_about(period, source, fetched_at, choice),
        *_carrier_section(report, choice, _charts(df, choice, table, created)),
        *_charts_section(_more_charts(df, data, created)),
        *_audit_section(findings, choice, worst),
        f"<footer>fulfillkit {html.escape(__version__)}. A single file: no JavaScript, no "
        "external assets. Values from the API are shown as text.</footer>",
        "</main></body></html>",
    ]
    return "\n".join(parts)


def _built(data: object) -> tuple[AuditSource, Any]:
    """``data`` built once: what the audit reads (records and a batch's records with their
    unparsed-timestamp flags; a store's frame with its orders joined) and what the carrier
    views read (the same, but for a batch whose ``to_frame()`` lays out the remote-data
    columns otherwise than its records would: then the batch itself). One
    :class:`~fulfillkit.frames.UnparsedTimestampWarning`, as ``to_frame`` gives."""
    records = records_of(data, what="report_html")  # a generator is read once, here
    if records is not None:
        built = records_source(records, warn=True)
        return built, built
    given = audit_source(data, what="report_html", warn=True)
    stored_orders = getattr(data, "orders_frame", None)  # a store keeps its orders
    if callable(stored_orders):
        orders = stored_orders()
        if len(orders):
            given = AuditSource(join_orders(given.frame, orders))
    fetched = getattr(data, "remote_data", None)  # a batch's to_frame() lays out what it fetched
    if given.unparsed is None or fetched is None or fetched == (REMOTE_DATA_COLUMN in given.frame):
        return given, given
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnparsedTimestampWarning)  # given once already
        return given, frame_of(data, what="report_html")


def _check_options(*, title: object, source: object, fetched_at: object, worst: object) -> None:
    """A ``ValueError`` naming the first option of :func:`render_report` that is not what it
    takes, before any work."""
    if not isinstance(title, str):
        raise ValueError(f"report_html: title must be text, got {type(title).__name__}")
    if source is not None and not isinstance(source, str):
        raise ValueError(f"report_html: source must be text (a URL or a file name), got {source!r}")
    if isinstance(worst, bool) or not isinstance(worst, int) or worst < 0:
        raise ValueError(f"report_html: worst must be a whole number, 0 or more, got {worst!r}")
    if fetched_at is not None:
        try:
            stamp: Any = pd.Timestamp(fetched_at)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            stamp = pd.NaT
        if pd.isna(stamp):
            raise ValueError(
                f"report_html: fetched_at must be a datetime or ISO 8601 text, got {fetched_at!r}"
            )


# --- sections, top to bottom ----------------------------------------------------------------


def _period(created: pd.Series[Any] | None) -> str:
    """The span of ``created_at``, as the banner and the "About" panel print it."""
    first = created.min() if created is not None else pd.NaT
    last = created.max() if created is not None else pd.NaT
    return "no created_at" if pd.isna(first) else f"{_day(first)} to {_day(last)}"


def _head(title: str, fulfillments: int, period: str) -> list[str]:
    """The document's head and the banner: title, size and period."""
    esc = html.escape
    return [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="fulfillkit">',
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        '<header><div class="wrap">',
        f"<h1>{esc(title)}</h1>",
        f"<p>{fulfillments:,} fulfillments, {esc(period)}</p>",
        "</div></header><main>",
    ]


def _cards(report: pd.DataFrame, findings: pd.DataFrame, fulfillments: int) -> list[str]:
    """The headline figures: size, carriers, tracking coverage, findings by severity."""
    weights = report["fulfillments"].astype("Float64")
    share = (report["share_with_tracking"] * weights).sum() / fulfillments if fulfillments else 0.0
    share_url = (report["share_with_url"] * weights).sum() / fulfillments if fulfillments else 0.0
    by_severity = findings["severity"].value_counts()
    not_run = len(findings.attrs.get("not_run") or {})
    cards = [
        ("", f"{fulfillments:,}", "fulfillments"),
        ("", f"{len(report):,}", "carriers"),
        ("", _percent(share), "with a tracking number"),
        ("", _percent(share_url), "with a tracking URL"),
        *((sev, f"{int(by_severity.get(sev, 0)):,}", f"{sev} findings") for sev in SEVERITIES),
        *([("warning", f"{not_run:,}", "audit rules not run")] if not_run else []),
    ]
    return [
        '<div class="cards">',
        *(
            f'<div class="card {cls}"><div class="value">{value}</div>'
            f'<div class="label">{label}</div></div>'
            for cls, value, label in cards
        ),
        "</div>",
    ]


def _about(
    period: str, source: str | None, fetched_at: datetime | str | None, choice: CarrierChoice
) -> list[str]:
    """What the page covers, where the data came from and when, and who wrote it."""
    esc = html.escape
    meta = {
        "Period (created_at, UTC)": esc(period),
        "Source": f"<code>{esc(safe_source(source) or 'not given')}</code>",
        "Fetched": esc(_when(fetched_at)),
        "Carrier": esc(f"{choice}: {CARRIER_CHOICES[choice]}"),
        "Generated": esc(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC by fulfillkit {__version__}"),
    }
    return [
        '<section id="about"><h2>About this report</h2><div class="panel"><dl class="meta">',
        *(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in meta.items()),
        "</dl></div></section>",
    ]


def _carrier_section(
    report: pd.DataFrame, choice: CarrierChoice, charts: tuple[str, str]
) -> list[str]:
    """The carrier table and the two charts."""
    return [
        '<section id="carriers"><h2>Carriers</h2>',
        f'<p class="note">One row per {html.escape(choice)} carrier; shares are of the '
        "carrier's fulfillments. Tracking URLs count only when the record gave one.</p>",
        f'<div class="panel">{_carrier_table(report, choice)}</div>',
        f'<h2>Volume and tracking coverage</h2><div class="panel">{charts[0]}</div>',
        f'<h2>Over time</h2><div class="panel">{charts[1]}</div></section>',
    ]


def _charts_section(charts: list[tuple[str, str]]) -> list[str]:
    """The plots beyond the carrier ones (status mix, coverage, lag, time in status)."""
    if not charts:
        return []
    parts = ['<section id="charts">']
    parts += [
        f'<h2>{html.escape(heading)}</h2><div class="panel">{svg}</div>' for heading, svg in charts
    ]
    return [*parts, "</section>"]


def _audit_section(findings: pd.DataFrame, choice: CarrierChoice, worst: int) -> list[str]:
    """The audit: counts by rule and carrier, the rules that could not run and why, then
    the worst findings."""
    summary = audit_summary(findings)
    parameters = findings.attrs.get("parameters") or {}
    skipped = summary[summary["status"] == NOT_RUN]
    ran = int((summary["status"] == RAN).sum())
    note = f"{len(skipped)} rules not run (below)" if len(skipped) else "every rule asked for ran"
    return [
        '<section id="audit"><h2>Data audit</h2>',
        f'<p class="note">{len(findings):,} findings on '
        f"{findings['id'].nunique():,} fulfillments by {ran} rules; {note}. Counts by rule "
        f"and {html.escape(choice)} carrier.</p>",
        f'<div class="panel">{_summary_table(summary, parameters)}</div>',
        *_not_run_list(skipped, parameters),
        f"<h2>Worst findings (first {min(worst, len(findings)):,} of {len(findings):,})</h2>",
        f'<div class="panel">{_findings_table(_worst(findings, worst))}</div></section>',
    ]


def _not_run_list(skipped: pd.DataFrame, parameters: dict[str, Any]) -> list[str]:
    """The rules that could not run: what each finds, and what it needs."""
    if skipped.empty:
        return []
    esc = html.escape
    items = []
    for (severity, rule), reason in zip(skipped.index, skipped["reason"], strict=True):
        about = RULES_BY_NAME[str(rule)].describe(parameters)
        items.append(
            f"<li><code>{esc(str(rule))}</code> ({esc(str(severity))}): {esc(about)} "
            f"<em>Not run: {esc(str(reason))}.</em></li>"
        )
    return [
        '<h2>Rules not run</h2><div class="panel not-run">',
        '<p class="note">These rules found nothing because they could not look: '
        "the data lacks what they need.</p>",
        '<ul class="not-run">',
        *items,
        "</ul></div>",
    ]


# --- tables, charts and values -------------------------------------------------------------


def _carrier_table(report: pd.DataFrame, choice: str) -> str:
    shown = pd.DataFrame(
        {
            "fulfillments": report["fulfillments"].astype("int64"),
            "tracking numbers": report["tracking_number_count"].astype("int64"),
            "with tracking": report["share_with_tracking"].astype(float),
            "with URL": report["share_with_url"].astype(float),
        },
        index=pd.Index(report.index.astype(object), name="carrier"),
    )
    for column, label in (
        ("share_delivered", "delivered"),
        ("share_in_transit", "in transit"),
        ("share_failure", "failed"),
    ):
        if column in report:
            shown[label] = report[column].astype(float)
    shown["first created"] = report["first_created_at"].map(_date).to_numpy()
    shown["last created"] = report["last_created_at"].map(_date).to_numpy()
    shown.index.name = None  # the caption names the grouping
    shares: list[Hashable] = [
        c for c in shown.columns if c.startswith("with") or c in _SHARE_LABELS
    ]
    styler = (
        shown.style.format(precision=0, thousands=",", escape="html")
        .format(_percent, subset=shares)
        .format_index(escape="html")
        .format_index(escape="html", axis=1)
        .bar(subset=["fulfillments"], color="#c9d9ea", vmin=0)
        .bar(subset=shares, color="#d7ead3", vmin=0, vmax=1)
        .set_caption(html.escape(f"Grouped by {choice} carrier: {CARRIER_CHOICES[choice]}."))
        .set_table_attributes('class="carriers"')
    )
    if "failed" in shown:
        styler = styler.bar(subset=["failed"], color="#f4c7c3", vmin=0, vmax=1)
    return _styled(styler, "carriers")


_SHARE_LABELS: Final = ("delivered", "in transit", "failed")


def _summary_table(summary: pd.DataFrame, parameters: dict[str, Any]) -> str:
    ran = summary[summary["status"] == RAN]
    if ran.empty:
        return "<p>No audit rule ran.</p>"
    found = ran["findings"].astype("int64") > 0
    counts = ran[found.to_numpy()].drop(columns=["status", "reason"])
    quiet = [rule for _, rule in ran.index[~found.to_numpy()]]
    if counts.empty:
        return f"<p>No findings: {len(quiet)} rules ran and found nothing.</p>"
    counts = counts.astype("int64")
    carriers = [c for c in counts.columns if c not in SUMMARY_COLUMNS]
    if len(carriers) > 8:  # the page has room for eight carrier columns
        counts["others"] = counts[carriers[8:]].sum(axis=1)
        counts = counts.drop(columns=carriers[8:])
    rules = counts.index.get_level_values("rule")
    counts.insert(0, "what it finds", [RULES_BY_NAME[r].describe(parameters) for r in rules])
    severity = counts.index.get_level_values("severity").to_numpy()

    def shade(row: pd.Series[Any]) -> list[str]:
        color = _SEVERITY_COLORS.get(str(row.name[0]), "") if isinstance(row.name, tuple) else ""
        return [f"background-color: {color}" if color else "" for _ in row]

    styler = (
        counts.style.format(thousands=",", escape="html")
        .format_index(escape="html")
        .format_index(escape="html", axis=1)
        .apply(shade, axis=1)
        .set_td_classes(
            pd.DataFrame(
                [["detail"] + [""] * (counts.shape[1] - 1)] * len(counts),
                index=counts.index,
                columns=counts.columns,
            )
        )
        .hide(names=True)
        .set_table_attributes('class="summary"')
        .set_caption(
            f"{int((severity == 'error').sum())} error, {int((severity == 'warning').sum())} "
            f"warning and {int((severity == 'info').sum())} info rules found something."
        )
    )
    if quiet:
        note = html.escape(", ".join(quiet))
        return _styled(styler, "summary") + f'<p class="note">Nothing found by: {note}.</p>'
    return _styled(styler, "summary")


def _findings_table(findings: pd.DataFrame) -> str:
    if findings.empty:
        return "<p>No findings.</p>"
    shown = findings[
        ["severity", "rule", "carrier", "id", "order_id", "tracking_number", "detail"]
    ].reset_index(drop=True)
    shown.index = pd.RangeIndex(1, len(shown) + 1)
    colors = shown["severity"].map(lambda s: f"background-color: {_SEVERITY_COLORS.get(s, '')}")
    styles = pd.DataFrame("", index=shown.index, columns=shown.columns)
    styles["severity"] = colors.to_numpy()
    classes = pd.DataFrame("text", index=shown.index, columns=shown.columns)
    classes["detail"] = "detail"
    for column in ("id", "order_id", "tracking_number"):
        classes[column] = "code"
    styler = (
        shown.style.format(na_rep="", escape="html")
        .format_index(escape="html")
        .format_index(escape="html", axis=1)
        .apply(lambda _: styles, axis=None)
        .set_td_classes(classes)
        .set_table_attributes('class="findings"')
    )
    return _styled(styler, "findings")


def _worst(findings: pd.DataFrame, n: int) -> pd.DataFrame:
    """The ``n`` worst findings, taking the rules of one severity in turn (one of each,
    then a second of each, ...), so one noisy rule cannot fill the list alone."""
    if findings.empty:
        return findings
    rank = findings["severity"].map({s: i for i, s in enumerate(SEVERITIES)}).astype(int)
    turn = findings.groupby("rule", sort=False).cumcount()
    order = pd.DataFrame({"rank": rank, "turn": turn, "row": range(len(findings))})
    picked = order.sort_values(["rank", "turn", "row"], kind="stable").index[:n]
    return findings.loc[picked]


def _styled(styler: Any, uuid: str) -> str:
    text: str = styler.set_uuid(uuid).to_html(doctype_html=False)
    return text


def _charts(
    df: pd.DataFrame,
    choice: CarrierChoice,
    table: CarrierTable | None,
    created: pd.Series[Any] | None,
) -> tuple[str, str]:
    from fulfillkit.reports.charts import plot_carriers, plot_timeline

    return (
        figure_svg(plot_carriers(df, table=table, carrier=choice)),
        figure_svg(plot_timeline(df, _freq(created), table=table, carrier=choice)),
    )


def _freq(created: pd.Series[Any] | None) -> str:
    """A period for charts over time: a day, a week or a month, by the span covered."""
    if created is None or not created.notna().any():
        return "D"
    span = created.max() - created.min()
    return "MS" if span > pd.Timedelta(days=730) else "W" if span > pd.Timedelta(days=120) else "D"


def _more_charts(
    df: pd.DataFrame, data: object, created: pd.Series[Any] | None
) -> list[tuple[str, str]]:
    """``(heading, svg)`` of the plots the data can draw: the shipment-status mix (remote
    data), tracking coverage over time, the order-to-fulfillment lag (orders joined) and,
    from a store, time in transit. A plot the data cannot draw is left out (the audit
    section says what each missing input would enable)."""
    from fulfillkit.reports.plots import (
        plot_fulfillment_lag,
        plot_status_mix,
        plot_time_in_status,
        plot_tracking_coverage,
    )

    charts: list[tuple[str, str]] = []
    if SHIPMENT_STATUS_COLUMN in df:
        charts.append(("Shipment status by carrier", figure_svg(plot_status_mix(df))))
    if created is not None and created.notna().any():
        coverage = plot_tracking_coverage(df, _freq(created))
        charts.append(("Tracking coverage over time", figure_svg(coverage)))
    if "fulfillment_lag" in df and df["fulfillment_lag"].notna().any():
        charts.append(("Order to fulfillment", figure_svg(plot_fulfillment_lag(df))))
    status_changes = getattr(data, "status_changes", None)  # a store keeps every version
    if callable(status_changes):
        changes = status_changes()
        if changes["from_status"].notna().any():
            charts.append(("Time in transit", figure_svg(plot_time_in_status(changes))))
    return charts


def _when(value: datetime | str | None) -> str:
    if value is None:
        return "not recorded"
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return f"{stamp:%Y-%m-%d %H:%M:%S} UTC"


def _day(value: Any) -> str:
    return f"{value:%Y-%m-%d}"


def _date(value: Any) -> str:
    return "" if pd.isna(value) else f"{value:%Y-%m-%d}"


def _percent(value: Any) -> str:
    return "" if pd.isna(value) else f"{100 * float(value):.1f}%"
