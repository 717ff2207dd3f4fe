"""export and read_frame by the shared rules: what they take (frames.frame_of), where they
write (paths.output_path), what they refuse, and the CSV / Parquet round trips compared
column by column."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import fulfillkit as fk
from fulfillkit.frames import STRING, ExportFormatError
from fulfillkit.frames.io import atomic_write
from fulfillkit.sandbox import make_dataset


@pytest.fixture(scope="module")
def batch() -> fk.BatchResult:
    with fk.Client.sandbox(n=30) as client:
        return client.get_many(client.sandbox_ids, progress=False)


# --- the data rule ------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_export_takes_a_batch_records_a_table_and_a_report(
    tmp_path: Path, batch: fk.BatchResult, suffix: str
) -> None:
    frame = batch.to_frame()
    from_batch = fk.read_frame(fk.export(batch, tmp_path / f"batch.{suffix}"))
    from_records = fk.read_frame(fk.export(batch.fulfillments, tmp_path / f"rec.{suffix}"))
    from_table = fk.read_frame(fk.export(batch.to_arrow(), tmp_path / f"tbl.{suffix}"))
    expected = fk.read_frame(fk.export(frame, tmp_path / f"frame.{suffix}"))
    for back in (from_batch, from_records, from_table):
        pd.testing.assert_frame_equal(back, expected)
    report = fk.read_frame(fk.export(fk.carrier_report(frame), tmp_path / f"r.{suffix}"))
    assert report["carrier"].tolist() == fk.carrier_report(frame).index.tolist()


@pytest.mark.parametrize(
    ("data", "got"),
    [
        ([1, 2], "item 0 is 'int'"),
        ("fulfillments.csv", "a path or text"),
        ({"id": "a"}, "a single record"),
        (42, "int"),
        (pd.Series(["a"]), "a Series"),
    ],
)
def test_export_refuses_other_data_before_touching_the_disk(
    tmp_path: Path, data: Any, got: str
) -> None:
    target = tmp_path / "new" / "out.parquet"
    with pytest.raises(fk.InvalidDataError, match="export takes a to_frame\\(\\) frame") as info:
        fk.export(data, target)
    assert got in str(info.value)
    assert not (tmp_path / "new").exists()  # not even its folder


def test_a_frame_arrow_cannot_hold_is_invalid_data(tmp_path: Path) -> None:
    with pytest.raises(fk.InvalidDataError, match="Parquet"):
        fk.export(pd.DataFrame({"mixed": [1, "x"]}), tmp_path / "x.parquet")
    assert list(tmp_path.iterdir()) == []


def test_writer_options_are_checked_before_writing(tmp_path: Path, batch: fk.BatchResult) -> None:
    with pytest.raises(ExportFormatError, match=r"'seperator'.*DataFrame.to_csv"):
        fk.export(batch, tmp_path / "x.csv", seperator=";")
    with pytest.raises(ExportFormatError, match=r"'sep'.*write_table"):
        fk.export(batch, tmp_path / "x.parquet", sep=";")
    with pytest.raises(ExportFormatError, match="cannot export"):
        fk.export(batch, tmp_path / "x.csv", sep="ab")  # pandas' own refusal, one type
    assert list(tmp_path.iterdir()) == []
    path = fk.export(batch, tmp_path / "x.parquet", compression="zstd", row_group_size=7)
    assert len(fk.read_frame(path)) == len(batch.to_frame())


# --- the path rule ------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["parquet", "csv", "csv.gz"])
def test_export_creates_missing_folders(tmp_path: Path, batch: fk.BatchResult, suffix: str) -> None:
    path = fk.export(batch, tmp_path / "no" / "such" / f"x.{suffix}")
    assert path == tmp_path / "no" / "such" / f"x.{suffix}"
    assert fk.read_frame(path)["id"].nunique() == 30


def test_export_refuses_unusable_paths_naming_them(tmp_path: Path, batch: fk.BatchResult) -> None:
    folder = tmp_path / "taken.csv"
    folder.mkdir()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(fk.OutputPathError, match=r"'.*taken.csv' is a folder"):
        fk.export(batch, folder)
    with pytest.raises(fk.OutputPathError, match="is a file, not a folder"):
        fk.export(batch, blocker / "x.csv")
    with pytest.raises(fk.OutputPathError, match=r"must be a str or pathlib\.Path"):
        fk.export(batch, 42)  # type: ignore[arg-type]
    assert blocker.read_text() == "x" and list(folder.iterdir()) == []


def test_a_failed_write_names_the_users_path_never_the_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "out.html"

    def vanish(temp: Path) -> None:
        temp.unlink()  # the folder's content changed under us: os.replace fails
        temp.parent.joinpath(temp.name).write_text("partial")
        temp.parent.joinpath(temp.name).unlink()

    with pytest.raises(fk.OutputPathError) as info:
        atomic_write(target, vanish, what="HTML report")
    message = str(info.value)
    assert message.startswith(f"cannot write HTML report {str(target)!r}")
    assert ".tmp" not in message and not target.exists()
    assert list(tmp_path.iterdir()) == []


# --- read_frame: one rule, stated ---------------------------------------------------------


def test_read_frame_refuses_what_is_not_its_format_with_one_fulfillkit_error(
    tmp_path: Path,
) -> None:
    garbage = tmp_path / "broken.parquet"
    garbage.write_bytes(b"PAR1 not parquet")
    with pytest.raises(ExportFormatError, match=r"cannot read '.*broken.parquet' as Parquet"):
        fk.read_frame(garbage)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ExportFormatError, match="as CSV"):
        fk.read_frame(empty)
    bad_index = tmp_path / "bad.csv"
    bad_index.write_text("id,tracking_index,created_at\na,first,\n")
    with pytest.raises(ExportFormatError, match="column 'tracking_index' does not hold Int64"):
        fk.read_frame(bad_index)
    bad_time = tmp_path / "time.csv"
    bad_time.write_text("id,created_at\na,yesterday\n")
    with pytest.raises(ExportFormatError, match="column 'created_at'"):
        fk.read_frame(bad_time)
    with pytest.raises(FileNotFoundError, match="no such file"):
        fk.read_frame(tmp_path / "missing.csv")
    with pytest.raises(fk.InvalidDataError, match="takes a path"):
        fk.read_frame(3)  # type: ignore[arg-type]


def test_read_frame_reads_any_csv_by_the_stated_rule(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text(
        "id,field_mappings.zip,field_mappings.n,total_price,fulfillment_lag,score\n"
        "a,0901,42,24.5,1 days 02:00:00,3\n"
        "b,,7,,,4\n"
    )
    df = fk.read_frame(path)
    assert df["field_mappings.zip"].dtype == STRING and df.loc[0, "field_mappings.zip"] == "0901"
    assert df["field_mappings.n"].dtype == STRING and df.loc[0, "field_mappings.n"] == "42"
    assert df["total_price"].dtype == "Float64"  # join_orders' column, by name
    assert df.loc[0, "fulfillment_lag"] == pd.Timedelta(days=1, hours=2)
    assert df["score"].dtype == "Int64"  # an unknown column: inferred


# --- round trips --------------------------------------------------------------------------


def _round_trips(tmp_path: Path, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    csv = fk.read_frame(fk.export(df, tmp_path / "f.csv"))
    parquet = fk.read_frame(fk.export(df, tmp_path / "f.parquet"))
    return csv, parquet


def test_csv_and_parquet_round_trips_agree_column_by_column(tmp_path: Path) -> None:
    """Panora's data (text field mappings: "2", "49.90", "true"): the same dtypes and
    values both ways, and both equal the frame written."""
    df = fk.to_frame(make_dataset(600, seed=21).fulfillments, remote_data=True)
    mappings = [c for c in df.columns if c.startswith("field_mappings.")]
    assert mappings and all(df[c].dtype == STRING for c in mappings)
    csv, parquet = _round_trips(tmp_path, df)
    assert list(csv.columns) == list(parquet.columns) == list(df.columns)
    for name in df.columns:
        assert csv[name].dtype == parquet[name].dtype == df[name].dtype, name
        pd.testing.assert_series_equal(csv[name], parquet[name], obj=name)
    pd.testing.assert_frame_equal(parquet, df)
    numeric_looking = df["field_mappings.boxes"].dropna()
    assert numeric_looking.str.fullmatch(r"\d+").all()  # "2" stays "2", as text


def test_tolerance_data_differs_only_where_the_readme_says(tmp_path: Path) -> None:
    """Field mappings with real numbers (which Panora never sends): Parquet keeps their
    type, CSV gives their text; every other column agrees exactly."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tolerance data may warn about its timestamps
        records = make_dataset(1500, seed=3, tolerance_mappings=True).fulfillments
        df = fk.to_frame(records, remote_data=True)
    csv, parquet = _round_trips(tmp_path, df)
    assert list(csv.columns) == list(parquet.columns) == list(df.columns)
    typed = [c for c in df.columns if c.startswith("field_mappings.") and df[c].dtype != STRING]
    assert typed, "the tolerance data should hold typed field mappings"
    for name in df.columns:
        if name in typed:
            assert parquet[name].dtype == df[name].dtype and csv[name].dtype == STRING, name
            pd.testing.assert_series_equal(csv[name], parquet[name].astype(STRING), obj=name)
        else:
            assert csv[name].dtype == parquet[name].dtype == df[name].dtype, name
            pd.testing.assert_series_equal(csv[name], parquet[name], obj=name)
