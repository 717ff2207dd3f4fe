"""Plots: rendered to PNG, with titles, labelled axes and a legend, counting correctly."""

from __future__ import annotations

import struct
import subprocess
import sys
from typing import Any

import matplotlib
import pandas as pd
import pytest
from matplotlib.figure import Figure

import fulfillkit as fk
from fulfillkit.frames import to_frame
from fulfillkit.reports import carrier_report
from fulfillkit.reports.charts import OTHERS, figure_png, plot_carriers, plot_timeline
from fulfillkit.sandbox import make_dataset

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return to_frame(make_dataset(400, seed=3).fulfillments)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def assert_readable(fig: Figure) -> bytes:
    """A title on every axes, both axes labelled, at least one legend with entries, and a
    PNG of a sensible size with real content."""
    assert isinstance(fig, Figure)
    for ax in fig.axes:
        assert ax.get_title(), ax
        assert ax.get_xlabel(), ax
        assert ax.get_ylabel(), ax
    legends = [lg for ax in fig.axes if (lg := ax.get_legend()) is not None]
    assert legends and all(lg.get_texts() for lg in legends)
    png = figure_png(fig)
    width, height = png_size(png)
    assert 600 <= width <= 1600 and 250 <= height <= 1200, (width, height)
    assert len(png) > 15_000  # bars, text and legend, not an empty canvas
    return png


def bar_widths(ax: Any) -> list[float]:
    return [float(p.get_width()) for p in ax.patches]


def bar_heights(ax: Any) -> list[float]:
    return [float(p.get_height()) for p in ax.patches]


def legend(ax: Any) -> Any:
    found = ax.get_legend()
    assert found is not None
    return found


def test_plot_carriers_readable_and_matches_the_report(df: pd.DataFrame) -> None:
    fig = plot_carriers(df)
    assert_readable(fig)
    volume, coverage = fig.axes
    assert fig.get_suptitle().startswith("Fulfillments and tracking coverage by carrier")
    assert volume.get_title() == "Fulfillments"
    assert coverage.get_title() == "Tracking coverage"
    assert volume.get_xlabel() == "fulfillments" and volume.get_ylabel() == "carrier (effective)"
    report = carrier_report(df)
    names = [t.get_text() for t in volume.get_yticklabels()]
    top = 12
    assert len(report) > top + 1  # so the tail is gathered
    assert names[:top] == list(report.index[:top])
    assert names[top] == f"{OTHERS} ({len(report) - top})"
    widths = bar_widths(volume)
    assert widths[:top] == [float(n) for n in report["fulfillments"][:top]]
    assert sum(widths) == report["fulfillments"].sum() == df["id"].nunique()
    labels = [t.get_text() for t in legend(coverage).get_texts()]
    assert labels == ["tracking number", "tracking URL"]
    shares = bar_widths(coverage)
    assert all(0.0 <= s <= 1.0 for s in shares)
    assert shares[0] == pytest.approx(float(report["share_with_tracking"].iloc[0]))
    assert shares[len(names)] == pytest.approx(float(report["share_with_url"].iloc[0]))
    assert len(shares) == 2 * len(names)


def test_plot_carriers_counts_a_fulfillment_once_and_folds_names() -> None:
    df = to_frame(
        [
            {"id": "a", "carrier": "ups", "tracking_numbers": ["1", "2", "3"]},
            {"id": "b", "carrier": " UPS ", "tracking_numbers": None},
            {"id": "c", "carrier": "DHL Express", "tracking_urls": ["https://x"]},
        ]
    )
    fig = plot_carriers(df)
    volume, coverage = fig.axes
    assert [t.get_text() for t in volume.get_yticklabels()] == ["UPS", "DHL"]
    assert bar_widths(volume) == [2.0, 1.0]
    # UPS: 1 of 2 with a number, none with a URL; DHL: none with a number, 1 with a URL
    assert bar_widths(coverage) == [0.5, 0.0, 0.0, 1.0]
    assert "(3 fulfillments)" in fig.get_suptitle()


