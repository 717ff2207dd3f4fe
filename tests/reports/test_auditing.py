"""The data audit: every rule on hand-built records, positive and negative, plus the
table's switches, the summary, and sandbox data against plain Python counts."""

from __future__ import annotations

import random
from typing import Any

import pandas as pd
import pytest

import fulfillkit as fk
from fulfillkit.errors import InvalidDataError
from fulfillkit.frames import to_frame
from fulfillkit.models import Fulfillment
from fulfillkit.reports.auditing import (
    FINDINGS_SCHEMA,
    RULES,
    RuleNotRunWarning,
    audit,
    audit_summary,
    rule_names,
)
from fulfillkit.sandbox.tracking import make_fedex_express, make_ups, make_usps_impb

NOW = "2025-03-01T12:00:00Z"
UPS = "1Z999AA10123456784"  # valid check digit
UPS_TYPO = "1Z999AA10123456785"  # the same, last digit wrong
IMPB = "9400111201080805483016"  # USPS IMpb, valid
S10_GB = "RR123456785GB"  # Royal Mail, valid
S10_GB_TYPO = "RR123456784GB"


def rec(id: str = "f1", **fields: Any) -> dict[str, Any]:
    """A tidy fulfillment that breaks no rule; ``fields`` break the one under test."""
    base: dict[str, Any] = {
        "id": id,
        "order_id": f"order-{id}",
        "carrier": "UPS",
        "tracking_numbers": [UPS],
        "tracking_urls": [f"https://www.ups.com/track?tracknum={UPS}"],
        "created_at": "2025-02-01T10:00:00.000Z",
        "modified_at": "2025-02-01T11:00:00.000Z",
    }
    return {**base, **fields}


def run(records: list[dict[str, Any]], rule: str, **kwargs: Any) -> pd.DataFrame:
    """The findings of one rule, on the frame of ``records``."""
    frame = to_frame(records, remote_data=any("remote_data" in r for r in records))
    return audit(frame, rules=[rule], now=NOW, **kwargs)


NEEDS_MORE = {  # rules a plain frame (no orders, no remote data) cannot run, and why
    "unparseable_timestamp": "needs the records",
    "created_before_order": "needs orders joined",
    "slow_fulfillment": "needs orders joined",
    "shipment_failed": "needs remote data",
    "untracked_too_long": "needs remote data",
}


def test_a_tidy_record_breaks_no_rule() -> None:
    findings = audit(to_frame([rec()]), now=NOW)
    assert findings.empty, findings
    assert list(findings.columns) == list(FINDINGS_SCHEMA)
    assert findings.attrs["rules"] == [r for r in rule_names() if r not in NEEDS_MORE]
    assert list(findings.attrs["not_run"]) == [r for r in rule_names() if r in NEEDS_MORE]
    for rule, reason in findings.attrs["not_run"].items():
        assert reason.startswith(NEEDS_MORE[rule]), (rule, reason)
    assert findings.attrs["parameters"]["untracked_days"] == 7


def test_no_tracking() -> None:
    found = run([rec("a", tracking_numbers=[], tracking_urls=[]), rec("b")], "no_tracking")
    assert found["id"].tolist() == ["a"]
    assert found["severity"].tolist() == ["warning"]
    assert found["tracking_number"].isna().all()
    # Blank text is no number either.
    assert run([rec("c", tracking_numbers=["  "])], "no_tracking")["id"].tolist() == ["c"]


def test_no_tracking_url_only_when_none_can_be_derived() -> None:
    records = [
        rec("evri", carrier="Evri", tracking_numbers=["H01ABC123"], tracking_urls=[]),
        rec("ups", tracking_urls=[]),  # UPS has a tracking page: derivable
        rec("blank", carrier=None, tracking_numbers=[UPS], tracking_urls=None),  # detected
        rec("given", carrier="Evri", tracking_numbers=["H1"], tracking_urls=["https://evri/H1"]),
    ]
    found = run(records, "no_tracking_url")
    assert found["id"].tolist() == ["evri"]
    assert found["tracking_number"].tolist() == ["H01ABC123"]


