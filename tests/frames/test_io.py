"""export / read_frame: dtypes on round trips, ISO timestamps, formula neutralising, atomicity."""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from fulfillkit.errors import OutputPathError
from fulfillkit.frames import (
    DERIVED_SCHEMA,
    FORMULA_PREFIXES,
    SCHEMA,
    STRING,
    TIMESTAMP,
    ExportFormatError,
    export,
    read_frame,
    to_frame,
)

SUFFIXES = ["parquet", "csv", "csv.gz"]


def records() -> list[dict[str, Any]]:
    return [
        {
            "id": "a",
            "remote_id": "1001",
            "carrier": "UPS",
            "tracking_numbers": ["1Z999", "1Z998"],
            "tracking_urls": ["https://ups.example/1Z999"],
            "items": {},
            "field_mappings": {"gift": True, "boxes": 2, "weight": 1.5, "note": "fragile"},
            "created_at": "2024-10-01T12:00:00.123Z",
            "modified_at": "2024-10-01T08:00:00.456789-04:00",
        },
        {
            "id": "b",
            "carrier": '=HYPERLINK("http://evil")',
            "tracking_numbers": None,
            "items": [{"sku": "ÜBER", "qty": 1}],
            "field_mappings": {"gift": False, "note": "@SUM(A1)", "ünïcode": "東京"},
            "created_at": "2024-10-02T00:00:00Z",
        },
        {"id": "c", "carrier": None, "tracking_numbers": [], "tracking_urls": ["-1+2"]},
    ]


@pytest.fixture
def frame() -> pd.DataFrame:
    return to_frame(records(), remote_data=True)


