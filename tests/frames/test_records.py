"""The record table (one typed row per record) and its layout: ``record_table`` +
``frame_from_record_table`` is ``to_frame``, before and after a DuckDB round trip, in one
piece or in chunks, with the same warnings; extra per-record columns ride along."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fulfillkit.errors import InvalidDataError
from fulfillkit.formatting import to_json
from fulfillkit.frames import (
    RECORD_SCHEMA,
    FieldMappingCollisionError,
    UnparsedTimestampWarning,
    arrow_from_record_table,
    frame_from_record_table,
    record_table,
    to_arrow,
    to_frame,
)
from fulfillkit.frames.jsontext import json_lists, json_maps
from fulfillkit.frames.records import CHUNK
from fulfillkit.models import Fulfillment
from fulfillkit.sandbox import make_dataset

OPTIONS = [
    {},
    {"explode": False},
    {"field_mappings": "json"},
    {"explode": False, "field_mappings": "json", "sep": "__"},
]


def _odd(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sandbox records with what Panora does not send but the frames accept: unparseable
    timestamps, numbers and bare text as tracking values, nested and numeric mappings,
    control characters and quotes in text, null and empty lists and mappings."""
    odd = [dict(r) for r in records]
    odd[1]["created_at"] = "soon"
    odd[2]["modified_at"] = "2024-13-45T00:00:00Z"
    odd[3]["tracking_numbers"] = [123456789012, "1Z999AA10123456784"]
    odd[4]["tracking_urls"] = "https://t.example/bare"
    odd[5]["tracking_numbers"] = "1Z"  # a bare short text: one value, not its characters
    odd[6]["field_mappings"] = {"dims": {"w": 2, "h": 2.5}, "gift": True, "note": None}
    odd[7]["field_mappings"] = {"size": 'X"L\\', "line\nbreak": "tab\there\x01"}
    odd[8].update(tracking_numbers=None, tracking_urls=[], field_mappings=None, items=None)
    odd[9].update(tracking_numbers=[], tracking_urls=None, field_mappings={}, items=[])
    odd[10]["tracking_numbers"] = ['quote"d', None, "é\u2028"]
    return odd


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return _odd(make_dataset(600, seed=7, list_items=True, tolerance_mappings=True).fulfillments)


@pytest.fixture(scope="module")
def flat_records() -> list[dict[str, Any]]:
    """Panora's shape only (flat text mappings), without remote data."""
    plain = make_dataset(600, seed=8).fulfillments
    return [{k: v for k, v in r.items() if k != "remote_data"} for r in plain]


def _quiet_frame(records: Any, **options: Any) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnparsedTimestampWarning)
        return to_frame(records, **options)


def _quiet_layout(table: Any, **options: Any) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnparsedTimestampWarning)
        return frame_from_record_table(table, **options)


# --- the record table ----------------------------------------------------------------------


def test_record_table_has_one_typed_row_per_record(records: list[dict[str, Any]]) -> None:
    table = record_table(records)
    assert table.schema == RECORD_SCHEMA
    assert table.num_rows == len(records)
    assert table.column("id").to_pylist() == [r["id"] for r in records]
    assert table.column("unparsed_timestamps").to_pylist()[:4] == [False, True, True, False]
    assert table.column("created_at")[1].as_py() is None  # "soon"
    assert table.column("tracking_numbers")[3].as_py() == ["123456789012", "1Z999AA10123456784"]
    assert table.column("tracking_numbers")[5].as_py() == ["1Z"]
    assert table.column("tracking_numbers_json")[5].as_py() == '"1Z"'  # as sent
    assert table.column("tracking_numbers_json")[3].as_py() == '[123456789012,"1Z999AA10123456784"]'
    assert table.column("tracking_numbers_json").null_count == len(records) - 2
    assert table.column("tracking_urls")[4].as_py() == ["https://t.example/bare"]
    # nested mappings: JSON text, and no map; flat text ones: a map, and no JSON
    assert table.column("field_mappings")[6].as_py() is None
    assert table.column("field_mappings_json")[6].as_py() == to_json(records[6]["field_mappings"])
    assert table.column("field_mappings")[7].as_py() == list(records[7]["field_mappings"].items())
    assert table.column("field_mappings_json")[7].as_py() is None
    # null and empty stay apart
    assert [table.column(c)[8].as_py() for c in ("tracking_numbers", "field_mappings")] == [
        None,
        None,
    ]
    assert [table.column(c)[9].as_py() for c in ("tracking_numbers", "field_mappings")] == [[], []]
    assert table.column("items")[9].as_py() == "[]" and table.column("items")[8].as_py() is None
    assert table.column("remote_data").null_count == 0  # the sandbox sends remote data


