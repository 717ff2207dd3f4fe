"""The one data rule across every public function of fulfillkit.reports that takes
fulfillments: a to_frame frame, a BatchResult, a list of Fulfillment models and a list of API
dicts give the same answer; anything else, or a frame without the columns a function needs,
raises InvalidDataError saying what to pass (never a raw TypeError, AttributeError or
KeyError); bad options raise a ValueError that names them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import fulfillkit as fk
from fulfillkit.errors import InvalidDataError
from fulfillkit.fetch.results import BatchResult
from fulfillkit.reports import (
    audit,
    audit_summary,
    carrier_labels,
    carrier_report,
    format_carrier_report,
    fulfillment_labels,
    plot_carriers,
    plot_timeline,
)
from fulfillkit.reports.html import render_report, report_html

NOW = "2030-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def batch() -> BatchResult:
    with fk.Client.sandbox(n=80, seed=5) as client:
        return client.get_many(client.sandbox_ids[:80], remote_data=True, progress=False)


def forms(batch: BatchResult) -> dict[str, Any]:
    """The four things a notebook user naturally holds, all of the same fulfillments."""
    return {
        "frame": batch.to_frame(),
        "batch": batch,
        "models": list(batch.fulfillments),
        "dicts": [f.model_dump(mode="json") for f in batch.fulfillments],
    }


def _timeline_counts(data: Any) -> list[float]:
    fig = plot_timeline(data, freq="MS")
    return [patch.get_height() for patch in fig.axes[0].patches]  # type: ignore[attr-defined]


def _carrier_bars(data: Any) -> list[float]:
    fig = plot_carriers(data)
    return [patch.get_width() for patch in fig.axes[0].patches]  # type: ignore[attr-defined]


# Each public function taking fulfillments, as a function of the data alone, with what
# makes its answer comparable across the four forms.
FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "carrier_report": carrier_report,
    "carrier_labels": lambda d: carrier_labels(d).reset_index(drop=True),
    "fulfillment_labels": lambda d: fulfillment_labels(d).reset_index(drop=True),
    "audit": lambda d: audit(d, now=NOW),
    # (unparseable_timestamp runs on records only: see the test below)
    "audit_summary": lambda d: audit_summary(d, now=NOW, exclude=["unparseable_timestamp"]),
    "plot_carriers": _carrier_bars,
    "plot_timeline": _timeline_counts,
    "render_report": lambda d: render_report(d, title="t").count("<tr"),
}


def _same(a: Any, b: Any) -> None:
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b)
    else:
        assert a == b


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_every_form_gives_the_same_answer(name: str, batch: BatchResult) -> None:
    function = FUNCTIONS[name]
    answers = {form: function(data) for form, data in forms(batch).items()}
    for answer in answers.values():
        _same(answer, answers["frame"])
    if name == "carrier_report":  # remote data went through every form: status shares
        assert "share_delivered" in answers["batch"]


def test_records_and_batches_can_tell_unparseable_timestamps(batch: BatchResult) -> None:
    """The one difference between the forms, by design: a frame keeps no timestamp text."""
    status = {
        form: audit_summary(data, now=NOW)["status"].xs("unparseable_timestamp", level="rule")
        for form, data in forms(batch).items()
    }
    assert {form: s.iloc[0] for form, s in status.items()} == {
        "frame": "not run",
        "batch": "ran",
        "models": "ran",
        "dicts": "ran",
    }


def test_a_generator_of_records_is_read_once(batch: BatchResult) -> None:
    expected = carrier_report(batch)
    _same(carrier_report(f for f in batch.fulfillments), expected)
    page = render_report((f for f in batch.fulfillments), title="t")
    assert page.count("<tr") == render_report(batch, title="t").count("<tr")
    summary = audit_summary((f for f in batch.fulfillments), now=NOW)
    assert int(summary["findings"].sum()) == len(audit(batch, now=NOW))


WRONG: dict[str, tuple[Any, str]] = {
    "path": ("fulfillments.parquet", "read a file with fk.read_frame"),
    "numbers": ([1, 2], "item 0 is 'int'"),
    "one record": ({"id": "a"}, "wrap it in a list"),
    "a column": (pd.Series(["a"], name="id"), "pass the whole frame"),
    "nothing": (None, "NoneType"),
    "a number": (5, "int"),
}


@pytest.mark.parametrize("wrong", list(WRONG))
@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_wrong_data_is_refused_saying_what_to_pass(name: str, wrong: str) -> None:
    data, hint = WRONG[wrong]
    with pytest.raises(InvalidDataError) as caught:
        FUNCTIONS[name](data)
    message = str(caught.value)
    assert "a to_frame() frame, a BatchResult" in message and hint in message, message
    expected_name = "report_html" if name == "render_report" else name
    assert message.startswith(expected_name), message


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_a_frame_without_the_columns_names_them(name: str) -> None:
    with pytest.raises(InvalidDataError, match=r"needs the columns? .*id") as caught:
        FUNCTIONS[name](pd.DataFrame())
    assert "which the frame lacks" in str(caught.value)
    assert "fk.read_frame" in str(caught.value)
    # One column short: only that one is named.
    frame = fk.to_frame([{"id": "a", "carrier": "UPS", "tracking_numbers": ["X"]}])
    with pytest.raises(
        InvalidDataError, match="needs the column carrier_canonical \\(or carrier\\)"
    ):
        FUNCTIONS[name](frame.drop(columns=["carrier", "carrier_canonical"]))


def test_the_audit_and_the_carrier_report_agree_on_an_empty_frame() -> None:
    """Issue 20: fk.audit(pd.DataFrame()) returned nothing where carrier_report explained."""
    for function in (audit, carrier_report, audit_summary):
        with pytest.raises(InvalidDataError, match="needs the columns id"):
            function(pd.DataFrame())
    # An empty to_frame frame has every column: nothing to report, and no error.
    empty = fk.to_frame([])
    assert audit(empty).empty and carrier_report(empty).empty
    assert list(audit_summary(empty)["status"].unique()) == ["ran", "not run"]


def test_the_plot_timeline_needs_created_at() -> None:
    frame = fk.to_frame([{"id": "a", "carrier": "UPS", "tracking_numbers": ["X"]}])
    assert carrier_report(frame.drop(columns=["created_at"]))["fulfillments"].tolist() == [1]
    with pytest.raises(InvalidDataError, match="plot_timeline needs the column created_at"):
        plot_timeline(frame.drop(columns=["created_at"]))


def test_format_carrier_report_takes_a_report() -> None:
    frame = fk.to_frame([{"id": "a", "carrier": "UPS"}])
    assert "UPS" in format_carrier_report(carrier_report(frame))
    for wrong in (frame, [1], None):
        with pytest.raises(InvalidDataError, match="takes the frame carrier_report"):
            format_carrier_report(wrong)  # type: ignore[arg-type]


def test_audit_summary_tells_findings_from_fulfillments(batch: BatchResult) -> None:
    findings = audit(batch, now=NOW)
    _same(audit_summary(findings), audit_summary(batch, now=NOW))
    with pytest.raises(ValueError, match="audit options, for fulfillments"):
        audit_summary(findings, now=NOW)
    with pytest.raises(InvalidDataError, match="lack the columns"):
        audit_summary(findings.drop(columns=["carrier"]))


def test_report_html_takes_findings_only_as_findings(batch: BatchResult) -> None:
    with pytest.raises(InvalidDataError, match=r"findings= takes the frame fk\.audit"):
        render_report(batch, findings=batch.to_frame())


# Wrong on purpose: the type checker would refuse these; a notebook does not.
BAD_OPTIONS: list[tuple[Callable[[pd.DataFrame], Any], str]] = [
    (lambda f: audit(f, now="yesterday-ish"), "now must be"),
    (lambda f: audit(f, max_lag="soon"), "max_lag must be"),
    (lambda f: audit(f, untracked_days=-1), "untracked_days must be"),
    (lambda f: audit(f, untracked_days="7"), "untracked_days must be"),  # type: ignore[arg-type]
    (lambda f: audit(f, rules=5), "list of rule names"),  # type: ignore[arg-type]
    (lambda f: audit(f, table="UPS"), "CarrierTable"),  # type: ignore[arg-type]
    (lambda f: carrier_report(f, table="UPS"), "CarrierTable"),  # type: ignore[arg-type]
    (lambda f: carrier_report(f, carrier="guessed"), "carrier must be"),  # type: ignore[arg-type]
    (lambda f: plot_timeline(f, freq="fortnightly"), "offset alias"),
    (lambda f: plot_timeline(f, freq=7), "offset alias"),  # type: ignore[arg-type]
    (lambda f: plot_carriers(f, top=0), "top must be"),
    (lambda f: render_report(f, title=5), "title must be text"),  # type: ignore[arg-type]
    (lambda f: render_report(f, worst=-1), "worst must be"),
    (lambda f: render_report(f, fetched_at="last week"), "fetched_at must be"),
    (lambda f: render_report(f, source=b"https://x"), "source must be text"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("call", "message"), BAD_OPTIONS)
def test_bad_options_are_value_errors_that_name_them(
    call: Callable[[pd.DataFrame], Any], message: str
) -> None:
    frame = fk.to_frame([{"id": "a", "carrier": "UPS", "tracking_numbers": ["X"]}])
    with pytest.raises(ValueError, match=message):
        call(frame)


def test_report_html_with_wrong_data_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    with pytest.raises(InvalidDataError, match="report_html takes"):
        report_html([1, 2], target)
    assert list(tmp_path.iterdir()) == []
