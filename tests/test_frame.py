"""to_frame / items_frame on hand-built edge cases, with exact rows, pairings and dtypes."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest

from fulfillkit.frame import (
    INT,
    SCHEMA,
    STRING,
    TIMESTAMP,
    WIDE_SCHEMA,
    FieldMappingCollisionError,
    UnparsedTimestampWarning,
    items_frame,
    schema,
    to_frame,
)
from fulfillkit.models import Fulfillment

BASE = list(SCHEMA)


def rec(id: str, **fields: Any) -> dict[str, Any]:
    """A record as the API returns it: every documented field present."""
    record: dict[str, Any] = {
        "id": id,
        "remote_id": f"r-{id}",
        "order_id": f"o-{id}",
        "carrier": "UPS",
        "tracking_numbers": [],
        "tracking_urls": [],
        "items": {},
        "field_mappings": {},
        "remote_data": None,
        "created_at": "2024-10-01T12:00:00.123Z",
        "modified_at": "2024-10-02T08:30:00.000Z",
    }
    record.update(fields)
    return record


def pairs(df: pd.DataFrame, id: str) -> list[tuple[Any, Any, Any]]:
    rows = df[df["id"] == id]
    return [
        (None if pd.isna(i) else int(i), None if pd.isna(n) else n, None if pd.isna(u) else u)
        for i, n, u in zip(
            rows["tracking_index"], rows["tracking_number"], rows["tracking_url"], strict=True
        )
    ]


# --- rows and pairings ---------------------------------------------------------------------


def test_unequal_null_and_missing_tracking_lists_give_exact_rows_and_pairs() -> None:
    records = [
        rec("more-numbers", tracking_numbers=["N1", "N2", "N3"], tracking_urls=["U1"]),
        rec("more-urls", tracking_numbers=["N1"], tracking_urls=["U1", "U2"]),
        rec("null-numbers", tracking_numbers=None, tracking_urls=["U1"]),
        rec("null-urls", tracking_numbers=["N1", "N2"], tracking_urls=None),
        rec("both-null", tracking_numbers=None, tracking_urls=None),
        rec("both-empty"),
        rec("absent-keys"),
        rec("null-inside", tracking_numbers=[None, "N2"], tracking_urls=["U1", None]),
    ]
    del records[6]["tracking_numbers"], records[6]["tracking_urls"]
    df = to_frame(records)

    assert len(df) == 3 + 2 + 1 + 2 + 1 + 1 + 1 + 2
    assert pairs(df, "more-numbers") == [(0, "N1", "U1"), (1, "N2", None), (2, "N3", None)]
    assert pairs(df, "more-urls") == [(0, "N1", "U1"), (1, None, "U2")]
    assert pairs(df, "null-numbers") == [(0, None, "U1")]
    assert pairs(df, "null-urls") == [(0, "N1", None), (1, "N2", None)]
    assert pairs(df, "both-null") == [(None, None, None)]
    assert pairs(df, "both-empty") == [(None, None, None)]
    assert pairs(df, "absent-keys") == [(None, None, None)]
    assert pairs(df, "null-inside") == [(0, None, "U1"), (1, "N2", None)]
    # Rows of one fulfillment are adjacent and in input order.
    assert df["id"].tolist()[:5] == ["more-numbers"] * 3 + ["more-urls"] * 2
    assert df.index.equals(pd.RangeIndex(len(df)))


def test_per_fulfillment_columns_repeat_on_every_tracking_row() -> None:
    df = to_frame(
        [
            rec("a", tracking_numbers=["1", "2"], field_mappings={"k": 7}, items=[{"sku": "X"}]),
            rec("b", carrier=None, created_at="2024-01-01T00:00:00Z"),
        ]
    )
    a = df[df["id"] == "a"]
    assert a["remote_id"].tolist() == ["r-a", "r-a"]
    assert a["carrier"].tolist() == ["UPS", "UPS"]
    assert a["field_mappings.k"].tolist() == [7, 7]
    assert a["items"].tolist() == ['[{"sku":"X"}]'] * 2
    assert a["created_at"].tolist() == [pd.Timestamp("2024-10-01T12:00:00.123Z")] * 2
    b = df[df["id"] == "b"]
    assert b["carrier"].isna().all()
    assert b["field_mappings.k"].isna().all()
    assert b["created_at"].tolist() == [pd.Timestamp("2024-01-01T00:00:00Z")]


def test_tracking_numbers_sent_as_json_numbers_become_text() -> None:
    df = to_frame([rec("a", tracking_numbers=[12345, "X"], tracking_urls="https://one")])
    assert pairs(df, "a") == [(0, "12345", "https://one"), (1, "X", None)]


# --- columns and dtypes --------------------------------------------------------------------


def test_columns_in_order_with_explicit_dtypes() -> None:
    df = to_frame(
        [rec("a", tracking_numbers=["1"], field_mappings={"z": 1, "a": "x"}, remote_data={})],
        remote_data=True,
    )
    assert list(df.columns) == [*BASE, "field_mappings.z", "field_mappings.a", "remote_data"]
    assert df.dtypes[BASE].to_dict() == dict(SCHEMA)
    assert df.dtypes["remote_data"] == STRING
    assert str(df["created_at"].dtype) == "datetime64[us, UTC]"
    id_dtype = df["id"].dtype
    assert isinstance(id_dtype, pd.StringDtype)
    assert id_dtype == pd.StringDtype("python")
    assert id_dtype.na_value is pd.NA
    assert "remote_data" not in to_frame([rec("a")]).columns


def no_records() -> Iterator[dict[str, Any]]:
    yield from ()


@pytest.mark.parametrize("records", [[], iter([]), no_records()])
def test_empty_input_gives_empty_frame_with_the_same_columns_and_dtypes(records: Any) -> None:
    df = to_frame(records)
    assert df.shape == (0, len(SCHEMA))
    assert df.dtypes.to_dict() == dict(SCHEMA)
    wide = to_frame([], explode=False, remote_data=True)
    assert wide.dtypes.to_dict() == schema(explode=False, remote_data=True)


def test_schema_helper_matches_real_frames() -> None:
    full = to_frame([rec("a", tracking_numbers=["1", "2"])], remote_data=True)
    assert full.dtypes.to_dict() == schema(remote_data=True)
    wide = to_frame([rec("a")], explode=False)
    assert wide.dtypes.to_dict() == schema(explode=False) == dict(WIDE_SCHEMA)


def test_fulfillment_objects_and_dicts_give_the_same_frame() -> None:
    records = [
        rec("a", tracking_numbers=["1", "2"], tracking_urls=["u"], field_mappings={"x": {"y": 1}}),
        rec("b", tracking_numbers=None, items=None, created_at="2024-10-01T08:00:00-04:00"),
        rec("c", items=[{"sku": "S", "quantity": 2}], remote_data={"status": "success"}),
    ]
    from_dicts = to_frame(records, remote_data=True)
    models = [Fulfillment.model_validate(r) for r in records]
    pd.testing.assert_frame_equal(to_frame(models, remote_data=True), from_dicts)
    mixed: list[Fulfillment | Mapping[str, Any]] = [models[0], records[1], models[2]]
    pd.testing.assert_frame_equal(to_frame(mixed, remote_data=True), from_dicts)


# --- timestamps ----------------------------------------------------------------------------


def test_timestamps_are_utc_microseconds_whatever_the_input_offset() -> None:
    df = to_frame(
        [
            rec("z", created_at="2024-10-01T12:00:00.123Z"),
            rec("offset", created_at="2024-10-01T08:00:00.5-04:00"),
            rec("naive", created_at="2024-10-01T12:00:00"),
            rec("null", created_at=None),
        ]
    )
    assert df["created_at"].tolist()[:3] == [
        pd.Timestamp("2024-10-01 12:00:00.123", tz="UTC"),
        pd.Timestamp("2024-10-01 12:00:00.500", tz="UTC"),
        pd.Timestamp("2024-10-01 12:00:00", tz="UTC"),
    ]
    assert pd.isna(df["created_at"].iloc[3])
    assert df["created_at"].dtype == TIMESTAMP


def test_unparseable_timestamps_become_nat_with_one_warning_naming_the_ids() -> None:
    records = [
        rec("good"),
        rec("bad-created", created_at="yesterday"),
        rec("bad-modified", modified_at="2024-13-45T99:00:00Z"),
        rec("a-number", created_at=1727784000),
        rec("null-is-fine", created_at=None),
    ]
    with pytest.warns(UnparsedTimestampWarning) as caught:
        df = to_frame(records)
    assert len(caught) == 1
    message = str(caught[0].message)
    for name in ("bad-created", "bad-modified", "a-number"):
        assert repr(name) in message
    assert "'good'" not in message
    assert "'null-is-fine'" not in message
    created = dict(zip(df["id"], df["created_at"], strict=True))
    assert pd.isna(created["bad-created"])
    assert pd.isna(created["a-number"])
    assert created["bad-modified"] == pd.Timestamp("2024-10-01T12:00:00.123Z")
    assert len(df) == len(records)


def test_fulfillment_with_unparsed_timestamp_warns_with_its_id() -> None:
    model = Fulfillment.model_validate(rec("m1", created_at="not a date"))
    assert model.unparsed_timestamps == {"created_at": "not a date"}
    with pytest.warns(UnparsedTimestampWarning, match="'m1'"):
        df = to_frame([model, Fulfillment.model_validate(rec("fine"))])
    assert pd.isna(df["created_at"].iloc[0])
    assert df["created_at"].iloc[1] == pd.Timestamp("2024-10-01T12:00:00.123Z")


def test_good_timestamps_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        to_frame([rec("a"), rec("b", created_at=None, modified_at=None)])
        to_frame([Fulfillment(id="x", created_at=datetime(2024, 1, 1, tzinfo=UTC))])


# --- field mappings ------------------------------------------------------------------------


def test_nested_field_mappings_flatten_like_json_normalize() -> None:
    mappings: list[dict[str, Any]] = [
        {"a": {"b": 1, "c": {"d": "x"}}, "e": True},
        {},
        {"e": False, "f": 2.5, "a": {"b": 3}},
    ]
    records = [rec(f"r{i}", field_mappings=m) for i, m in enumerate(mappings)]
    df = to_frame(records)
    oracle = pd.json_normalize([{"field_mappings": m} for m in mappings])
    assert set(df.columns[len(BASE) :]) == set(oracle.columns)
    assert list(df.columns[len(BASE) :]) == [
        "field_mappings.a.b",
        "field_mappings.a.c.d",
        "field_mappings.e",
        "field_mappings.f",
    ]
    assert df["field_mappings.a.b"].dtype == INT
    assert df["field_mappings.a.b"].tolist() == [1, pd.NA, 3]
    assert df["field_mappings.a.c.d"].dtype == STRING
    assert df["field_mappings.e"].dtype == "boolean"
    assert df["field_mappings.e"].tolist() == [True, pd.NA, False]
    assert df["field_mappings.f"].dtype == "Float64"


def test_custom_separator() -> None:
    df = to_frame([rec("a", field_mappings={"a": {"b": 1}})], sep="__")
    assert "field_mappings__a__b" in df.columns


@pytest.mark.parametrize(
    ("values", "dtype", "expected"),
    [
        ([1, 2, None], "Int64", [1, 2, pd.NA]),
        ([1, 2.5, None], "Float64", [1.0, 2.5, pd.NA]),
        ([True, None, False], "boolean", [True, pd.NA, False]),
        (["x", None, "ÿ"], "string", ["x", pd.NA, "ÿ"]),
        ([None, None, None], "string", [pd.NA, pd.NA, pd.NA]),
        ([1, "1", None], "string", ["1", '"1"', pd.NA]),  # mixed: JSON text per value
        ([True, 1, None], "string", ["true", "1", pd.NA]),  # bool is not an int here
        ([[1, "a"], {}, None], "string", ['[1,"a"]', "{}", pd.NA]),
        ([2**70, 1, None], "string", [str(2**70), "1", pd.NA]),  # beyond Int64: text
    ],
)
def test_field_mapping_columns_get_the_narrowest_type(
    values: list[Any], dtype: str, expected: list[Any]
) -> None:
    df = to_frame([rec(str(i), field_mappings={"k": v}) for i, v in enumerate(values)])
    column = df["field_mappings.k"]
    assert column.dtype == (STRING if dtype == "string" else dtype)
    assert column.tolist() == expected


@pytest.mark.parametrize(
    "records",
    [
        [rec("one", field_mappings={"a.b": 1, "a": {"b": 2}})],
        [rec("one", field_mappings={"a.b": 1}), rec("two", field_mappings={"a": {"b": 2}})],
    ],
)
def test_colliding_field_mapping_keys_raise_naming_column_and_ids(
    records: list[dict[str, Any]],
) -> None:
    with pytest.raises(FieldMappingCollisionError) as info:
        to_frame(records)
    message = str(info.value)
    assert "'field_mappings.a.b'" in message
    assert "['a.b']" in message
    assert "['a']['b']" in message
    assert "'one'" in message
    assert "sep=" in message
    assert isinstance(info.value, ValueError)
    # Another separator keeps both, visibly apart.
    df = to_frame(records, sep="/")
    assert df["field_mappings/a.b"].dropna().tolist() == [1]
    assert df["field_mappings/a/b"].dropna().tolist() == [2]


def test_unicode_keys_and_values_survive() -> None:
    mapping = {"倉庫": "東京", "Straße": {"Nr": 5}, "emoji 🚚": "✓", "entrepôt": None}
    df = to_frame([rec("u", field_mappings=mapping, items=[{"title": "Kōhī"}])])
    assert df.loc[0, "field_mappings.倉庫"] == "東京"
    assert df.loc[0, "field_mappings.Straße.Nr"] == 5
    assert df.loc[0, "field_mappings.emoji 🚚"] == "✓"
    assert pd.isna(df["field_mappings.entrepôt"].iloc[0])
    assert df.loc[0, "items"] == '[{"title":"Kōhī"}]'  # not \\u-escaped


# --- JSON columns --------------------------------------------------------------------------


def test_items_and_remote_data_are_lossless_json_text() -> None:
    raw = {"status": "success", "line_items": [{"id": 1, "price": "9.90"}], "n": None, "f": 1.5}
    items: list[Any] = [{}, None, [{"sku": "A", "qty": 2}], {"unexpected": {"nested": [1]}}]
    df = to_frame(
        [rec(str(i), items=it, remote_data=raw if i else None) for i, it in enumerate(items)],
        remote_data=True,
    )
    assert df["items"].tolist()[:2] == ["{}", pd.NA]
    assert [json.loads(v) for v in df["items"].tolist()[2:]] == items[2:]
    assert pd.isna(df["remote_data"].iloc[0])
    assert json.loads(df["remote_data"].iloc[1]) == raw


# --- explode=False -------------------------------------------------------------------------


def test_explode_false_keeps_one_row_per_fulfillment_with_count_and_lists() -> None:
    records = [
        rec("a", tracking_numbers=["N1", "N2", "N3"], tracking_urls=["U1"]),
        rec("b", tracking_numbers=None, tracking_urls=None),
        rec("c", tracking_numbers=[], tracking_urls=["U1", "U2"]),
    ]
    df = to_frame(records, explode=False)
    assert list(df.columns) == list(WIDE_SCHEMA)
    assert df.dtypes.to_dict() == dict(WIDE_SCHEMA)
    assert df["id"].tolist() == ["a", "b", "c"]
    assert df["tracking_count"].tolist() == [3, 0, 2]
    assert df["tracking_numbers"].tolist() == ['["N1","N2","N3"]', pd.NA, "[]"]
    assert [json.loads(v) for v in df["tracking_urls"].dropna()] == [["U1"], ["U1", "U2"]]


# --- items_frame ---------------------------------------------------------------------------


def test_items_frame_uses_items_lists_else_remote_line_items() -> None:
    records: list[Mapping[str, Any]] = [
        rec("list", items=[{"id": 1, "sku": "A", "quantity": 2}, {"id": 2, "sku": "B"}]),
        rec("remote", items={}, remote_data={"line_items": [{"id": 9, "price": "1.50"}]}),
        rec("none", items=None, remote_data=None),
        rec("empty-list", items=[], remote_data={"line_items": [{"id": 5}]}),
        rec("odd", items=["just-a-string"]),
    ]
    df = items_frame(records)
    assert df["id"].tolist() == ["list", "list", "remote", "odd"]
    assert df["item_index"].tolist() == [0, 1, 0, 0]
    assert df["item.id"].tolist() == [1, 2, 9, pd.NA]
    assert df["item.sku"].tolist() == ["A", "B", pd.NA, pd.NA]
    assert df["item.quantity"].tolist() == [2, pd.NA, pd.NA, pd.NA]
    assert df["item.price"].tolist() == [pd.NA, pd.NA, "1.50", pd.NA]
    assert df["item.value"].tolist() == [pd.NA, pd.NA, pd.NA, "just-a-string"]
    assert df.dtypes[["id", "item_index", "item.id"]].tolist() == [STRING, INT, INT]
    models = [Fulfillment.model_validate(r) for r in records]
    pd.testing.assert_frame_equal(items_frame(models), df)


def test_items_frame_of_nothing() -> None:
    df = items_frame([])
    assert list(df.columns) == ["id", "item_index"]
    assert df.dtypes.tolist() == [STRING, INT]


# --- sandbox data --------------------------------------------------------------------------


def test_sandbox_data_matches_the_json_normalize_oracle() -> None:
    from fulfillkit.sandbox import make_dataset

    records = json.loads(json.dumps(make_dataset(400, seed=3).fulfillments))
    df = to_frame(records)

    oracle = pd.json_normalize(records, max_level=0)
    lengths = [
        max(len(a or []), len(b or []))
        for a, b in zip(oracle["tracking_numbers"], oracle["tracking_urls"], strict=True)
    ]
    assert len(df) == sum(max(1, n) for n in lengths)
    assert df["id"].value_counts().to_dict() == {
        i: max(1, n) for i, n in zip(oracle["id"], lengths, strict=True)
    }
    expected_pairs = [
        (r["id"], k, numbers[k] if k < len(numbers) else None, urls[k] if k < len(urls) else None)
        for r in records
        for numbers, urls in [(r["tracking_numbers"] or [], r["tracking_urls"] or [])]
        for k in range(max(len(numbers), len(urls)))
    ]
    tracked = df[df["tracking_index"].notna()]
    got = [
        (i, int(k), None if pd.isna(n) else n, None if pd.isna(u) else u)
        for i, k, n, u in zip(
            tracked["id"],
            tracked["tracking_index"],
            tracked["tracking_number"],
            tracked["tracking_url"],
            strict=True,
        )
    ]
    assert got == expected_pairs
    created = pd.to_datetime(oracle["created_at"], utc=True, format="ISO8601")
    firsts = df.drop_duplicates("id")
    assert np.array_equal(firsts["created_at"].to_numpy(), created.to_numpy())
    mapping_columns = {c for c in df.columns if c.startswith("field_mappings.")}
    normalized = pd.json_normalize([{"field_mappings": r["field_mappings"]} for r in records])
    assert mapping_columns == set(normalized.columns)


@pytest.mark.parametrize("order", [1, -1])
def test_naive_text_next_to_offset_text_is_still_read_as_utc(order: int) -> None:
    # pandas 2.2 would read "naive" with the previous value's -04:00 offset.
    texts = {
        "offset": "2024-10-01T08:00:00-04:00",
        "naive": "2024-10-01T12:00:00",
        "date": "2024-10-02",
        "zulu": "2024-10-01T12:00:00Z",
        "plus": "2024-10-01 14:00:00+0200",
    }
    df = to_frame([rec(i, created_at=t) for i, t in list(texts.items())[::order]])
    created = dict(zip(df["id"], df["created_at"], strict=True))
    noon = pd.Timestamp("2024-10-01T12:00:00Z")
    assert created == {
        "offset": noon,
        "naive": noon,
        "date": pd.Timestamp("2024-10-02T00:00:00Z"),
        "zulu": noon,
        "plus": noon,
    }