def test_bad_check_digit_names_the_right_digit() -> None:
    records = [
        rec("typo", tracking_numbers=[UPS_TYPO], tracking_urls=[]),
        rec("ok"),
        rec("s10", carrier="Royal Mail", tracking_numbers=[S10_GB_TYPO], tracking_urls=[]),
        rec("s10ok", carrier="Royal Mail", tracking_numbers=[S10_GB], tracking_urls=[]),
    ]
    found = run(records, "bad_check_digit")
    assert found["id"].tolist() == ["typo", "s10"]
    assert found["detail"].tolist() == [
        "the check digit is wrong for a UPS number (it would be 4)",
        "the check digit is wrong for a Royal Mail number (it would be 5)",
    ]
    assert (found["severity"] == "error").all()


@pytest.mark.parametrize("seed", range(5))
def test_every_single_digit_typo_in_the_check_position_is_caught(seed: int) -> None:
    rng = random.Random(seed)
    for carrier, make in (
        ("UPS", make_ups),
        ("FedEx", make_fedex_express),
        ("USPS", make_usps_impb),
    ):
        good = make(rng)
        bad = good[:-1] + str((int(good[-1]) + 1 + rng.randrange(9)) % 10)
        found = run(
            [rec("x", carrier=carrier, tracking_numbers=[bad], tracking_urls=[])], "bad_check_digit"
        )
        assert found["id"].tolist() == ["x"], (carrier, good, bad)
        assert found["detail"][0].endswith(f"(it would be {good[-1]})")


def test_unknown_format_and_unrecognised_number() -> None:
    records = [
        rec("ups", tracking_numbers=["ABC-123"], tracking_urls=[]),
        rec("evri", carrier="Evri", tracking_numbers=["ABC-123"], tracking_urls=[]),
        rec("none", carrier=None, tracking_numbers=["ABC-123"], tracking_urls=[]),
        rec("typo", tracking_numbers=[UPS_TYPO], tracking_urls=[]),  # a typo, not a format
        rec("ok"),
    ]
    assert run(records, "unknown_format")["id"].tolist() == ["ups"]
    assert run(records, "unrecognised_number")["id"].tolist() == ["evri", "none"]


def test_carrier_mismatch_respects_compatible_networks() -> None:
    records = [
        rec("wrong", carrier="FedEx", tracking_numbers=[UPS], tracking_urls=[]),
        rec("impb", carrier="FedEx", tracking_numbers=[IMPB], tracking_urls=[]),  # SmartPost
        rec("ok"),
        rec("unknown", carrier="Acme", tracking_numbers=[UPS], tracking_urls=[]),
    ]
    found = run(records, "carrier_mismatch")
    assert found["id"].tolist() == ["wrong"]
    assert found["detail"][0] == "stated FedEx, but the number is a UPS number"


def test_reused_label_across_orders() -> None:
    """A label printed once and pasted into two orders (spelt differently the second
    time), next to a split shipment that legitimately repeats it within one order."""
    records = [
        rec("f1", order_id="o-100", tracking_numbers=[UPS]),
        rec("f2", order_id="o-200", tracking_numbers=["1z 999 aa1 0123456784"], tracking_urls=[]),
        rec("f3", order_id="o-300", tracking_numbers=[IMPB], carrier="USPS", tracking_urls=[]),
        rec("f4", order_id="o-300", tracking_numbers=[IMPB], carrier="USPS", tracking_urls=[]),
        rec("f5", order_id=None, tracking_numbers=[IMPB], carrier="USPS", tracking_urls=[]),
    ]
    found = run(records, "reused_label")
    assert sorted(found["id"]) == ["f1", "f2"]
    assert set(found["detail"]) == {"the same number is on 2 different orders"}
    assert found["tracking_number"].tolist() == [UPS, "1z 999 aa1 0123456784"]
    assert (found["severity"] == "error").all()


def test_duplicate_number_within_one_fulfillment() -> None:
    records = [
        rec("twice", tracking_numbers=[UPS, UPS], tracking_urls=[]),
        rec("two", tracking_numbers=[UPS, IMPB], tracking_urls=[], order_id="order-twice"),
    ]
    found = run(records, "duplicate_number")
    assert found["id"].tolist() == ["twice"]  # once: the second position
    assert len(found) == 1


