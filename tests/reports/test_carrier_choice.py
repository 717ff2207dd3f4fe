"""carrier="stated" | "detected" | "effective" in the report, the labels and the charts."""

from __future__ import annotations

from typing import Any

import pytest

import fulfillkit as fk
from fulfillkit.reports.carriers import carrier_labels, fulfillment_labels

UPS = "1Z999AA10123456784"
IMPB = "9400111201080805483016"

RECORDS: list[dict[str, Any]] = [
    {"id": "blank", "carrier": None, "tracking_numbers": ["junk", UPS]},  # UPS by its number
    {"id": "other", "carrier": "Other", "tracking_numbers": [IMPB]},  # USPS by its number
    {"id": "other2", "carrier": "Other", "tracking_numbers": ["junk"]},  # stays Other
    {"id": "stated", "carrier": "fedex", "tracking_numbers": [UPS]},  # stated wins
    {"id": "none", "carrier": None, "tracking_numbers": []},  # Unknown everywhere
]


@pytest.mark.parametrize("explode", [True, False])
@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("stated", {"Unknown": 2, "Other": 2, "FedEx": 1}),
        ("detected", {"UPS": 2, "USPS": 1, "Unknown": 2}),
        ("effective", {"UPS": 1, "USPS": 1, "Other": 1, "FedEx": 1, "Unknown": 1}),
    ],
)
def test_report_counts_each_fulfillment_under_the_chosen_carrier(
    choice: str, expected: dict[str, int], explode: bool
) -> None:
    df = fk.to_frame(RECORDS, explode=explode)
    report = fk.carrier_report(df, carrier=choice)  # type: ignore[arg-type]
    assert report["fulfillments"].to_dict() == expected
    assert report.attrs["carrier"] == choice


def test_labels_per_row_and_per_fulfillment() -> None:
    df = fk.to_frame(RECORDS)
    assert carrier_labels(df).tolist() == [
        "Unknown", "UPS", "USPS", "Other", "FedEx", "Unknown"
    ]  # fmt: skip
    assert fulfillment_labels(df).tolist() == ["UPS", "UPS", "USPS", "Other", "FedEx", "Unknown"]
    assert fulfillment_labels(df, "stated").tolist()[:2] == ["Unknown", "Unknown"]


def test_a_bad_choice_is_refused_everywhere() -> None:
    df = fk.to_frame(RECORDS)
    calls: list[Any] = [fk.carrier_report, carrier_labels, fk.plot_carriers, fk.plot_timeline]
    for call in calls:
        with pytest.raises(ValueError, match="carrier must be"):
            call(df, carrier="guessed")


def test_charts_say_which_carrier() -> None:
    df = fk.to_frame([{**r, "created_at": "2024-01-01T00:00:00Z"} for r in RECORDS])
    fig = fk.plot_carriers(df, carrier="detected")
    assert fig.axes[0].get_ylabel() == "carrier (detected)"
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["UPS", "Unknown", "USPS"]
    timeline = fk.plot_timeline(df, carrier="stated")
    legend = timeline.axes[0].get_legend()
    assert legend is not None and legend.get_title().get_text() == "carrier (stated)"