def test_remote_data_columns_are_null_unless_asked_or_present(
    flat_records: list[dict[str, Any]], records: list[dict[str, Any]]
) -> None:
    assert record_table(flat_records).column("remote_data").null_count == len(flat_records)
    assert record_table(records, remote_data=False).column("shipment_status").null_count == len(
        records
    )
    statuses = record_table(records).column("shipment_status").to_pylist()
    shown = _quiet_frame(records, explode=False)["shipment_status"]
    assert statuses == [None if pd.isna(v) else v for v in shown]
    assert {"delivered", "in_transit"} <= set(statuses)


def test_models_and_dicts_give_the_same_record_table(flat_records: list[dict[str, Any]]) -> None:
    models = [Fulfillment.model_validate(r) for r in flat_records]
    assert record_table(models).equals(record_table(flat_records))


def test_empty_input_gives_an_empty_table_and_the_empty_frame() -> None:
    table = record_table([])
    assert table.schema == RECORD_SCHEMA and table.num_rows == 0
    pd.testing.assert_frame_equal(frame_from_record_table(table), to_frame([]))


# --- layout == to_frame ----------------------------------------------------------------------


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(map(str, o.values())) or "-")
def test_layout_of_the_record_table_is_to_frame(
    records: list[dict[str, Any]], flat_records: list[dict[str, Any]], options: dict[str, Any]
) -> None:
    for given_records in (records, flat_records):
        expected = _quiet_frame(given_records, **options)
        built = _quiet_layout(record_table(given_records), **options)
        pd.testing.assert_frame_equal(built, expected)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnparsedTimestampWarning)
            arrow = arrow_from_record_table(record_table(given_records), **options)
            assert arrow.equals(to_arrow(given_records, **options))


def test_remote_data_option_is_honoured_from_the_table(records: list[dict[str, Any]]) -> None:
    table = record_table(records)
    assert "remote_data" in _quiet_layout(table)
    assert "remote_data" not in _quiet_layout(table, remote_data=False)
    without = record_table(records, remote_data=False)
    assert "remote_data" not in _quiet_layout(without)  # nothing read: nothing shown
    pd.testing.assert_series_equal(
        _quiet_layout(without, remote_data=True)["remote_data"],
        _quiet_frame([{**r, "remote_data": None} for r in records], remote_data=True)[
            "remote_data"
        ],
    )


def test_the_layout_warns_like_to_frame(records: list[dict[str, Any]]) -> None:
    with pytest.warns(UnparsedTimestampWarning) as expected:
        to_frame(records)
    with pytest.warns(UnparsedTimestampWarning) as got:
        frame_from_record_table(record_table(records))
    assert [str(w.message) for w in got] == [str(w.message) for w in expected]
    assert records[1]["id"] in str(got[0].message) and records[2]["id"] in str(got[0].message)
    assert got[0].filename == __file__  # points at the caller


def test_colliding_keys_in_a_record_table_raise_as_to_frame_does() -> None:
    colliding = [
        {"id": "flat", "field_mappings": {"a.b": "x"}},
        {"id": "nested", "field_mappings": {"a": {"b": 1}}},
    ]
    with pytest.raises(FieldMappingCollisionError, match="'flat', 'nested'"):
        frame_from_record_table(record_table(colliding))


# --- extra per-record columns ----------------------------------------------------------------


def test_extra_columns_ride_on_every_row_of_their_record(records: list[dict[str, Any]]) -> None:
    table = record_table(records)
    labels = pa.array([f"shop-{i % 3}" for i in range(len(records))])
    table = table.append_column("connection", labels)
    first = _quiet_layout(table, leading=["connection"])
    assert list(first.columns) == ["connection", *_quiet_frame(records).columns]
    pd.testing.assert_frame_equal(first.drop(columns="connection"), _quiet_frame(records))
    by_id = dict(zip(table.column("id").to_pylist(), labels.to_pylist(), strict=True))
    assert first["connection"].tolist() == first["id"].map(by_id).tolist()
    last = _quiet_layout(table, explode=False)
    assert last.columns[-1] == "connection" and last["connection"].tolist() == labels.to_pylist()
    assert str(first["connection"].dtype) == "string"


def test_bad_tables_and_options_are_refused_by_name(records: list[dict[str, Any]]) -> None:
    table = record_table(records[:5])
    with pytest.raises(InvalidDataError, match="missing: items"):
        frame_from_record_table(table.drop_columns(["items"]))
    with pytest.raises(InvalidDataError, match="not list"):
        frame_from_record_table(records)
    broken = table.set_column(0, "id", pa.array([[1]] * 5))
    with pytest.raises(InvalidDataError, match="'id'"):
        frame_from_record_table(broken)
    with pytest.raises(InvalidDataError, match="carrier_canonical"):
        frame_from_record_table(table.append_column("carrier_canonical", pa.array(["x"] * 5)))
    with pytest.raises(ValueError, match="'connection'"):
        frame_from_record_table(table, leading=["connection"])
    with pytest.raises(ValueError, match="field_mappings must be"):
        frame_from_record_table(table, field_mappings="wide")  # type: ignore[arg-type]