def test_url_missing_number() -> None:
    records = [
        rec("other", tracking_urls=["https://www.ups.com/track?tracknum=1Z999AA10123456799"]),
        rec("spaced", tracking_numbers=["1Z 999 AA1 0123456784"]),  # URL has it unspaced
        rec(
            "encoded", tracking_numbers=[UPS], tracking_urls=[f"https://x/?n={UPS[:9]}%20{UPS[9:]}"]
        ),
        rec("ok"),
    ]
    assert run(records, "url_missing_number")["id"].tolist() == ["other"]


def test_url_other_carrier() -> None:
    records = [
        rec("fedex", tracking_urls=[f"https://www.fedex.com/fedextrack/?trknbr={UPS}"]),
        rec("ok"),
        rec(
            "dp",
            carrier="Deutsche Post",
            tracking_numbers=["RR123456785DE"],
            tracking_urls=["https://www.dhl.com/track?id=RR123456785DE"],
        ),
        rec("shop", tracking_urls=[f"https://shop.example/track/{UPS}"]),
    ]
    found = run(records, "url_other_carrier")
    assert found["id"].tolist() == ["fedex"]
    assert found["detail"][0] == "the tracking URL is FedEx's, the carrier is UPS"


def test_derived_urls_are_not_checked_as_the_records_own() -> None:
    # No URL was sent: to_frame may derive one, but the URL rules look at the source.
    records = [rec("a", tracking_urls=[])]
    frame = to_frame(records)
    assert audit(frame, rules=["url_missing_number", "url_other_carrier"], now=NOW).empty


def test_timestamps() -> None:
    records = [
        rec("back", created_at="2025-02-02T00:00:00Z", modified_at="2025-02-01T00:00:00Z"),
        rec("future", created_at="2025-03-02T00:00:00Z", modified_at="2025-03-02T00:00:00Z"),
        rec("skew", modified_at="2025-03-01T12:03:00Z"),  # within the clock-skew tolerance
        rec("none", created_at=None),
        rec("ok"),
    ]
    assert run(records, "modified_before_created")["id"].tolist() == ["back"]
    future = run(records, "future_timestamp")
    assert future["id"].tolist() == ["future"]
    assert future["detail"][0] == "created_at and modified_at are in the future"
    missing = run(records, "missing_timestamp")
    assert missing["id"].tolist() == ["none"]
    assert missing["detail"][0] == "no created_at"


def test_unparseable_timestamps_need_the_records() -> None:
    records = [rec("bad", created_at="yesterday-ish"), rec("ok")]
    with pytest.warns(fk.UnparsedTimestampWarning):
        frame = to_frame(records)
    # From records (dicts or Fulfillment objects) they are told apart from missing ones...
    for source in (records, [Fulfillment.model_validate(r) for r in records]):
        found = audit(source, rules=["unparseable_timestamp", "missing_timestamp"], now=NOW)
        assert found[["id", "rule"]].values.tolist() == [["bad", "unparseable_timestamp"]]
    # ... in a frame the text is gone: it is only missing.
    with pytest.warns(RuleNotRunWarning, match="unparseable_timestamp not run: needs the records"):
        found = audit(frame, rules=["unparseable_timestamp", "missing_timestamp"], now=NOW)
    assert found[["id", "rule"]].values.tolist() == [["bad", "missing_timestamp"]]
    assert list(found.attrs["not_run"]) == ["unparseable_timestamp"]


def test_no_order() -> None:
    found = run([rec("a", order_id=None), rec("b", order_id="  "), rec("c")], "no_order")
    assert found["id"].tolist() == ["a", "b"]


def test_order_rules_with_joined_orders() -> None:
    records = [
        rec("early", order_id="o1", created_at="2025-01-01T00:00:00Z"),
        rec("slow", order_id="o2", created_at="2025-01-20T00:00:00Z"),
        rec("fine", order_id="o3", created_at="2025-01-02T12:00:00Z"),
        rec("orphan", order_id="o9", created_at="2025-01-02T12:00:00Z"),
    ]
    orders = [
        {"id": f"o{i}", "created_at": "2025-01-02T00:00:00Z", "total_price": 10} for i in (1, 2, 3)
    ]
    joined = fk.join_orders(to_frame(records), orders)
    found = audit(joined, rules=["created_before_order", "slow_fulfillment"], max_lag="3D", now=NOW)
    assert found[["id", "rule"]].values.tolist() == [
        ["early", "created_before_order"],
        ["slow", "slow_fulfillment"],
    ]
    assert found["detail"][1] == "created 432.0 h after its order (limit 72.0 h)"
    assert found.attrs["not_run"] == {}
    # Without max_lag, or without the order columns, the order rules do not run, and say so.
    with pytest.warns(RuleNotRunWarning, match="needs max_lag"):
        lagless = audit(joined, rules=["slow_fulfillment"], now=NOW)
    assert lagless.empty and lagless.attrs["rules"] == []
    assert lagless.attrs["not_run"]["slow_fulfillment"].startswith("needs max_lag")
    with pytest.warns(RuleNotRunWarning, match="created_before_order not run: needs orders"):
        plain = audit(to_frame(records), rules=["created_before_order"], now=NOW)
    assert "join_orders" in plain.attrs["not_run"]["created_before_order"]
    # max_lag given, orders not joined, the rule not named: still a warning.
    with pytest.warns(RuleNotRunWarning, match="slow_fulfillment not run: needs orders joined"):
        audit(to_frame(records), max_lag="3D", now=NOW)


