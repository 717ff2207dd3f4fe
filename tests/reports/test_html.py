"""The HTML report, parsed back: every carrier row, escaped API values, no script, no
external asset, the source without secrets, the audit."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import fulfillkit as fk
from fulfillkit.carriers import DEFAULT_CARRIERS
from fulfillkit.reports.html import render_report, report_html, safe_source
from fulfillkit.sandbox import make_dataset

EVIL = '<script>alert("x")</script>&Co'


class Page(HTMLParser):
    """Tags, attributes, and the text of each table's body rows, by table class."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.rows: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_body = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if tag == "table":
            self._table = (found.get("class") or found.get("id") or "").split()[0]
            self.rows.setdefault(self._table, [])
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            self.rows[self._table].append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return fk.to_frame(make_dataset(300, seed=4).fulfillments, remote_data=True)


def test_every_carrier_row_with_its_numbers(frame: pd.DataFrame, tmp_path: Path) -> None:
    path = report_html(frame, tmp_path / "out" / "carriers.html", title="Q1 carriers")
    page = Page(path.read_text(encoding="utf-8"))
    report = fk.carrier_report(frame)
    rows = {row[0]: row[1:] for row in page.rows["carriers"]}
    assert list(rows) == list(report.index)
    for carrier, values in rows.items():
        assert int(values[0].replace(",", "")) == report.loc[carrier, "fulfillments"]
        share = float(report["share_with_tracking"][carrier])
        assert values[2] == f"{100 * share:.1f}%"
    assert ("title", {}) in page.tags


def test_no_script_no_external_asset_inline_charts(frame: pd.DataFrame) -> None:
    text = render_report(frame)
    page = Page(text)
    names = [tag for tag, _ in page.tags]
    assert "script" not in names and "link" not in names and "img" not in names
    # carriers, over time, then what the data can draw: status mix (remote data) and
    # tracking coverage; no lag without orders joined, no time in status without a store
    assert names.count("svg") == 4
    assert "Shipment status by carrier" in text and "Tracking coverage over time" in text
    assert "Order to fulfillment" not in text and "Time in transit" not in text
    for _, attrs in page.tags:
        for key in ("src", "href"):
            assert not (attrs.get(key) or "").startswith(("http:", "https:", "//")), attrs
    assert "@import" not in text and "url(http" not in text


def test_api_values_are_escaped(tmp_path: Path) -> None:
    table = DEFAULT_CARRIERS.with_rules((EVIL, [r"script"]))
    records: list[dict[str, Any]] = [
        {"id": "a", "carrier": "script carrier", "order_id": None, "tracking_numbers": [EVIL]},
        {"id": "<b>b</b>", "carrier": "UPS", "order_id": "<i>o</i>"},
    ]
    frame = fk.to_frame(records, carriers=table)
    text = render_report(frame, title="<h1>title</h1>", source="https://x.test/?q=<script>")
    assert "<script" not in text and "<b>b</b>" not in text and "<i>o</i>" not in text
    assert "&lt;script&gt;" in text
    page = Page(text)
    assert EVIL in [row[0] for row in page.rows["carriers"]]  # shown as text, whole
    finding_ids = {row[4] for row in page.rows["findings"]}
    assert "<b>b</b>" in finding_ids
    assert any(EVIL in row for row in page.rows["findings"])
    assert page.tags[[t for t, _ in page.tags].index("title")] == ("title", {})


def test_source_without_secrets_and_the_meta(frame: pd.DataFrame) -> None:
    text = render_report(
        frame,
        source="https://user:hunter2@api.panora.dev/v1?x-api-key=sk-live-secret#frag",
        fetched_at="2025-01-02T03:04:05+02:00",
        carrier="stated",
    )
    assert "hunter2" not in text and "sk-live-secret" not in text and "frag" not in text
    assert "https://api.panora.dev/v1" in text
    assert "2025-01-02 01:04:05 UTC" in text
    assert f"fulfillkit {fk.__version__}" in text
    assert "stated: the carrier the record states" in text
    first, last = frame["created_at"].min(), frame["created_at"].max()
    assert f"{first:%Y-%m-%d} to {last:%Y-%m-%d}" in text
    assert safe_source(None) is None