def test_plot_carriers_gathers_the_tail() -> None:
    names = ["UPS", "USPS", "FedEx", "DHL", "Royal Mail", "La Poste"]
    df = to_frame(
        [{"id": str(i), "carrier": names[i % len(names)]} for i in range(60)]
        + [{"id": "x", "carrier": "UPS"}]
    )
    fig = plot_carriers(df, top=3)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks == ["UPS", "DHL", "FedEx", f"{OTHERS} (3)"]
    assert sum(bar_widths(fig.axes[0])) == 61.0


def test_plot_carriers_empty_frame_still_renders() -> None:
    fig = plot_carriers(to_frame([]))
    png = figure_png(fig)
    assert png_size(png)[0] > 500
    assert fig.axes[0].get_title() and fig.axes[1].get_legend() is not None


def test_plot_timeline_readable_and_counts(df: pd.DataFrame) -> None:
    fig = plot_timeline(df, freq="W")
    assert_readable(fig)
    (ax,) = fig.axes
    assert ax.get_title() == "Fulfillments per week by carrier"
    assert ax.get_xlabel() == "created_at (UTC)"
    assert ax.get_ylabel() == "fulfillments per week"
    assert legend(ax).get_title().get_text() == "carrier (effective)"
    entries = [t.get_text() for t in legend(ax).get_texts()]
    assert len(entries) == 7 and entries[-1] == OTHERS  # top 6 + the rest
    assert {round(w, 6) for w in bar_widths(ax)} == {round(0.85 * 7, 6)}  # days: a week
    heights = sum(bar_heights(ax))
    per = df[df["tracking_index"].isna() | (df["tracking_index"] == 0)]
    assert heights == per["created_at"].notna().sum()


def test_plot_timeline_daily_over_a_long_range_is_smoothed(df: pd.DataFrame) -> None:
    fig = plot_timeline(df)  # freq="D" over about two years: hundreds of periods
    assert_readable(fig)
    (ax,) = fig.axes
    assert ax.get_title() == "Fulfillments per day by carrier"
    assert "rolling mean" in ax.get_ylabel()
    assert ax.collections  # a stacked area, not 700 thin bars
    assert not ax.patches


def test_plot_timeline_leaves_out_and_says_so() -> None:
    df = to_frame(
        [
            {"id": "a", "carrier": "UPS", "created_at": "2024-01-01T10:00:00Z"},
            {"id": "a", "carrier": "UPS", "created_at": "2024-01-01T10:00:00Z"},  # twice
            {"id": "b", "carrier": "DHL", "created_at": "2024-01-03T09:00:00Z"},
            {"id": "c", "carrier": "DHL", "created_at": None},
        ]
    )
    fig = plot_timeline(df, freq="D")
    (ax,) = fig.axes
    assert "(1 without created_at not shown)" in ax.get_title()
    heights = bar_heights(ax)
    assert sum(heights) == 2.0
    assert len(heights) == 2 * 3  # 2 carriers x 3 days, the empty day included


def test_plot_timeline_empty_frame() -> None:
    fig = plot_timeline(to_frame([]))
    assert fig.axes[0].get_legend() is not None
    assert png_size(figure_png(fig))[0] > 500


def test_plot_timeline_monthly(df: pd.DataFrame) -> None:
    fig = plot_timeline(df, freq="MS")
    assert fig.axes[0].get_ylabel() == "fulfillments per month"


def test_plots_do_not_touch_pyplot_and_fulfillkit_does_not_import_matplotlib() -> None:
    code = (
        "import sys, fulfillkit as fk\n"
        "assert 'matplotlib' not in sys.modules and 'ipywidgets' not in sys.modules\n"
        "from fulfillkit.reports.charts import plot_carriers\n"
        "plot_carriers(fk.to_frame([{'id': 'a', 'carrier': 'UPS'}]))\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_exported_as_fk_functions() -> None:
    assert fk.plot_carriers is plot_carriers
    assert fk.plot_timeline is plot_timeline