def test_remote_data_rules() -> None:
    records = [
        rec("failed", remote_data={"shipment_status": "failure"}),
        rec("attempt", remote_data={"shipment_status": "attempted_delivery"}),
        rec("late", tracking_numbers=[], tracking_urls=[], remote_data={"status": "success"}),
        rec(
            "recent",
            tracking_numbers=[],
            tracking_urls=[],
            created_at="2025-02-27T00:00:00Z",
            remote_data={},
        ),
        rec("ok", remote_data={"shipment_status": "delivered"}),
    ]
    assert run(records, "shipment_failed")["id"].tolist() == ["failed", "attempt"]
    late = run(records, "untracked_too_long")
    assert late["id"].tolist() == ["late"]
    assert late["detail"][0] == "still no tracking number 28 days after it was created"
    assert run(records, "untracked_too_long", untracked_days=1)["id"].tolist() == ["late", "recent"]
    # Without remote data there is no shipment_status: neither rule runs, and both say why.
    plain = [{k: v for k, v in r.items() if k != "remote_data"} for r in records]
    with pytest.warns(RuleNotRunWarning):
        found = audit(to_frame(plain), rules=["shipment_failed", "untracked_too_long"], now=NOW)
    assert found.empty and found.attrs["rules"] == []
    assert set(found.attrs["not_run"]) == {"shipment_failed", "untracked_too_long"}
    assert all("remote_data=True" in r for r in found.attrs["not_run"].values())


def test_a_cancelled_or_closed_shipment_is_not_untracked_too_long() -> None:
    """Nothing will ever ship for a cancelled fulfillment (Shopify's own status, whatever
    its shipment status says), nor is a number due once delivered."""
    untracked: dict[str, Any] = {"tracking_numbers": [], "tracking_urls": []}
    records = [
        rec("cancelled", **untracked, remote_data={"status": "cancelled"}),
        rec(
            "cancelled-label",
            **untracked,
            remote_data={"status": "Cancelled", "shipment_status": "label_printed"},
        ),
        rec("errored", **untracked, remote_data={"status": "error", "shipment_status": None}),
        rec(
            "failed-request",
            **untracked,
            remote_data={"status": "failure", "shipment_status": "confirmed"},
        ),
        rec("delivered", **untracked, remote_data={"shipment_status": "delivered"}),
        rec("open", **untracked, remote_data={"status": "open", "shipment_status": "confirmed"}),
        rec("pending", **untracked, remote_data={"status": "pending"}),
        rec(
            "nested",
            **untracked,
            remote_data={"status": "success", "line_items": [{"status": "cancelled"}]},
        ),
    ]
    frame = to_frame(records)
    assert frame["shipment_status"].tolist()[:2] == ["cancelled", "label_printed"]
    found = audit(frame, rules=["untracked_too_long"], now=NOW)
    assert found["id"].tolist() == ["open", "pending", "nested"]
    # The same from the records, and after a CSV round trip of the frame.
    assert audit(records, rules=["untracked_too_long"], now=NOW)["id"].tolist() == [
        "open",
        "pending",
        "nested",
    ]