def test_carrier_choice_changes_the_rows() -> None:
    records = [{"id": "a", "carrier": None, "tracking_numbers": ["1Z999AA10123456784"]}]
    frame = fk.to_frame(records)
    stated = Page(render_report(frame, carrier="stated")).rows["carriers"]
    effective = Page(render_report(frame)).rows["carriers"]
    assert [r[0] for r in stated] == ["Unknown"] and [r[0] for r in effective] == ["UPS"]
    with pytest.raises(ValueError, match="carrier must be"):
        render_report(frame, carrier="guessed")  # type: ignore[arg-type]


def test_audit_summary_and_worst_findings(frame: pd.DataFrame) -> None:
    findings = fk.audit(frame)
    page = Page(render_report(frame, findings=findings, worst=10))
    summary = fk.audit_summary(findings)
    found = summary[summary["findings"] > 0]
    cells = [set(row) for row in page.rows["summary"]]
    for (_, rule), count in zip(found.index, found["findings"], strict=True):
        row = next(c for c in cells if rule in c)  # the rule's row, with its count
        assert f"{count:,}" in row
    worst = page.rows["findings"]
    assert len(worst) == min(10, len(findings))
    severities = [row[1] for row in worst]
    order = {"error": 0, "warning": 1, "info": 2}
    assert severities == sorted(severities, key=order.__getitem__)
    # Rules of one severity take turns: no one rule fills the list while others wait.
    errors = [row[2] for row in worst if row[1] == "error"]
    assert len(set(errors[: len(set(errors))])) == len(set(errors))


def test_no_findings_and_empty_frame() -> None:
    empty = fk.to_frame([])
    text = render_report(empty, findings=fk.audit(empty))
    assert "No findings" in text and "no created_at" in text
    assert Page(text).rows.get("carriers", []) == []


def test_public_names() -> None:
    assert fk.report_html is report_html
    assert {"audit", "audit_summary", "report_html"} <= set(fk.__all__)
    _: Any = fk.audit, fk.audit_summary


# --- the output-path rule -------------------------------------------------------------------


def test_missing_folders_are_created(tmp_path: Path) -> None:
    frame = fk.to_frame(make_dataset(20, seed=2).fulfillments)
    path = report_html(frame, tmp_path / "a" / "b" / "carriers.html")
    assert path == tmp_path / "a" / "b" / "carriers.html" and path.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["carriers.html"]  # no temp file left


def test_a_folder_given_as_the_file_is_refused_before_any_work(tmp_path: Path) -> None:
    folder = tmp_path / "reports.html"
    folder.mkdir()
    # The path is checked first: even data that would be refused never gets looked at.
    with pytest.raises(fk.errors.OutputPathError, match="is a folder") as caught:
        report_html([1, 2], folder)
    assert str(folder) in str(caught.value)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(fk.errors.OutputPathError, match="is a file, not a folder"):
        report_html([1, 2], blocker / "r.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "reports.html"]
    assert list(folder.iterdir()) == []


def test_a_failed_write_names_the_html_report_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(self: Path, *args: Any, **kwargs: Any) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full_disk)
    target = tmp_path / "carriers.html"
    with pytest.raises(fk.errors.OutputPathError) as caught:
        report_html(fk.to_frame([{"id": "a"}]), target)
    assert str(caught.value) == f"cannot write HTML report {str(target)!r}: No space left on device"
    assert list(tmp_path.iterdir()) == []


def test_a_store_brings_its_orders_and_its_history(tmp_path: Path) -> None:
    """Given a store, the report joins its orders (the lag chart, the order rules) and
    draws time in transit from the versions it kept."""
    from fulfillkit.sandbox import SandboxApp

    app = SandboxApp(make_dataset(1000, seed=9), rate_limit=None)
    store = fk.Store(tmp_path / "shop.duckdb")
    with fk.Client.sandbox(app=app) as client:
        store.sync(client, progress=False)
        for _ in range(3):
            app.advance(days=4)
            store.sync(client, progress=False)
    text = report_html(store, tmp_path / "store.html").read_text(encoding="utf-8")
    for heading in ("Order to fulfillment", "Time in transit", "Shipment status by carrier"):
        assert heading in text
    not_run = text[text.find("<h2>Rules not run</h2>") :]
    assert "<code>created_before_order</code>" not in not_run  # the orders were joined
    assert "<code>slow_fulfillment</code>" in not_run  # it still needs max_lag
