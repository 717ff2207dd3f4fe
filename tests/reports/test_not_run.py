"""Nothing silent: an audit rule that cannot run on the data is reported as not run, with
what it needs, in the findings' attrs, the summary and the HTML report; every rule's
description and details show the parameters' values, never a placeholder."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import fulfillkit as fk
from fulfillkit.reports.auditing import RULES, RULES_BY_NAME, SUMMARY_COLUMNS, audit, audit_summary
from fulfillkit.reports.auditing.rules import ORDERS, Given, unmet
from fulfillkit.reports.html import render_report
from fulfillkit.sandbox import make_dataset

NOW = "2030-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def dataset() -> Any:
    return make_dataset(150, seed=21)


@pytest.fixture(scope="module")
def plain(dataset: Any) -> pd.DataFrame:
    """No remote data (nothing in the records carries it), no orders."""
    records = [{k: v for k, v in r.items() if k != "remote_data"} for r in dataset.fulfillments]
    return fk.to_frame(records)


@pytest.fixture(scope="module")
def full(dataset: Any) -> pd.DataFrame:
    """Remote data and the orders joined."""
    frame = fk.to_frame(dataset.fulfillments, remote_data=True)
    return fk.join_orders(frame, fk.orders_frame(dataset.orders))


def test_every_rule_declares_what_it_needs_and_runs_when_it_has_it(full: pd.DataFrame) -> None:
    found = audit(full, now=NOW, max_lag="2D")
    # A frame, not records: only the unparseable-timestamp rule cannot run.
    assert list(found.attrs["not_run"]) == ["unparseable_timestamp"]
    assert found.attrs["rules"] == [r.name for r in RULES if r.name != "unparseable_timestamp"]
    assert {"slow_fulfillment", "shipment_failed", "untracked_too_long"} <= set(found["rule"])


def test_rules_that_cannot_run_say_what_they_need(plain: pd.DataFrame) -> None:
    found = audit(plain, now=NOW)
    not_run = found.attrs["not_run"]
    assert set(not_run) == {
        "unparseable_timestamp",
        "created_before_order",
        "slow_fulfillment",
        "shipment_failed",
        "untracked_too_long",
    }
    assert "fk.join_orders" in not_run["created_before_order"]
    assert "--orders FILE" in not_run["created_before_order"]
    assert "remote_data=True" in not_run["shipment_failed"]
    assert "needs max_lag" in not_run["slow_fulfillment"]  # both needs named
    assert "needs orders joined" in not_run["slow_fulfillment"]
    assert not set(not_run) & set(found["rule"])
    assert not set(not_run) & set(found.attrs["rules"])


def test_a_rule_that_can_run_on_what_it_has_runs(plain: pd.DataFrame) -> None:
    """A missing column only stops the rules that read it."""
    frame = plain.drop(columns=["tracking_url", "order_id", "carrier_mismatch"])
    found = audit(frame, now=NOW)
    not_run = found.attrs["not_run"]
    for rule in ("no_tracking_url", "url_missing_number", "url_other_carrier"):
        assert not_run[rule] == "needs the column tracking_url: every to_frame() frame has it"
    assert not_run["reused_label"].startswith("needs the column order_id")
    assert not_run["no_order"].startswith("needs the column order_id")
    assert not_run["carrier_mismatch"].startswith("needs the column carrier_mismatch")
    for rule in ("no_tracking", "bad_check_digit", "duplicate_number", "missing_timestamp"):
        assert rule in found.attrs["rules"]
    # Orders joined but no max_lag: created_before_order runs, slow_fulfillment does not.
    orders = [{"id": o, "created_at": "2020-01-01T00:00:00Z"} for o in plain["order_id"].dropna()]
    joined = audit(fk.join_orders(plain, orders), now=NOW)
    assert "created_before_order" in joined.attrs["rules"]
    assert joined.attrs["not_run"]["slow_fulfillment"].startswith("needs max_lag")


def test_the_requirements_table() -> None:
    given = Given(columns=frozenset({"order_created_at"}), records=False, parameters=frozenset())
    assert ORDERS.met(given)
    assert unmet(RULES_BY_NAME["created_before_order"], given) == [
        "needs the column created_at: every to_frame() frame has it"
    ]
    everything = Given(
        columns=frozenset({"order_created_at", "created_at", "shipment_status"}),
        records=True,
        parameters=frozenset({"max_lag"}),
    )
    for name in ("slow_fulfillment", "untracked_too_long", "unparseable_timestamp"):
        assert unmet(RULES_BY_NAME[name], everything) == []


def test_the_summary_has_a_row_per_rule_with_its_status(plain: pd.DataFrame) -> None:
    found = audit(plain, now=NOW)
    summary = audit_summary(found)
    assert (
        list(summary.columns[:3]) == list(SUMMARY_COLUMNS) == ["status", "findings", "fulfillments"]
    )
    assert summary.columns[-1] == "reason"
    carriers = list(summary.columns[3:-1])
    assert carriers and set(carriers) == set(found["carrier"])
    assert len(summary) == len(RULES)  # every rule asked for: ran or not
    not_run = summary[summary["status"] == "not run"]
    assert set(not_run.index.get_level_values("rule")) == set(found.attrs["not_run"])
    # Not run is not zero: the counts are NA, the reason is there.
    assert not_run[["findings", "fulfillments", *carriers]].isna().all().all()
    assert not_run["reason"].notna().all()
    ran = summary[summary["status"] == "ran"]
    assert ran["reason"].isna().all() and ran["findings"].notna().all()
    assert int(ran["findings"].sum()) == len(found)
    # Ran first (worst severity first, most findings first), then the rules not run.
    assert list(summary["status"]) == ["ran"] * len(ran) + ["not run"] * len(not_run)
    severity = {"error": 0, "warning": 1, "info": 2}
    keys = [(severity[s], -n) for (s, _), n in zip(ran.index, ran["findings"], strict=True)]
    assert keys == sorted(keys)
    assert summary["findings"].dtype == "Int64"
    assert summary.attrs["not_run"] == found.attrs["not_run"]


def test_a_summary_of_findings_read_back_shows_the_rules_found(
    plain: pd.DataFrame, tmp_path: Path
) -> None:
    found = audit(plain, now=NOW)
    back = fk.read_frame(fk.export(found, tmp_path / "f.csv"))
    summary = audit_summary(back)  # no attrs: the rules in the file, all ran
    assert set(summary.index.get_level_values("rule")) == set(found["rule"])
    assert set(summary["status"]) == {"ran"}


def test_html_shows_the_rules_not_run_and_why(plain: pd.DataFrame) -> None:
    text = render_report(plain)
    section = text[text.index('<section id="audit">') :]
    assert "Rules not run" in section
    for rule, reason in audit(plain).attrs["not_run"].items():
        assert f"<code>{rule}</code>" in section
        assert reason.replace("'", "&#x27;").split(":")[0] in section
    assert "audit rules not run" in text  # the headline card


def test_html_renders_the_parameters_not_a_placeholder(full: pd.DataFrame) -> None:
    """Issue 20: the audit table said "... untracked_days after creation"."""
    text = render_report(full, findings=audit(full, now=NOW, untracked_days=10, max_lag="36h"))
    assert "No tracking number 10 days after creation" in text
    assert "Created more than 36 hours after its order" in text
    assert not re.search(r"\{\w+\}", text)
    assert "untracked_days" not in text and "max_lag" not in text
    # Audited on the spot, with the default.
    assert "No tracking number 7 days after creation" in render_report(full)


def test_every_description_and_detail_renders_its_parameters(full: pd.DataFrame) -> None:
    parameters = {"untracked_days": 3.5, "max_lag": "1 days 12:00:00", "now": NOW}
    assert "more than 5 minutes after now" in RULES_BY_NAME["future_timestamp"].describe()
    for rule in RULES:
        text = rule.describe(parameters)
        assert "{" not in text and "}" not in text, text
        assert "untracked_days" not in text and "max_lag" not in text, text
    found = audit(full, now=NOW, untracked_days=3.5, max_lag="36h")
    assert not found["detail"].str.contains(r"[{}]|untracked_days|max_lag", regex=True).any()
    slow = found.loc[found["rule"] == "slow_fulfillment", "detail"]
    assert len(slow) and slow.str.endswith("(limit 36.0 h)").all()
    late = found.loc[found["rule"] == "untracked_too_long", "detail"]
    assert (
        len(late)
        and late.str.fullmatch(r"still no tracking number \d+ days after it was created").all()
    )
    # Without the parameters (findings read back from a file), the parameter is named, in words.
    assert "untracked_days (default 7)" in RULES_BY_NAME["untracked_too_long"].describe()


def test_cancelled_shipments_are_not_untracked_in_the_sandbox(dataset: Any) -> None:
    """The sandbox draws Shopify's status (cancelled 4%) apart from the shipment status."""
    found = audit(dataset.fulfillments, now=NOW, rules=["untracked_too_long"])
    flagged = set(found["id"])
    cancelled = {
        r["id"]
        for r in dataset.fulfillments
        if (r.get("remote_data") or {}).get("status") in ("cancelled", "error", "failure")
    }
    assert cancelled, "the sample has cancelled fulfillments"
    assert not flagged & cancelled
    assert flagged  # the rule still finds the others