def test_rules_are_switchable_and_checked() -> None:
    records = [rec("a", order_id=None, tracking_numbers=[], tracking_urls=[])]
    frame = to_frame(records)
    assert set(audit(frame, now=NOW)["rule"]) == {"no_tracking", "no_order"}
    assert set(audit(frame, exclude=["no_order"], now=NOW)["rule"]) == {"no_tracking"}
    assert audit(frame, rules=["no_order"], now=NOW).attrs["rules"] == ["no_order"]
    with pytest.raises(ValueError, match="unknown audit rule"):
        audit(frame, rules=["no_such_rule"])
    with pytest.raises(InvalidDataError, match="explode=False"):
        audit(to_frame(records, explode=False))
    with pytest.raises(ValueError, match="list of rule names"):
        audit(frame, rules="no_order")
    with pytest.raises(ValueError, match="rule names"):
        audit(frame, exclude=[1])  # type: ignore[list-item]
    assert [r.name for r in RULES] == rule_names()
    assert all(r.severity in ("error", "warning", "info") and r.description for r in RULES)


def test_findings_are_sorted_by_severity_and_input_is_untouched() -> None:
    records = [
        rec("a", order_id=None),
        rec("b", tracking_numbers=[UPS_TYPO], tracking_urls=[]),
        rec("c", carrier="Evri", tracking_numbers=["X1"], tracking_urls=[]),
    ]
    frame = to_frame(records)
    before = frame.copy(deep=True)
    findings = audit(pd.concat([frame, frame]), now=NOW)  # pages read twice count once
    pd.testing.assert_frame_equal(frame, before)
    assert findings["severity"].tolist() == ["error", "warning", "info", "info"]
    assert findings["rule"].tolist() == [
        "bad_check_digit",
        "no_order",
        "no_tracking_url",
        "unrecognised_number",
    ]
    assert findings.dtypes.to_dict() == dict(FINDINGS_SCHEMA)


def test_carrier_of_a_finding_is_the_effective_one() -> None:
    records = [rec("a", carrier=None, order_id=None, tracking_urls=[])]
    assert audit(to_frame(records), rules=["no_order"], now=NOW)["carrier"].tolist() == ["UPS"]


def test_summary_counts_by_rule_carrier_and_severity() -> None:
    records = [
        rec("a", order_id=None),
        rec(
            "b",
            order_id=None,
            carrier="Evri",
            tracking_numbers=["X"],
            tracking_urls=["https://e/X"],
        ),
        rec("c", tracking_numbers=[UPS_TYPO, UPS_TYPO], tracking_urls=[]),
    ]
    findings = audit(
        to_frame(records), now=NOW, rules=["no_order", "bad_check_digit", "reused_label"]
    )
    summary = audit_summary(findings)
    assert summary.index.names == ["severity", "rule"]
    row = ("warning", "no_order")
    columns = ("findings", "fulfillments", "UPS", "Evri")
    assert [summary[c][row] for c in columns] == [2, 2, 1, 1]
    row = ("error", "bad_check_digit")
    assert [summary["findings"][row], summary["fulfillments"][row]] == [2, 1]
    assert summary.loc[("error", "reused_label"), "findings"] == 0  # ran, found nothing
    assert list(summary.columns) == ["status", "findings", "fulfillments", "UPS", "Evri", "reason"]
    assert set(summary["status"]) == {"ran"} and summary["reason"].isna().all()
    by_severity = summary.groupby(level="severity", sort=False)["findings"].sum()
    assert by_severity.to_dict() == {"error": 2, "warning": 2}


def test_sandbox_data_against_plain_python_counts() -> None:
    from fulfillkit.sandbox import make_dataset

    records = make_dataset(400, seed=9).fulfillments
    findings = audit(records, now="2030-01-01T00:00:00Z")
    untracked = {
        r["id"] for r in records if not any(n and n.strip() for n in r["tracking_numbers"] or [])
    }
    assert set(findings.loc[findings["rule"] == "no_tracking", "id"]) == untracked
    no_order = {r["id"] for r in records if not r.get("order_id")}
    assert set(findings.loc[findings["rule"] == "no_order", "id"]) == no_order
    # The sandbox prints valid check digits and never reuses a label.
    assert not {"bad_check_digit", "reused_label", "future_timestamp"} & set(findings["rule"])