# --- through DuckDB ----------------------------------------------------------------------


def _duckdb_tables(table: pa.Table, path: Path, timezone: str = "UTC") -> Iterator[Any]:
    """The record table stored in a DuckDB file, read back every way DuckDB gives Arrow:
    a whole table, a stream of small batches, and the relation itself."""
    duckdb = pytest.importorskip("duckdb")
    with duckdb.connect(str(path)) as con:
        con.register("stored", table)
        con.execute("create or replace table records as select * from stored")
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute(f"SET TimeZone='{timezone}'")
        yield con.sql("select * from records").arrow().read_all()
        yield con.sql("select * from records").arrow(5_000)  # a RecordBatchReader
        yield con.sql("select * from records")  # anything with __arrow_c_stream__


def test_every_record_table_type_survives_duckdb(
    records: list[dict[str, Any]], tmp_path: Path
) -> None:
    table = record_table(records)
    back = next(_duckdb_tables(table, tmp_path / "store.duckdb"))
    assert back.column_names == RECORD_SCHEMA.names
    assert back.cast(RECORD_SCHEMA).equals(table)


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(map(str, o.values())) or "-")
def test_a_duckdb_round_trip_gives_the_same_frame_and_warnings(
    records: list[dict[str, Any]], tmp_path: Path, options: dict[str, Any]
) -> None:
    with pytest.warns(UnparsedTimestampWarning) as caught:
        expected = to_frame(records, **options)
    for back in _duckdb_tables(record_table(records), tmp_path / "store.duckdb"):
        with pytest.warns(UnparsedTimestampWarning) as got:
            built = frame_from_record_table(back, **options)
        pd.testing.assert_frame_equal(built, expected)
        assert [str(w.message) for w in got] == [str(w.message) for w in caught]


def test_a_session_in_another_zone_reads_the_same_instants(
    flat_records: list[dict[str, Any]], tmp_path: Path
) -> None:
    tables = _duckdb_tables(record_table(flat_records), tmp_path / "s.duckdb", "Asia/Kolkata")
    back = next(tables)
    assert back.schema.field("created_at").type.tz == "Asia/Kolkata"
    pd.testing.assert_frame_equal(frame_from_record_table(back), to_frame(flat_records))


# --- longer than one chunk -----------------------------------------------------------------


def test_chunked_tables_through_duckdb_give_the_whole_frame(tmp_path: Path) -> None:
    """Three chunks; a mapping key only in the second and one only in the last record, and
    numbers in a mapping in the last chunk (typed from every record)."""
    long = make_dataset(2 * CHUNK + 1_000, seed=3).fulfillments
    for i in range(CHUNK + 10, CHUNK + 20):
        long[i] = {**long[i], "field_mappings": {"second_slice_only": f"v{i}"}}
    long[-2] = {**long[-2], "field_mappings": {"second_slice_only": 7}}
    long[-1] = {**long[-1], "field_mappings": {"last_only": "x"}, "created_at": "never"}
    table = record_table(long)
    assert [len(c) for c in table.column("id").chunks] == [CHUNK, CHUNK, 1_000]
    with pytest.warns(UnparsedTimestampWarning):
        expected = to_frame(long)
    assert expected["field_mappings.second_slice_only"].tolist()[-3:] == [pd.NA, "7", pd.NA]
    for back in _duckdb_tables(table, tmp_path / "long.duckdb"):
        with pytest.warns(UnparsedTimestampWarning, match=long[-1]["id"]):
            built = frame_from_record_table(back)
        pd.testing.assert_frame_equal(built, expected)


def test_a_stream_without_remote_data_drops_the_columns(
    flat_records: list[dict[str, Any]], tmp_path: Path
) -> None:
    for back in _duckdb_tables(record_table(flat_records), tmp_path / "flat.duckdb"):
        built = frame_from_record_table(back)
        assert "remote_data" not in built
        pd.testing.assert_frame_equal(built, to_frame(flat_records))


# --- JSON text written by kernels ----------------------------------------------------------

text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=6)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.lists(st.one_of(st.none(), text), max_size=4)), max_size=8),
    st.lists(
        st.one_of(st.none(), st.dictionaries(text, st.one_of(st.none(), text), max_size=3)),
        max_size=8,
    ),
)
def test_json_text_from_kernels_is_to_json(
    lists: list[list[str | None] | None], maps: list[dict[str, str | None] | None]
) -> None:
    as_lists = pa.array(lists, type=pa.list_(pa.string()))
    as_maps = pa.array(maps, type=pa.map_(pa.string(), pa.string()))
    assert json_lists(as_lists).to_pylist() == [None if v is None else to_json(v) for v in lists]
    assert json_maps(as_maps).to_pylist() == [None if v is None else to_json(v) for v in maps]
