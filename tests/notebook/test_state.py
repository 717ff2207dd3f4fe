"""The explorer's state without a widget: filters, windows, summary, findings, export names."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

import fulfillkit as fk
from fulfillkit.frames import first_rows
from fulfillkit.notebook.state import GRID_COLUMNS, NO_STATUS, ExplorerState
from fulfillkit.reports.carriers import fulfillment_labels
from fulfillkit.sandbox import make_dataset


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return fk.to_frame(make_dataset(300, seed=5).fulfillments, remote_data=True)


def fulfillments(df: pd.DataFrame) -> int:
    return int(df["id"].nunique())


def test_nothing_loaded() -> None:
    state = ExplorerState()
    assert state.selection is None and state.frame is None
    assert state.summary_text() == "Nothing loaded yet."
    assert state.grid_frame().empty and state.windows == 1
    assert state.carrier_options() == [] and state.status_options() == []
    assert state.not_run() is None


def test_no_filter_selects_the_frame_itself(frame: pd.DataFrame) -> None:
    state = ExplorerState(frame)
    assert state.selection is frame
    s = state.summary()
    assert (s.rows, s.fulfillments) == (len(frame), 300)
    assert (s.selected_rows, s.selected_fulfillments) == (len(frame), 300)
    assert state.summary_text() == f"300 of 300 fulfillments ({len(frame):,} rows)"


def test_carrier_filter_keeps_fulfillments_whole_and_counts_match(frame: pd.DataFrame) -> None:
    state = ExplorerState(frame)
    options = {value: label for label, value in state.carrier_options()}
    report = fk.carrier_report(frame)
    for carrier in ("UPS", "FedEx", "Unknown"):
        state.set_filters(carrier=carrier)
        selection = state.selection
        assert selection is not None
        # every row of a kept fulfillment, and no other
        kept = set(selection["id"])
        assert len(selection) == int(frame["id"].isin(kept).sum())
        assert set(fulfillment_labels(selection)) == {carrier}
        n = int(report["fulfillments"].to_dict()[carrier])
        assert fulfillments(selection) == n and options[carrier] == f"{carrier} ({n})"
    assert [v for _, v in state.carrier_options()] == list(report.index)


def test_carrier_choice_changes_labels_and_clears_the_filter(frame: pd.DataFrame) -> None:
    state = ExplorerState(frame)
    state.set_filters(carrier="UPS")
    state.set_carrier_choice("stated")
    assert state.filters.carrier is None and state.selection is frame
    stated = {v for _, v in state.carrier_options()}
    state.set_carrier_choice("effective")
    effective = {v: label for label, v in state.carrier_options()}
    unknown_stated = fk.carrier_report(frame, carrier="stated")["fulfillments"].to_dict()["Unknown"]
    assert "Unknown" in stated
    assert int(effective["Unknown"].split("(")[1][:-1]) < unknown_stated
    with pytest.raises(ValueError, match="carrier must be"):
        state.set_carrier_choice("nearest")


def test_status_filter_and_no_status(frame: pd.DataFrame) -> None:
    state = ExplorerState(frame)
    options = {v: label for label, v in state.status_options()}
    assert "delivered" in options and NO_STATUS in options
    state.set_filters(status="in_transit")
    assert set(state.selection["shipment_status"]) == {"in_transit"}  # type: ignore[index]
    state.set_filters(status=NO_STATUS)
    selection = state.selection
    assert selection is not None and selection["shipment_status"].isna().all()
    one = first_rows(frame)
    assert fulfillments(selection) == int(frame["shipment_status"][one].isna().sum())
    without = ExplorerState(fk.to_frame(make_dataset(20).fulfillments, remote_data=False))
    assert without.status_options() == []
    without.set_filters(status="delivered")
    assert without.selection is not None and without.selection.empty


def test_date_range_is_inclusive_of_both_days(frame: pd.DataFrame) -> None:
    state = ExplorerState(frame)
    first, last = state.date_bounds()
    assert first is not None and last is not None and first < last
    created = frame["created_at"]
    day = created.iloc[len(frame) // 2].date()
    state.set_filters(created_from=day, created_to=day)
    selection = state.selection
    assert selection is not None and len(selection) > 0
    assert set(selection["created_at"].dt.date) == {day}
    state.set_filters(created_from=date(2024, 3, 1), created_to=None)
    expected = int((created >= pd.Timestamp("2024-03-01", tz="UTC")).sum())
    assert len(state.selection) == expected  # type: ignore[arg-type]
    assert "created 2024-03-01 to …" in state.summary_text()
    with pytest.raises(ValueError, match="created_to must be a date"):
        state.set_filters(created_to="2024-01-01")


def test_find_matches_ids_orders_and_numbers_case_insensitively(frame: pd.DataFrame) -> None:
    state = ExplorerState(frame)
    row = frame[frame["tracking_index"] == 1].iloc[0]  # a fulfillment with two numbers
    state.set_filters(find=f"  {str(row['id'])[:13].upper()} ")
    assert state.filters.find == str(row["id"])[:13].upper()
    assert set(state.selection["id"]) == {row["id"]}  # type: ignore[index]
    state.set_filters(find=str(row["tracking_number"]).lower())
    selection = state.selection
    assert selection is not None
    assert set(selection["id"]) == {row["id"]}
    assert len(selection) == int((frame["id"] == row["id"]).sum())  # kept whole
    state.set_filters(find=str(row["order_id"]))
    assert row["id"] in set(state.selection["id"])  # type: ignore[index]
    state.set_filters(find="no such thing")
    assert state.selection is not None and state.selection.empty
    assert "0 of 300 fulfillments (0 rows)" in state.summary_text()


def test_filters_combine_and_clear(frame: pd.DataFrame) -> None:
    state = ExplorerState(frame)
    state.set_filters(carrier="UPS", status="delivered", created_from=date(2024, 6, 1))
    selection = state.selection
    assert selection is not None and 0 < len(selection) < len(frame)
    assert set(selection["shipment_status"]) == {"delivered"}
    assert (selection["created_at"] >= pd.Timestamp("2024-06-01", tz="UTC")).all()
    text = state.summary_text()
    assert "carrier UPS" in text and "status delivered" in text
    state.clear_filters()
    assert state.selection is frame


def test_windows_of_a_large_selection(frame: pd.DataFrame) -> None:
    state = ExplorerState(frame, window_rows=100)
    n = len(frame)
    assert state.windows == -(-n // 100)
    grid = state.grid_frame()
    assert len(grid) == 100
    assert grid["id"].tolist() == frame["id"].iloc[:100].tolist()
    assert state.summary().windowed and "grid holds rows 1–100" in state.summary_text()
    state.move_window(+1)
    assert state.grid_frame()["id"].tolist() == frame["id"].iloc[100:200].tolist()
    for _ in range(50):
        state.move_window(+1)
    assert state.window == state.windows - 1
    assert len(state.grid_frame()) == n - (state.windows - 1) * 100
    state.set_filters(carrier="UPS")  # a new selection starts at its first window
    assert state.window == 0
    state.move_window(-5)
    assert state.window == 0
    with pytest.raises(ValueError, match="window_rows"):
        ExplorerState(frame, window_rows=0)


def test_a_hundred_thousand_rows_stay_a_window(frame: pd.DataFrame) -> None:
    copies = -(-100_000 // len(frame))
    big = pd.concat([frame] * copies, ignore_index=True)
    big["id"] = big["id"] + pd.Series(np.repeat(np.arange(copies), len(frame))).astype(str)
    state = ExplorerState(big)
    assert len(big) >= 100_000
    assert len(state.grid_frame()) == 5_000  # WINDOW_ROWS: what the browser ever holds
    state.set_filters(carrier="DHL")
    assert len(state.selection) > 5_000  # type: ignore[arg-type]
    assert len(state.grid_frame()) == 5_000
    assert "window 1 of" in state.summary_text()


def test_a_frame_with_a_repeated_index(frame: pd.DataFrame) -> None:
    twice = pd.concat([frame, frame])  # index labels repeat; ids too (counted once)
    state = ExplorerState(twice, window_rows=len(frame))
    assert state.summary().fulfillments == 300
    assert len(state.grid_frame()) == len(frame)
    state.move_window(+1)
    assert state.grid_frame()["id"].tolist() == frame["id"].tolist()


def test_grid_frame_columns_labels_and_missing_values(frame: pd.DataFrame) -> None:
    state = ExplorerState(frame)
    grid = state.grid_frame()
    expected = [c for c in GRID_COLUMNS if c in frame.columns]
    expected.insert(expected.index("carrier") + 1, "carrier (effective)")
    assert list(grid.columns) == expected
    assert grid["carrier (effective)"].tolist() == fulfillment_labels(frame).tolist()
    missing = frame["tracking_number"].isna().to_numpy()
    assert (grid["tracking_number"][missing] == "").all()
    assert grid["created_at"].iloc[0] == frame["created_at"].iloc[0].strftime("%Y-%m-%d %H:%M:%S")
    assert not grid.isna().any().any()
    state.all_columns = True
    every = state.grid_frame()
    assert "remote_data" not in every.columns and "items" in every.columns
    assert any(c.startswith("field_mappings.") for c in every.columns)


def test_findings_follow_the_selection_and_severity(frame: pd.DataFrame) -> None:
    state = ExplorerState(frame)
    everything = fk.audit(frame)
    assert len(state.findings()) == len(everything)
    state.set_filters(carrier="UPS")
    ups_ids = set(state.selection["id"])  # type: ignore[index]
    findings = state.findings()
    assert set(findings["id"]) <= ups_ids
    assert len(findings) == int(everything["id"].isin(ups_ids).sum())
    state.severity = "error"
    assert set(state.findings()["severity"]) <= {"error"}
    assert state.findings().attrs.get("not_run") == everything.attrs.get("not_run")
    not_run = state.not_run()
    expected = everything.attrs.get("not_run")
    assert not_run == (None if expected is None else {str(k): str(v) for k, v in expected.items()})


def test_export_names_say_what_the_file_holds(frame: pd.DataFrame) -> None:
    state = ExplorerState(frame)
    stamp = "20240501T101500Z"
    assert state.export_name(".csv", stamp=stamp) == f"fulfillments-all-{stamp}.csv"
    state.set_filters(
        carrier="Royal Mail",
        status="in_transit",
        created_from=date(2024, 3, 1),
        created_to=date(2024, 3, 31),
        find="1Z/../x",
    )
    assert state.export_name(".parquet", stamp=stamp) == (
        f"fulfillments-royal-mail-in-transit-2024-03-01_2024-03-31-find-1z-x-{stamp}.parquet"
    )
    name = ExplorerState(frame).export_name(".csv")
    assert name.startswith("fulfillments-all-2") and name.endswith("Z.csv")
    assert "/" not in state.export_name(".csv")
