"""The notebook displays (a batch, the carrier report): what they show, and that every API
value is escaped. A record's own repr is tested in tests/test_models_repr.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pandas as pd
import pytest

import fulfillkit as fk
from fulfillkit.carriers import DEFAULT_CARRIERS
from fulfillkit.errors import FailedId
from fulfillkit.fetch.results import BatchResult, batch_html, batch_text
from fulfillkit.frames import to_frame
from fulfillkit.notebook import display
from fulfillkit.notebook.display import (
    ReportView,
    carrier_report_html,
    display_report,
)
from fulfillkit.reports import carrier_report, format_carrier_report

SCRIPT = "<script>alert(1)</script>"
HOSTILE = [SCRIPT, "<img src=x onerror=alert(1)>", "a & b", "quote\" and 'single'"]


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
        FailedId(SCRIPT, "not_found", 500, f"Fulfillment with ID {SCRIPT} not found.", 1),
        FailedId("b&b", "not_found", 500, "gone", 1),
        FailedId("c", "server", 503, "<html>bad gateway</html>", 4),
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


def test_carrier_report_html_escapes_carrier_names_and_formats() -> None:
    report = hostile_report()
    assert SCRIPT in report.index  # the report itself keeps the real name
    out = carrier_report_html(report)
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
    assert view._repr_html_() == carrier_report_html(report)
    assert repr(view) == format_carrier_report(report)


def test_empty_report() -> None:
    out = carrier_report_html(carrier_report(to_frame([])))
    assert "(0 fulfillments, 0 carriers)" in out


def test_the_old_name_of_carrier_report_html_warns_and_still_works() -> None:
    report = carrier_report(to_frame([{"id": "a", "carrier": "UPS"}]))
    with pytest.warns(DeprecationWarning, match="carrier_report_html"):
        old = display.report_html
    assert old is carrier_report_html and old(report) == carrier_report_html(report)
    assert "report_html" not in display.__all__
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        display.nonsense  # noqa: B018


@pytest.mark.parametrize("value", HOSTILE)
def test_every_hostile_value_in_a_batch(value: str) -> None:
    f = fk.Fulfillment(id=value, order_id=value, carrier=value, tracking_numbers=[value])
    error = FailedId(value, "server", 500, value, 1)
    out = batch_html(BatchResult(fulfillments=[f], errors=[error]))
    assert value not in out
    assert "<script" not in out and "<img" not in out
