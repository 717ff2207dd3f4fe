"""HTML and text displays: what they show, and that every API value is escaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pandas as pd
import pytest

import fulfillkit as fk
from fulfillkit._batch import BatchResult, FetchError
from fulfillkit.carriers import DEFAULT_CARRIERS
from fulfillkit.display import (
    ReportView,
    batch_html,
    batch_text,
    display_report,
    fulfillment_html,
    fulfillment_text,
    report_html,
    safe_url,
)
from fulfillkit.frames import to_frame
from fulfillkit.reports import carrier_report, format_carrier_report

SCRIPT = "<script>alert(1)</script>"
HOSTILE = [SCRIPT, "<img src=x onerror=alert(1)>", "a & b", "quote\" and 'single'"]


def hostile_fulfillment() -> fk.Fulfillment:
    return fk.Fulfillment.model_validate(
        {
            "id": SCRIPT,
            "remote_id": "<b>remote</b>",
            "order_id": "o&1",
            "carrier": 'Bob\'s "Fast" <Courier>',
            "tracking_numbers": ["<i>1Z</i>", None],
            "tracking_urls": [
                "javascript:alert(1)",
                'https://track.example/?n=1"onmouseover="alert(1)',
            ],
            "field_mappings": {"<key>": "<value> & 'q'", "nested": {"x": SCRIPT}},
            "items": [{"sku": "<sku>"}],
            "created_at": "2024-05-01T10:00:00Z",
            "<extra>": 1,
        }
    )


def assert_no_raw_markup(html: str) -> None:
    """No hostile tag survives, and no attribute could be opened by a value."""
    for bad in ("<script", "<img", "<i>", "<b>remote", "<key>", "<value>", "<sku>", "<Courier"):
        assert bad not in html, bad
    assert 'onmouseover="alert' not in html
    assert all(not h.startswith("javascript") for h in re.findall(r"href='([^']*)'", html))


def test_fulfillment_html_escapes_every_api_value() -> None:
    out = fulfillment_html(hostile_fulfillment())
    assert_no_raw_markup(out)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "Bob&#x27;s &quot;Fast&quot; &lt;Courier&gt;" in out
    assert "o&amp;1" in out
    assert "&lt;key&gt;" in out and "&lt;value&gt; &amp; &#x27;q&#x27;" in out
    assert "&lt;extra&gt;" in out


def test_only_http_urls_become_links_and_quotes_cannot_break_out() -> None:
    out = fulfillment_html(hostile_fulfillment())
    hrefs = re.findall(r"href='([^']*)'", out)
    assert hrefs == ["https://track.example/?n=1&quot;onmouseover=&quot;alert(1)"]
    assert "javascript:alert(1)" in out  # shown, as inert text
    assert safe_url("JAVASCRIPT:alert(1)") is None
    assert safe_url("https://a.example/\nx") is None
    assert safe_url(None) is None
    assert safe_url(" http://a.example/x ") == "http://a.example/x"


def test_fulfillment_html_shows_the_record() -> None:
    f = fk.Fulfillment.model_validate(
        {
            "id": "f1",
            "carrier": "UPS",
            "tracking_numbers": ["1Z1", "1Z2"],
            "tracking_urls": ["https://ups.example/1Z1"],
            "created_at": "2024-05-01T10:00:00Z",
        }
    )
    out = fulfillment_html(f)
    assert "<code>f1</code>" in out and "UPS" in out
    assert out.count("<li>") == 2
    assert "2024-05-01 10:00:00+00:00" in out


def test_fulfillment_text() -> None:
    text = fulfillment_text(hostile_fulfillment())
    lines = text.splitlines()
    assert lines[0] == f"Fulfillment {SCRIPT}"  # plain text: nothing to escape
    assert any(line.strip().startswith("tracking:") and "<i>1Z</i>" in line for line in lines)
    assert any("fields:" in line and "<key>" in line for line in lines)
    long = fk.Fulfillment(id="x" * 1000)
    assert len(fulfillment_text(long).splitlines()[0]) < 250


def test_fulfillment_with_nothing() -> None:
    f = fk.Fulfillment()
    assert fulfillment_text(f).startswith("Fulfillment -")
    assert "<table>" in fulfillment_html(f)


def make_batch() -> BatchResult:
    fulfillments = [
        fk.Fulfillment(
            id=f"id-{i}",
            carrier=HOSTILE[i % len(HOSTILE)],
            tracking_numbers=["T"] * (i % 3),
            created_at=datetime(2024, 1, 1 + i, tzinfo=UTC),
        )
        for i in range(8)
    ]
    errors = [
        FetchError(SCRIPT, "not_found", 500, f"Fulfillment with ID {SCRIPT} not found.", 1),
        FetchError("b&b", "not_found", 500, "gone", 1),
        FetchError("c", "server", 503, "<html>bad gateway</html>", 4),
    ]
    return BatchResult(fulfillments=fulfillments, errors=errors, pending=["p"])


def test_batch_html_counts_kinds_first_rows_and_escapes() -> None:
    out = batch_html(make_batch(), rows=5)
    assert "12 requested" in out and "<b>8</b> fetched" in out and "3</b> failed" in out
    assert "1 pending" in out
    # error summary: one row per kind, with its count and first example
    assert re.search(r"not_found</td><td class='fk-num'>2<", out)
    assert re.search(r"server</td><td class='fk-num'>1<", out)
    assert "&lt;html&gt;bad gateway&lt;/html&gt;" in out
    assert "<script" not in out and "<img" not in out and "<html>" not in out
    assert "b&amp;b" not in out  # only the first example per kind is shown
    assert "First 5 of 8 fulfillments" in out
    assert out.count("<code>id-") == 5


def test_batch_text() -> None:
    text = batch_text(make_batch(), rows=2)
    assert text.splitlines()[0] == "BatchResult: 12 requested, 8 fetched, 3 failed, 1 pending"
    assert "errors by kind: not_found 2, server 1" in text
    assert "... and 1 more" in text
    ok = BatchResult(fulfillments=[fk.Fulfillment(id="a")], errors=[])
    assert batch_text(ok) == "BatchResult: 1 requested, 1 fetched, 0 failed"
    assert "fk-bad'>" not in batch_html(ok)


def hostile_report() -> pd.DataFrame:
    table = DEFAULT_CARRIERS.with_rules((SCRIPT, [r"evil"]), ("A & \"B\" 'C'", [r"quoted"]))
    df = to_frame(
        [
            {"id": "1", "carrier": "evil", "tracking_numbers": ["x"], "created_at": "2024-01-01"},
            {"id": "2", "carrier": "quoted", "tracking_numbers": None},
        ]
    )
    return carrier_report(df, table=table)


def test_report_html_escapes_carrier_names_and_formats() -> None:
    report = hostile_report()
    assert SCRIPT in report.index  # the report itself keeps the real name
    out = report_html(report)
    assert "<script" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "A &amp; &quot;B&quot; &#x27;C&#x27;" in out
    assert "100.0%" in out and "0.0%" in out and "2024-01-01 00:00" in out
    assert "(2 fulfillments, 2 carriers)" in out


def test_pandas_own_repr_of_the_report_escapes_too() -> None:
    """The report stays a DataFrame; its default notebook display must be safe as well."""
    out = getattr(hostile_report(), "_repr_html_")()  # noqa: B009 - untyped in the stubs
    assert out is not None
    assert "<script" not in out and "&lt;script&gt;" in out


def test_display_report_view() -> None:
    report = hostile_report()
    view = display_report(report)
    assert isinstance(view, ReportView)
    assert view._repr_html_() == report_html(report)
    assert repr(view) == format_carrier_report(report)


def test_empty_report() -> None:
    out = report_html(carrier_report(to_frame([])))
    assert "(0 fulfillments, 0 carriers)" in out


@pytest.mark.parametrize("value", HOSTILE)
def test_every_hostile_value_in_every_place(value: str) -> None:
    f = fk.Fulfillment.model_validate(
        {
            "id": value,
            "remote_id": value,
            "order_id": value,
            "carrier": value,
            "tracking_numbers": [value],
            "tracking_urls": [value],
            "field_mappings": {value: value},
        }
    )
    batch = BatchResult(fulfillments=[f], errors=[FetchError(value, "server", 500, value, 1)])
    for out in (fulfillment_html(f), batch_html(batch)):
        assert value not in out
        assert "<script" not in out and "<img" not in out