def as_csv_reads_it(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` as a CSV round trip gives it back: ``field_mappings.*`` columns as text
    (Panora's values are text; the numbers and booleans of other sources stay typed only
    in Parquet), every other column as it was."""
    out = df.copy()
    for name in df.columns:
        if name.startswith("field_mappings") and df[name].dtype != STRING:
            out[name] = df[name].astype(STRING)
    return out


# --- round trips ---------------------------------------------------------------------------


def test_parquet_round_trip_keeps_every_dtype_and_value(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    path = export(frame, tmp_path / "f.parquet")
    assert path == tmp_path / "f.parquet"
    back = read_frame(path)
    pd.testing.assert_frame_equal(back, frame)
    assert back["created_at"].dtype == TIMESTAMP
    assert str(back["created_at"].dt.tz) == "UTC"
    # Plain pandas reads the same dtypes too (pyarrow keeps the pandas metadata), text as
    # the ``string`` dtype with NA (its storage is pandas' default for the version).
    plain = pd.read_parquet(path)
    assert list(plain.columns) == list(frame.columns)
    for name in frame.columns:
        expected = "string" if frame[name].dtype == STRING else frame[name].dtype
        assert plain[name].dtype == expected, name
    pd.testing.assert_frame_equal(plain.astype(frame.dtypes.to_dict()), frame)


@pytest.mark.parametrize("suffix", ["csv", "csv.gz"])
def test_csv_round_trip_restores_base_dtypes_and_values(
    tmp_path: Path, frame: pd.DataFrame, suffix: str
) -> None:
    back = read_frame(export(frame, tmp_path / f"f.{suffix}"))
    assert list(back.columns) == list(frame.columns)
    expected = as_csv_reads_it(frame)
    assert back.dtypes.to_dict() == expected.dtypes.to_dict()
    assert back["field_mappings.boxes"].fillna("-").tolist() == ["2", "2", "-", "-"]
    assert back["field_mappings.gift"].fillna("-").tolist() == ["True", "True", "False", "-"]
    pd.testing.assert_frame_equal(back, expected)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_empty_and_wide_frames_round_trip(tmp_path: Path, suffix: str) -> None:
    for i, df in enumerate([to_frame([]), to_frame(records(), explode=False)]):
        back = read_frame(export(df, tmp_path / f"f{i}.{suffix}"))
        assert back.dtypes[list(df.columns)[:10]].to_dict() == df.dtypes.iloc[:10].to_dict()
        assert len(back) == len(df)


def test_csv_writes_iso_utc_timestamps_with_microseconds(
    tmp_path: Path, frame: pd.DataFrame
) -> None:
    text = export(frame, tmp_path / "f.csv").read_text(encoding="utf-8")
    assert "2024-10-01T12:00:00.123000Z" in text
    assert "2024-10-01T12:00:00.456789Z" in text  # the -04:00 value, in UTC
    assert "+00:00" not in text


def test_csv_gz_is_gzip(tmp_path: Path, frame: pd.DataFrame) -> None:
    path = export(frame, tmp_path / "f.csv.gz")
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(path.read_bytes()).startswith(b"id,remote_id,order_id,carrier,")


# --- formula neutralising ------------------------------------------------------------------


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_formula_cells_are_neutralised_in_csv_and_restored_on_read(
    tmp_path: Path, prefix: str
) -> None:
    evil = f"{prefix}cmd|' /C calc'!A0"
    df = to_frame([{"id": "x", "carrier": evil, "field_mappings": {"note": evil}}])
    path = export(df, tmp_path / "f.csv")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert raw.loc[0, "carrier"] == "'" + evil
    assert raw.loc[0, "field_mappings.note"] == "'" + evil
    back = read_frame(path)
    assert back.loc[0, "carrier"] == evil
    assert back.loc[0, "field_mappings.note"] == evil


def test_only_text_is_neutralised_and_quotes_round_trip(tmp_path: Path) -> None:
    df = to_frame(
        [
            {"id": "'quoted", "carrier": "plain", "field_mappings": {"n": -5, "t": "'=x"}},
            {"id": "y", "carrier": "a=b", "field_mappings": {"n": 3, "t": "ok"}},
        ]
    )
    path = export(df, tmp_path / "f.csv")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert raw["field_mappings.n"].tolist() == ["-5", "3"]  # numbers stay numbers
    assert raw["id"].tolist() == ["''quoted", "y"]
    assert raw["carrier"].tolist() == ["plain", "a=b"]
    assert raw["field_mappings.t"].tolist() == ["''=x", "ok"]
    back = read_frame(path)
    pd.testing.assert_frame_equal(back, as_csv_reads_it(df))


def test_parquet_keeps_text_exactly(tmp_path: Path) -> None:
    df = to_frame([{"id": "x", "carrier": "=1+1"}])
    assert read_frame(export(df, tmp_path / "f.parquet")).loc[0, "carrier"] == "=1+1"


# --- suffixes and atomic writes ------------------------------------------------------------


@pytest.mark.parametrize("name", ["f.xlsx", "f", "f.json", "f.csv.bz2", "parquet"])
def test_unknown_suffix_fails_before_writing(
    tmp_path: Path, frame: pd.DataFrame, name: str
) -> None:
    with pytest.raises(ExportFormatError, match="csv"):
        export(frame, tmp_path / name)
    assert list(tmp_path.iterdir()) == []
    assert issubclass(ExportFormatError, ValueError)


def test_suffix_is_case_insensitive(tmp_path: Path, frame: pd.DataFrame) -> None:
    assert read_frame(export(frame, tmp_path / "F.PARQUET")).shape == frame.shape


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_failed_export_leaves_the_old_file_and_no_temp_file(
    tmp_path: Path, frame: pd.DataFrame, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / f"f.{suffix}"
    target.write_bytes(b"old contents")
    # The library call that writes the bytes: pyarrow's for Parquet, pandas' for CSV.
    owner: Any = pq if suffix == "parquet" else pd.DataFrame
    method = "write_table" if suffix == "parquet" else "to_csv"
    original = getattr(owner, method)

    def half_then_fail(first: Any, path: Any, *args: Any, **kwargs: Any) -> None:
        Path(path).write_bytes(b"half a fi")
        raise OSError("disk full")

    monkeypatch.setattr(owner, method, half_then_fail)
    with pytest.raises(OutputPathError, match="disk full") as caught:
        export(frame, target)
    assert str(target) in str(caught.value) and ".tmp" not in str(caught.value)
    assert target.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]

    monkeypatch.setattr(owner, method, original)
    export(frame, target)
    assert read_frame(target).shape == frame.shape
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_failed_first_export_leaves_nothing(
    tmp_path: Path, frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(table: Any, path: Any, *args: Any, **kwargs: Any) -> None:
        Path(path).write_bytes(b"PAR1")
        raise KeyboardInterrupt

    monkeypatch.setattr(pq, "write_table", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export(frame, tmp_path / "f.parquet")
    assert list(tmp_path.iterdir()) == []


def test_exported_file_has_the_usual_permissions(tmp_path: Path, frame: pd.DataFrame) -> None:
    umask = os.umask(0o022)
    try:
        path = export(frame, tmp_path / "f.csv")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_kwargs_reach_the_writer(tmp_path: Path, frame: pd.DataFrame) -> None:
    path = export(frame, tmp_path / "f.csv", sep=";")
    assert path.read_text(encoding="utf-8").startswith("id;remote_id;")


def test_read_frame_on_a_csv_without_the_schema_infers_types(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("id,flag,n,x,code,when\na,True,1,1.5,007,\nb,False,,2,012,\n")
    df = read_frame(path)
    assert df["id"].dtype == STRING
    assert df["flag"].dtype == "boolean"
    assert df["n"].tolist() == [1, pd.NA]
    assert df["n"].dtype == "Int64"
    assert df["x"].dtype == "Float64"
    assert df["code"].tolist() == ["007", "012"]  # leading zeros: text, not numbers
    assert df["when"].isna().all()
    assert set(SCHEMA) - set(df.columns)  # not a fulfillment frame, and that is fine


@pytest.mark.parametrize("suffix", ["csv", "csv.gz"])
def test_line_breaks_and_delimiters_inside_text_survive_csv(tmp_path: Path, suffix: str) -> None:
    text = 'one\r\ntwo\rthree\nfour, "five"'
    df = to_frame([{"id": "x", "carrier": text, "field_mappings": {"note": text}}])
    back = read_frame(export(df, tmp_path / f"f.{suffix}"))
    assert back["carrier"].tolist() == [text]
    assert back["field_mappings.note"].tolist() == [text]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_named_index_is_kept_and_row_numbers_are_not(tmp_path: Path, suffix: str) -> None:
    report = pd.DataFrame(
        {"fulfillments": pd.array([2, 1], dtype="Int64")},
        index=pd.Index(["UPS", "=cmd()"], dtype=STRING, name="carrier"),
    )
    back = read_frame(export(report, tmp_path / f"r.{suffix}"))
    # Written as a column in both formats, so both read back alike.
    pd.testing.assert_frame_equal(back, report.reset_index())
    if suffix != "parquet":
        assert "'=cmd()" in pd.read_csv(tmp_path / f"r.{suffix}", dtype=str)["carrier"].tolist()
    filtered = to_frame(records()).iloc[2:]  # row numbers 2.., no name
    assert list(read_frame(export(filtered, tmp_path / f"f.{suffix}")).columns) == list(
        filtered.columns
    )


# --- derived columns -----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize(
    "options",
    [{"remote_data": True}, {"explode": False, "remote_data": True}, {}],
)
def test_derived_columns_keep_their_dtypes_and_values(
    tmp_path: Path, suffix: str, options: dict[str, Any]
) -> None:
    df = to_frame(records(), **options)
    derived = [*DERIVED_SCHEMA, *(["shipment_status"] if options.get("remote_data") else [])]
    back = read_frame(export(df, tmp_path / f"f.{suffix}"))
    pd.testing.assert_frame_equal(back[derived], df[derived])
    assert df["tracking_url_derived"].notna().any()  # the UPS number without a URL


@pytest.mark.parametrize("suffix", ["parquet", "csv", "csv.gz"])
def test_empty_frames_keep_the_derived_dtypes(tmp_path: Path, suffix: str) -> None:
    for i, df in enumerate([to_frame([]), to_frame([], explode=False, remote_data=True)]):
        back = read_frame(export(df, tmp_path / f"f{i}.{suffix}"))
        assert back.dtypes.to_dict() == df.dtypes.to_dict()