def test_batch_audit(make_client: Any, app: Any, dataset: Any) -> None:
    """batch.audit() on records fetched over HTTP equals the audit of their frame."""
    client = make_client(app)
    batch = client.get_many(dataset.fulfillment_ids[:40], progress=False)
    findings = batch.audit(now=NOW)
    assert set(findings["id"]) <= {f.id for f in batch}
    # Records: unparseable timestamps can be told apart; no remote data, no orders.
    assert findings.attrs["not_run"].keys() == NEEDS_MORE.keys() - {"unparseable_timestamp"}
    pd.testing.assert_frame_equal(findings, audit(batch.to_frame(), now=NOW))
    # fk.audit(batch) audits the batch's records, as batch.audit() does.
    pd.testing.assert_frame_equal(fk.audit(batch, now=NOW), findings)
    assert fk.audit(batch, now=NOW).attrs == findings.attrs


def test_the_documented_table_is_the_rule_table() -> None:
    import sys

    doc = sys.modules["fulfillkit.reports.auditing"].__doc__ or ""
    documented = [line.split()[:2] for line in doc.splitlines() if line.startswith("``")]
    assert documented == [[f"``{r.name}``", r.severity] for r in RULES]


def test_a_number_cut_by_an_encoded_space_is_missing_from_its_url() -> None:
    """ "%20" is dropped from the URL before looking: "20AB" is in ".../%20AB" as
    written, not once the encoded space is gone."""
    records = [
        rec("cut", carrier="Evri", tracking_numbers=["20AB"], tracking_urls=["https://x/%20AB"]),
        rec("kept", carrier="Evri", tracking_numbers=["20AB"], tracking_urls=["https://x/%2020AB"]),
        rec(
            "split",
            carrier="Evri",
            tracking_numbers=["H1-23"],
            tracking_urls=["https://x/h%2012-3"],
        ),
    ]
    assert run(records, "url_missing_number")["id"].tolist() == ["cut"]


def _chunked(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every ``string[pyarrow]`` column split into three Arrow chunks."""
    import pyarrow as pa

    out = frame.copy()
    for name, column in frame.items():
        if column.dtype == pd.StringDtype("pyarrow"):
            array = pa.array(column.array)
            if isinstance(array, pa.ChunkedArray):
                array = array.combine_chunks()
            third = len(array) // 3
            parts = [array.slice(0, third), array.slice(third, third), array.slice(2 * third)]
            chunked = pd.arrays.ArrowStringArray(pa.chunked_array(parts))
            out[name] = pd.Series(chunked, index=frame.index)
    return out


def _varied_records() -> list[dict[str, Any]]:
    from fulfillkit.sandbox import make_dataset

    records = []
    for i, record in enumerate(make_dataset(300, seed=4).fulfillments):
        record = dict(record)
        if i % 7 == 0:
            record["id"] = None  # no id: fulfillments told apart by their rows
        if i % 7 == 1:
            record["id"] = f" {record['id']} "  # spaces the audit strips
        if i % 7 == 2:
            record["carrier"] = None  # vague: the number's carrier is taken
        if i % 7 == 3:
            record["tracking_numbers"] = ["X1", UPS_TYPO, UPS]  # the first detectable counts
            record["carrier"] = "Other"
        if i % 7 == 4:
            record["tracking_numbers"] = [UPS, UPS]
            record["order_id"] = "shared"
        records.append(record)
    return records


def test_findings_do_not_depend_on_how_arrow_chunks_the_columns() -> None:
    import pyarrow as pa

    frame = to_frame(_varied_records(), remote_data=True)
    chunked = _chunked(frame)
    assert pa.array(chunked["tracking_number"].array).num_chunks == 3
    plain = audit(frame, now=NOW)
    assert len(plain) > 50
    pd.testing.assert_frame_equal(audit(chunked, now=NOW), plain)


def test_the_carrier_of_findings_is_fulfillment_labels() -> None:
    """Findings carry the carrier carrier_report counts the fulfillment under
    (fulfillment_labels, effective), whatever its ids and stated carriers look like."""
    from fulfillkit.frames import first_positions
    from fulfillkit.reports.carriers import fulfillment_labels

    records = [{**record, "order_id": None} for record in _varied_records()]
    frame = to_frame(records, remote_data=True)
    found = audit(frame, rules=["no_order"], now=NOW)  # once per fulfillment, first row
    first = first_positions(frame)
    expected = fulfillment_labels(frame)[first]
    assert len(found) == len(expected) == len(records)
    assert found["carrier"].tolist() == expected.tolist()
    assert {"UPS", "Unknown"} <= set(expected)
