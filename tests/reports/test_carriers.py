"""The carrier report, against a table computed by hand (carrier names: tests/carriers)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from fulfillkit.carriers import DEFAULT_CARRIERS, canonical_carrier
from fulfillkit.frames import STRING, TIMESTAMP, export, read_frame, to_frame
from fulfillkit.reports import (
    REPORT_SCHEMA,
    STATUS_REPORT_SCHEMA,
    carrier_report,
    format_carrier_report,
)

# --- the report ----------------------------------------------------------------------------


def r(id: str | None, carrier: str | None, numbers: Any, urls: Any, created: Any) -> dict[str, Any]:
    return {
        "id": id,
        "carrier": carrier,
        "tracking_numbers": numbers,
        "tracking_urls": urls,
        "created_at": created,
    }


RECORDS = [
    r("a", "UPS", ["N1", "N2"], ["U1"], "2024-10-01T10:00:00Z"),
    r("b", "ups ", None, None, "2024-10-03T00:00:00Z"),
    r("c", "United Parcel Service", ["N3"], [], "2024-10-02T00:00:00Z"),
    r("d", "DHL Express", [], ["U2"], "2024-09-30T00:00:00Z"),
    r("e", "DHL eCommerce", ["N4", "N5", "N6"], ["U3", "U4", "U5"], "2024-10-05T00:00:00Z"),
    r("f", None, ["N7"], None, None),
    r("g", "Bob's Courier", [], [], "2024-10-04T00:00:00Z"),
    r("h", "other", ["N8", None], [], "2024-10-06T00:00:00Z"),
    r("i", "FedEx", [""], [], "2024-10-07T00:00:00Z"),
    r("j", "USPS", ["9400"], ["U6"], "garbage"),
]


def ts(text: str | None) -> Any:
    return pd.NaT if text is None else pd.Timestamp(text)


# Computed by hand from RECORDS: per carrier, fulfillments, tracking numbers (non-blank),
# share with >= 1 number, share with >= 1 URL, first and last created_at.
EXPECTED = [
    ("UPS", 3, 3, 2 / 3, 1 / 3, "2024-10-01T10:00:00Z", "2024-10-03T00:00:00Z"),
    ("DHL", 2, 3, 1 / 2, 2 / 2, "2024-09-30T00:00:00Z", "2024-10-05T00:00:00Z"),
    ("Unknown", 2, 1, 1 / 2, 0 / 2, "2024-10-04T00:00:00Z", "2024-10-04T00:00:00Z"),
    ("FedEx", 1, 0, 0.0, 0.0, "2024-10-07T00:00:00Z", "2024-10-07T00:00:00Z"),
    ("Other", 1, 1, 1.0, 0.0, "2024-10-06T00:00:00Z", "2024-10-06T00:00:00Z"),
    ("USPS", 1, 1, 1.0, 1.0, None, None),
]


def expected_report() -> pd.DataFrame:
    columns = list(zip(*EXPECTED, strict=True))
    return pd.DataFrame(
        {
            "fulfillments": pd.array(columns[1], dtype="Int64"),
            "tracking_number_count": pd.array(columns[2], dtype="Int64"),
            "share_with_tracking": pd.array(columns[3], dtype="Float64"),
            "share_with_url": pd.array(columns[4], dtype="Float64"),
            "first_created_at": pd.array([ts(t) for t in columns[5]], dtype=TIMESTAMP),
            "last_created_at": pd.array([ts(t) for t in columns[6]], dtype=TIMESTAMP),
        },
        index=pd.Index(columns[0], dtype=STRING, name="carrier"),
    )


@pytest.fixture
def frame() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # j's bad timestamp, tested in test_frame
        return to_frame(RECORDS)


@pytest.fixture
def wide() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return to_frame(RECORDS, explode=False)


def test_report_matches_the_hand_computed_table(frame: pd.DataFrame) -> None:
    assert len(frame) == 14  # exploded: the report must not count rows
    pd.testing.assert_frame_equal(carrier_report(frame), expected_report())


def test_report_on_a_wide_frame_is_the_same(wide: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(carrier_report(wide), expected_report())


def test_report_ignores_row_order_and_repeated_records(
    frame: pd.DataFrame, wide: pd.DataFrame
) -> None:
    shuffled = frame.sample(frac=1.0, random_state=7)
    pd.testing.assert_frame_equal(carrier_report(shuffled), expected_report())
    twice = pd.concat([frame, frame], ignore_index=True)
    pd.testing.assert_frame_equal(carrier_report(twice), expected_report())
    pd.testing.assert_frame_equal(
        carrier_report(pd.concat([wide, wide], ignore_index=True)), expected_report()
    )


@pytest.mark.parametrize("suffix", ["parquet", "csv", "csv.gz"])
def test_report_after_an_export_round_trip(
    tmp_path: Path, frame: pd.DataFrame, suffix: str
) -> None:
    back = read_frame(export(frame, tmp_path / f"f.{suffix}"))
    pd.testing.assert_frame_equal(carrier_report(back), expected_report())


def test_fulfillments_without_id_are_each_counted(frame: pd.DataFrame) -> None:
    df = to_frame(
        [
            r(None, "UPS", ["1", "2"], [], "2024-01-01T00:00:00Z"),
            r(None, "UPS", ["3"], ["u"], "2024-01-02T00:00:00Z"),
            r(None, "UPS", None, None, "2024-01-03T00:00:00Z"),
        ]
    )
    report = carrier_report(df)
    assert report.loc["UPS", "fulfillments"] == 3
    assert report.loc["UPS", "tracking_number_count"] == 3
    assert report.loc["UPS", "share_with_url"] == pytest.approx(1 / 3)


def test_empty_frame_gives_empty_report_with_the_schema() -> None:
    for df in (to_frame([]), to_frame([], explode=False)):
        report = carrier_report(df)
        assert report.empty
        assert report.dtypes.to_dict() == REPORT_SCHEMA
        assert report.index.name == "carrier"
        assert report.index.dtype == STRING


def _effective(record: dict[str, Any]) -> str:
    from fulfillkit.carriers import detect_carrier

    stated = canonical_carrier(record["carrier"])
    if stated not in ("Unknown", "Other"):
        return stated
    found = [c for n in record["tracking_numbers"] or [] if (c := detect_carrier(n)) is not None]
    return found[0] if found else stated


@pytest.mark.parametrize("choice", ["stated", "effective"])
def test_report_on_sandbox_data_agrees_with_a_plain_python_count(choice: str) -> None:
    from fulfillkit.sandbox import make_dataset

    records = json.loads(json.dumps(make_dataset(300, seed=5).fulfillments))
    report = carrier_report(to_frame(records), carrier=choice)  # type: ignore[arg-type]
    assert report.attrs["carrier"] == choice
    by_carrier: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        name = canonical_carrier(record["carrier"]) if choice == "stated" else _effective(record)
        by_carrier.setdefault(name, []).append(record)
    assert set(report.index) == set(by_carrier)
    for name, group in by_carrier.items():
        numbers = [n for g in group for n in (g["tracking_numbers"] or []) if n and n.strip()]
        with_url = [g for g in group if any(u for u in g["tracking_urls"] or [])]
        assert report.loc[name, "fulfillments"] == len(group)
        assert report.loc[name, "tracking_number_count"] == len(numbers)
        assert report.loc[name, "share_with_url"] == pytest.approx(len(with_url) / len(group))
    assert np.all(np.diff(report["fulfillments"].to_numpy()) <= 0)


def test_format_carrier_report_prints_every_carrier(frame: pd.DataFrame) -> None:
    text = format_carrier_report(carrier_report(frame))
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["carrier", "fulfillments", "tracking_numbers"]
    assert [line.split()[0] for line in lines[1:]] == [row[0] for row in EXPECTED]
    assert "66.7%" in lines[1]
    assert "2024-10-01 10:00" in lines[1]
    assert lines[-1].split()[-2:] == ["-", "-"]  # USPS: no valid created_at


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_the_report_itself_exports_and_reads_back(
    tmp_path: Path, frame: pd.DataFrame, suffix: str
) -> None:
    report = carrier_report(frame)
    back = read_frame(export(report, tmp_path / f"report.{suffix}"))
    back = back.set_index("carrier")  # written as a column in both formats
    pd.testing.assert_frame_equal(back, report)


# --- derived columns and shipment status ---------------------------------------------------


def test_derived_urls_do_not_count_as_the_records_own(frame: pd.DataFrame) -> None:
    # "c" (UPS, one number, no URL) gets a derived page in its own column, but the report's
    # share_with_url is about the URLs the records gave: the hand-computed table still holds.
    assert frame.loc[frame["id"] == "c", "tracking_url"].isna().all()
    assert frame.loc[frame["id"] == "c", "tracking_url_derived"].notna().all()
    pd.testing.assert_frame_equal(carrier_report(frame), expected_report())


def test_report_uses_carrier_canonical_unless_given_a_table() -> None:
    table = DEFAULT_CARRIERS.with_rules(("Bob's Courier", [r"\bbob'?s courier\b"]))
    df = to_frame([r("a", "Bob's Courier", None, None, None)], carriers=table)
    assert carrier_report(df).index.tolist() == ["Bob's Courier"]  # from the column
    assert carrier_report(df, table=DEFAULT_CARRIERS).index.tolist() == ["Unknown"]
    legacy = df.drop(columns=["carrier_canonical"])  # an export from before the column
    assert carrier_report(legacy).index.tolist() == ["Unknown"]
    assert carrier_report(legacy, table=table).index.tolist() == ["Bob's Courier"]


STATUS_RECORDS = [
    # id, carrier, shipment_status (remote_data), numbers
    ("s1", "UPS", "delivered", ["N1", "N2", "N3"]),  # three rows, one fulfillment
    ("s2", "ups", "in_transit", None),
    ("s3", "UPS", "out_for_delivery", ["N4"]),
    ("s4", "UPS", "failure", ["N5"]),
    ("s5", "UPS", None, ["N6"]),  # unknown: in no share
    ("s6", "DHL", "attempted_delivery", None),  # a failure
    ("s7", "DHL", "label_printed", None),  # not yet shipped: in no share
    ("s8", "DHL", "delivered", None),
    ("s9", "DHL", "Delivered", None),  # normalised to lower case
]


def status_frame(explode: bool = True) -> pd.DataFrame:
    return to_frame(
        [
            {
                "id": i,
                "carrier": c,
                "tracking_numbers": n,
                "remote_data": {"shipment_status": s, "status": "success"},
            }
            for i, c, s, n in STATUS_RECORDS
        ],
        remote_data=True,
        explode=explode,
    )


@pytest.mark.parametrize("explode", [True, False])
def test_status_shares_per_carrier_count_fulfillments_not_rows(explode: bool) -> None:
    report = carrier_report(status_frame(explode))
    assert list(report.columns) == [*REPORT_SCHEMA, *STATUS_REPORT_SCHEMA]
    assert report.dtypes[list(STATUS_REPORT_SCHEMA)].to_dict() == STATUS_REPORT_SCHEMA
    shares = report[list(STATUS_REPORT_SCHEMA)].astype(float).round(6)
    assert shares.to_dict("index") == {
        "UPS": dict(zip(STATUS_REPORT_SCHEMA, [0.2, 0.4, 0.2], strict=True)),  # s1 counts once
        "DHL": dict(zip(STATUS_REPORT_SCHEMA, [0.5, 0.0, 0.25], strict=True)),
    }


def test_status_shares_survive_an_export_and_print(tmp_path: Path) -> None:
    df = status_frame()
    back = read_frame(export(df, tmp_path / "s.csv"))
    pd.testing.assert_frame_equal(carrier_report(back), carrier_report(df))
    text = format_carrier_report(carrier_report(df))
    assert text.splitlines()[0].split()[-3:] == ["delivered", "in_transit", "failure"]
    assert "40.0%" in text.splitlines()[1]


def test_no_status_columns_without_shipment_status(frame: pd.DataFrame) -> None:
    assert not set(STATUS_REPORT_SCHEMA) & set(carrier_report(frame).columns)
    empty = carrier_report(to_frame([], remote_data=True))
    assert empty.dtypes.to_dict() == {**REPORT_SCHEMA, **STATUS_REPORT_SCHEMA}
