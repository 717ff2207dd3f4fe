"""The status-mix, lag, coverage and time-in-status plots, built from the sandbox: titles,
labelled axes with units, one bar or box per carrier, colour-blind-safe colours, SVG."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

import fulfillkit as fk
from fulfillkit.frames import first_rows
from fulfillkit.reports.figures import figure_svg
from fulfillkit.reports.plots import (
    NO_STATUS,
    PALETTE,
    STATUS_COLORS,
    status_mix,
    time_in_status,
)
from fulfillkit.sandbox import Dataset, SandboxApp, make_dataset


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return make_dataset(400, seed=21)


@pytest.fixture(scope="module")
def frame(dataset: Dataset) -> pd.DataFrame:
    return fk.to_frame(dataset.fulfillments, remote_data=True)


@pytest.fixture(scope="module")
def store() -> Iterator[fk.Store]:
    """A store synced from the sandbox, then four more times as its shipments move on."""
    app = SandboxApp(make_dataset(1000, seed=22), rate_limit=None)
    with fk.Client.sandbox(app=app) as client:
        store = fk.Store(":memory:")
        store.sync(client, progress=False)
        for _ in range(5):  # the living shop moves on between syncs
            app.advance(days=3)
            store.sync(client, progress=False)
        yield store


def labels_of(ax: object) -> list[str]:
    return [t.get_text() for t in ax.get_yticklabels()]  # type: ignore[attr-defined]


def carriers_in(labels: list[str]) -> list[str]:
    return [label.rsplit(" (", 1)[0] for label in labels]


def test_status_mix_one_stacked_bar_per_carrier(frame: pd.DataFrame, tmp_path: Path) -> None:
    fig = fk.plot_status_mix(frame, top=30)
    ax = fig.axes[0]
    report = fk.carrier_report(frame)
    assert carriers_in(labels_of(ax)) == list(report.index)
    assert labels_of(ax)[0] == f"{report.index[0]} ({report['fulfillments'].iloc[0]})"
    assert ax.get_title().startswith("Shipment status by carrier (400 fulfillments)")
    assert ax.get_xlabel() == "share of the carrier's fulfillments (%)"
    assert ax.get_ylabel() == "carrier (effective)"
    counts = status_mix(frame)
    # one bar per (carrier, status) segment, each carrier's segments adding up to 100%
    bars = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_width() > 0]
    per_row: dict[float, float] = {}
    for bar in bars:
        key = round(bar.get_y(), 3)
        per_row[key] = per_row.get(key, 0.0) + bar.get_width()
    assert len(per_row) == len(report)
    assert all(abs(total - 100) < 1e-6 for total in per_row.values())
    box = ax.get_legend()
    assert box is not None
    legend = [t.get_text() for t in box.get_texts()]
    assert legend == list(counts.columns) and legend[-1] == NO_STATUS
    colors = {to_hex(p.get_facecolor()).upper() for p in ax.patches}
    assert colors <= {c.upper() for c in STATUS_COLORS.values()}
    path = tmp_path / "mix.svg"
    path.write_text(figure_svg(fig))
    assert path.read_text().startswith("<svg") and "<!--" not in path.read_text()


def test_status_mix_counts_each_fulfillment_once(frame: pd.DataFrame) -> None:
    counts = status_mix(frame)
    one = frame[first_rows(frame)]
    assert int(counts.to_numpy().sum()) == len(one) == 400
    delivered = int((one["shipment_status"] == "delivered").sum())
    assert int(counts["delivered"].sum()) == delivered
    assert int(counts[NO_STATUS].sum()) == int(one["shipment_status"].isna().sum())
    top = fk.plot_status_mix(frame, top=3)
    assert labels_of(top.axes[0])[-1].startswith("all others (")
    assert len(labels_of(top.axes[0])) == 4


def test_fulfillment_lag_one_box_per_carrier_in_days_or_hours(
    dataset: Dataset, frame: pd.DataFrame
) -> None:
    joined = fk.join_orders(frame, dataset.orders)
    fig = fk.plot_fulfillment_lag(joined, top=30)
    ax = fig.axes[0]
    one = joined[first_rows(joined)]
    known = one[one["fulfillment_lag"].notna()]
    names = carriers_in(labels_of(ax))
    assert sorted(names) == sorted(set(fk.carrier_report(known).index))
    assert len(ax.patches) == len(names)  # one box (a patch) per carrier
    assert ax.get_xlabel() in {"order to fulfillment (days)", "order to fulfillment (hours)"}
    assert ax.get_ylabel() == "carrier (effective)"
    missing = len(one) - len(known)
    assert ax.get_title() == (
        f"Order to fulfillment lag by carrier ({missing:,} without a known order not shown)"
    )
    n = sum(int(label.rsplit("n=", 1)[1][:-1].replace(",", "")) for label in labels_of(ax))
    assert n == len(known)
    assert {to_hex(p.get_facecolor()).upper() for p in ax.patches} == {PALETTE[4].upper()}
    hours = joined.assign(
        fulfillment_lag=pd.to_timedelta(joined["fulfillment_lag"]) / 48  # all under 3 days
    )
    assert fk.plot_fulfillment_lag(hours).axes[0].get_xlabel() == "order to fulfillment (hours)"
    assert figure_svg(fig).startswith("<svg")


def test_tracking_coverage_shares_and_volume(frame: pd.DataFrame) -> None:
    fig = fk.plot_tracking_coverage(frame, freq="MS")
    shares, volume = fig.axes
    assert shares.get_ylabel() == "share of fulfillments (%)"
    assert volume.get_ylabel() == "fulfillments per month"
    assert volume.get_xlabel() == "created_at (UTC)"
    assert fig.get_suptitle() == "Tracking coverage by month created (400 fulfillments)"
    assert int(sum(p.get_height() for p in volume.patches if isinstance(p, Rectangle))) == 400
    number, _url = shares.get_lines()
    assert number.get_label() == "with a tracking number"
    one = frame[first_rows(frame)]
    has_number = frame.groupby("id")["tracking_number"].count() > 0
    assert int(has_number.sum()) < len(one)
    # the same frame without exploding gives the same picture
    wide = fk.to_frame(make_dataset(400, seed=21).fulfillments, explode=False)
    other = fk.plot_tracking_coverage(wide, freq="MS")
    same = np.asarray(other.axes[0].get_lines()[0].get_ydata(), dtype=float)
    np.testing.assert_array_equal(same, np.asarray(number.get_ydata(), dtype=float))
    assert figure_svg(fig).startswith("<svg")


def test_time_in_status_from_hand_made_changes() -> None:
    at = pd.to_datetime(
        ["2024-01-01 00:00", "2024-01-01 06:00", "2024-01-02 12:00", "2024-01-05 00:00",
         "2024-01-03 00:00", "2024-01-03 10:00", "2024-01-04 00:00"],
        utc=True,
    )  # fmt: skip
    changes = pd.DataFrame(
        {
            "id": ["a", "a", "a", "a", "b", "b", "c"],
            "carrier": ["ups", "ups", "ups", "ups", "DHL Express", "DHL Express", "UPS"],
            "to_status": [None, "in_transit", "delivered", "delivered", "delivered",
                          "in_transit", "in_transit"],
            "changed_at": at,
        }
    )  # fmt: skip
    spans = time_in_status(changes)
    # a: in_transit 06:00 -> delivered next day 12:00; b delivered before in transit; c never
    assert spans[["id", "carrier"]].to_dict("records") == [{"id": "a", "carrier": "UPS"}]
    assert spans["hours"].tolist() == [30.0]
    assert time_in_status(changes, "in_transit", "in_transit")["hours"].tolist() == [0, 0, 0]
    fig = fk.plot_time_in_status(changes)
    ax = fig.axes[0]
    assert labels_of(ax) == ["UPS (n=1)"]
    assert ax.get_xlabel() == "hours from in_transit to delivered"
    assert ax.get_title() == "Time from in_transit to delivered by carrier (1 fulfillments)"


def test_time_in_status_from_a_store(store: fk.Store) -> None:
    spans = fk.time_in_status(store)
    changes = fk.status_changes(store)
    assert len(spans) > 10
    assert (spans["hours"] > 0).all()
    assert set(spans["id"]) <= set(changes.loc[changes["to_status"] == "delivered", "id"])
    fig = fk.plot_time_in_status(store, top=30)
    ax = fig.axes[0]
    names = carriers_in(labels_of(ax))
    assert sorted(names) == sorted(set(spans["carrier"]))
    assert len(ax.patches) == len(names)
    assert ax.get_ylabel() == "carrier (stated)"
    same = fk.plot_time_in_status(changes, top=30)
    assert labels_of(same.axes[0]) == labels_of(ax)
    assert figure_svg(fig).startswith("<svg")


def test_every_plot_takes_data_by_the_data_rule(dataset: Dataset) -> None:
    with fk.Client.sandbox(n=60, seed=3) as client:
        batch = client.get_many(client.sandbox_ids, remote_data=True, progress=False)
    records = make_dataset(60, seed=3).fulfillments
    for data in (batch, records, batch.to_frame()):
        assert isinstance(fk.plot_status_mix(data), Figure)
        assert isinstance(fk.plot_tracking_coverage(data), Figure)
    store = fk.Store(":memory:")
    with fk.Client.sandbox(n=60, seed=3) as client:
        store.sync(client, progress=False)
    assert labels_of(fk.plot_status_mix(store).axes[0]) == labels_of(
        fk.plot_status_mix(batch).axes[0]
    )


@pytest.mark.parametrize(
    ("plot", "missing"),
    [
        (fk.plot_status_mix, "shipment_status"),
        (fk.plot_fulfillment_lag, "fulfillment_lag"),
    ],
)
def test_missing_columns_are_named(plot: object, missing: str) -> None:
    df = fk.to_frame(make_dataset(20).fulfillments, remote_data=False)
    with pytest.raises(fk.InvalidDataError, match=missing):
        plot(df)  # type: ignore[operator]


def test_wrong_data_is_refused_before_any_work() -> None:
    with pytest.raises(fk.InvalidDataError, match=r"fk\.plot_tracking_coverage needs the column"):
        fk.plot_tracking_coverage(pd.DataFrame({"id": ["a"]}))
    with pytest.raises(fk.InvalidDataError, match="takes a to_frame"):
        fk.plot_status_mix("fulfillments.parquet")
    with pytest.raises(fk.InvalidDataError, match=r"store or fk\.status_changes"):
        fk.plot_time_in_status([{"id": "a"}])
    with pytest.raises(fk.InvalidDataError, match="to_status, changed_at"):
        fk.time_in_status(pd.DataFrame({"id": ["a"], "carrier": ["UPS"]}))


def test_empty_data_still_draws_a_labelled_figure() -> None:
    empty = fk.to_frame([], remote_data=True)
    assert fk.plot_status_mix(empty).axes[0].get_xlabel().endswith("(%)")
    changes = pd.DataFrame(
        {"id": [], "carrier": [], "to_status": [], "changed_at": pd.to_datetime([], utc=True)}
    )
    ax = fk.plot_time_in_status(changes).axes[0]
    assert "no fulfillment was seen going from in_transit to delivered" in [
        t.get_text() for t in ax.texts
    ]
    assert fk.plot_tracking_coverage(fk.to_frame([])).axes[0].texts
