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

from fulfillkit.carriers import DEFAULT_CARRIERS
from fulfillkit.frames import (
    DERIVED_SCHEMA,
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
DERIVED = list(DERIVED_SCHEMA)
NO_URLS: dict[str, str] = {}  # url_templates that derive no URL: pairs exactly as sent


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
    df = to_frame(records, url_templates=NO_URLS)

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
    assert pairs(df, "a") == [(0, "12345", "https://one"), (1, "X", None)]  # as sent
    derived = df["tracking_url_derived"].tolist()
    assert derived == [pd.NA, "https://www.ups.com/track?tracknum=X"]  # UPS has a template


@pytest.mark.parametrize("bare", ["éa", "日本", "", "AB", "🙂x"])
def test_a_bare_short_text_is_one_tracking_value_not_its_characters(bare: str) -> None:
    """Arrow reads text as the list of its characters (1-4 UTF-8 bytes each): a bare
    value of a few characters, any of them multi-byte, is still one value, while real
    lists of one-character values keep their items."""
    df = to_frame(
        [
            rec("bare", tracking_numbers=bare, tracking_urls=["U1"]),
            rec("short", tracking_numbers=["A", "é"]),
            rec("long", tracking_numbers=["1Z999AA10123456784"]),
        ],
        url_templates=NO_URLS,
    )
    assert pairs(df, "bare") == [(0, bare, "U1")]
    assert pairs(df, "short") == [(0, "A", None), (1, "é", None)]
    assert pairs(df, "long") == [(0, "1Z999AA10123456784", None)]


# --- columns and dtypes --------------------------------------------------------------------


def test_columns_in_order_with_explicit_dtypes() -> None:
    df = to_frame(
        [rec("a", tracking_numbers=["1"], field_mappings={"z": 1, "a": "x"}, remote_data={})],
        remote_data=True,
    )
    assert list(df.columns) == [
        *BASE,
        "field_mappings.z",
        "field_mappings.a",
        *DERIVED,
        "shipment_status",
        "remote_data",
    ]
    assert df.dtypes[BASE].to_dict() == dict(SCHEMA)
    assert df.dtypes[DERIVED].to_dict() == dict(DERIVED_SCHEMA)
    assert df.dtypes["shipment_status"] == STRING
    assert df.dtypes["remote_data"] == STRING
    assert str(df["created_at"].dtype) == "datetime64[us, UTC]"
    id_dtype = df["id"].dtype
    assert isinstance(id_dtype, pd.StringDtype)
    assert id_dtype == pd.StringDtype("pyarrow")
    assert id_dtype.na_value is pd.NA
    assert "remote_data" not in to_frame([rec("a")]).columns
    assert "shipment_status" not in to_frame([rec("a")]).columns


def no_records() -> Iterator[dict[str, Any]]:
    yield from ()


@pytest.mark.parametrize("records", [[], iter([]), no_records()])
def test_empty_input_gives_empty_frame_with_the_same_columns_and_dtypes(records: Any) -> None:
    df = to_frame(records)
    assert df.shape == (0, len(SCHEMA) + len(DERIVED_SCHEMA))
    assert df.dtypes.to_dict() == schema() == {**SCHEMA, **DERIVED_SCHEMA}
    wide = to_frame([], explode=False, remote_data=True)
    assert wide.dtypes.to_dict() == schema(explode=False, remote_data=True)


def test_schema_helper_matches_real_frames() -> None:
    full = to_frame([rec("a", tracking_numbers=["1", "2"])], remote_data=True)
    assert full.dtypes.to_dict() == schema(remote_data=True)
    wide = to_frame([rec("a")], explode=False)
    assert wide.dtypes.to_dict() == schema(explode=False) == {**WIDE_SCHEMA, **DERIVED_SCHEMA}


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
    assert set(df.columns[len(BASE) : -len(DERIVED)]) == set(oracle.columns)
    assert list(df.columns[len(BASE) : -len(DERIVED)]) == [
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
    assert list(df.columns) == [*WIDE_SCHEMA, *DERIVED]
    assert df.dtypes.to_dict() == schema(explode=False)
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
    df = to_frame(records, url_templates=NO_URLS)

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


# --- derived carrier columns ---------------------------------------------------------------

UPS_OK = "1Z999AA10123456784"  # UPS's own published example
USPS_OK = "9400111201080805483016"  # IMpb
FEDEX_OK = "986578788855"
DHL_OK = "3318810025"
ROYAL_MAIL_OK = "RR123456785GB"


def derived(df: pd.DataFrame, id: str) -> list[tuple[Any, ...]]:
    rows = df[df["id"] == id]
    return [
        tuple(None if pd.isna(v) else v for v in row)
        for row in rows[["carrier_canonical", "carrier_detected", "carrier_mismatch"]].itertuples(
            index=False
        )
    ]


def test_canonical_detected_and_mismatch_per_tracking_row() -> None:
    df = to_frame(
        [
            rec("ups", carrier=" ups ", tracking_numbers=[UPS_OK, FEDEX_OK]),
            rec("null", carrier=None, tracking_numbers=[ROYAL_MAIL_OK, "nope"]),
            rec("other", carrier="Other", tracking_numbers=[DHL_OK]),
            rec("fedex-impb", carrier="FedEx SmartPost", tracking_numbers=[USPS_OK]),
            rec("evri", carrier="Evri", tracking_numbers=[UPS_OK]),
            rec("none", carrier="DHL Express", tracking_numbers=None),
            rec("typo", carrier="UPS", tracking_numbers=[UPS_OK[:-1] + "5"]),
        ]
    )
    assert derived(df, "ups") == [("UPS", "UPS", False), ("UPS", "FedEx", True)]
    assert derived(df, "null") == [("Unknown", "Royal Mail", False), ("Unknown", None, False)]
    assert derived(df, "other") == [("Other", "DHL", False)]  # Other/Unknown never mismatch
    assert derived(df, "fedex-impb") == [("FedEx", "USPS", False)]  # SmartPost rides USPS
    assert derived(df, "evri") == [("Evri", "UPS", True)]
    assert derived(df, "none") == [("DHL", None, False)]
    assert derived(df, "typo") == [("UPS", None, False)]  # a wrong check digit detects nothing
    assert not df["carrier_canonical"].isna().any()
    assert not df["carrier_mismatch"].isna().any()


def test_urls_are_derived_only_where_a_number_has_none() -> None:
    df = to_frame(
        [
            rec("given", carrier="UPS", tracking_numbers=[UPS_OK], tracking_urls=["https://x"]),
            rec("stated", carrier="USPS", tracking_numbers=[USPS_OK, "  "]),
            rec("detected", carrier=None, tracking_numbers=[ROYAL_MAIL_OK]),
            rec("unknown", carrier="Bob's Courier", tracking_numbers=["BOB-1"]),
            rec("encoded", carrier="FedEx", tracking_numbers=["A B/C?d=1&e"]),
            rec("url-only", carrier="UPS", tracking_numbers=[], tracking_urls=["https://u"]),
        ]
    )
    urls = dict(zip(df["tracking_number"].fillna("-"), df["tracking_url"], strict=True))
    derived = dict(zip(df["tracking_number"].fillna("-"), df["tracking_url_derived"], strict=True))
    assert urls[UPS_OK] == "https://x" and pd.isna(derived[UPS_OK])
    assert pd.isna(urls[USPS_OK])  # tracking_url holds what Panora sent, nothing else
    assert derived[USPS_OK] == f"https://tools.usps.com/go/TrackConfirmAction?tLabels={USPS_OK}"
    assert pd.isna(urls["  "]) and pd.isna(derived["  "])  # a blank number gets no URL
    assert derived[ROYAL_MAIL_OK].endswith("#/tracking-results/RR123456785GB")  # detected
    assert pd.isna(urls["BOB-1"]) and pd.isna(derived["BOB-1"])
    assert (
        derived["A B/C?d=1&e"] == "https://www.fedex.com/fedextrack/?trknbr=A%20B%2FC%3Fd%3D1%26e"
    )
    assert urls["-"] == "https://u" and pd.isna(derived["-"])
    assert df["tracking_url_derived"].dtype == STRING


def test_user_tables_and_templates_are_used() -> None:
    table = DEFAULT_CARRIERS.with_rules(("Bob's Courier", [r"\bbob'?s courier\b"]))
    df = to_frame(
        [rec("a", carrier="BOB'S COURIER", tracking_numbers=["B1"])],
        carriers=table,
        url_templates={"Bob's Courier": "https://bob.example/t/{}"},
    )
    assert df.loc[0, "carrier_canonical"] == "Bob's Courier"
    assert df.loc[0, "tracking_url_derived"] == "https://bob.example/t/B1"
    assert df["tracking_url"].isna().all()
    assert to_frame([rec("a", carrier="BOB'S COURIER")]).loc[0, "carrier_canonical"] == "Unknown"


def test_wide_frame_derives_per_fulfillment_and_keeps_the_lists_as_sent() -> None:
    records = [
        rec("a", carrier="FedEx", tracking_numbers=["x", UPS_OK, FEDEX_OK], tracking_urls=["u"]),
        rec("b", carrier=None, tracking_numbers=None),
        rec("c", carrier=None, tracking_numbers=[DHL_OK], tracking_urls=["u"]),
    ]
    wide = to_frame(records, explode=False)
    assert wide["carrier_canonical"].tolist() == ["FedEx", "Unknown", "Unknown"]
    assert wide["carrier_detected"].tolist() == ["UPS", pd.NA, "DHL"]  # the first detected
    assert wide["carrier_mismatch"].tolist() == [True, False, False]  # any number
    # The first derived page: UPS_OK (under FedEx) is the first number without a URL.
    first = "https://www.fedex.com/fedextrack/?trknbr=" + UPS_OK
    assert wide["tracking_url_derived"].tolist() == [first, pd.NA, pd.NA]
    assert json.loads(str(wide.loc[0, "tracking_urls"])) == ["u"]  # the lists stay as sent
    long = to_frame(records)
    per_id = long.groupby("id", sort=False)["tracking_url_derived"].first()
    assert per_id.reindex(wide["id"]).tolist() == wide["tracking_url_derived"].tolist()


def test_shipment_status_from_remote_data() -> None:
    df = to_frame(
        [
            rec("a", tracking_numbers=["1", "2"], remote_data={"shipment_status": "In Transit"}),
            rec("b", remote_data={"shipment_status": None, "status": "cancelled"}),
            rec("c", remote_data={"shipment_status": None, "status": "success"}),
            rec("d", remote_data={"shipment_status": "out-for-delivery"}),
            rec("e", remote_data=None),
            rec("f", remote_data={"shipment_status": 3}),
        ],
        remote_data=True,
    )
    assert df["shipment_status"].tolist() == [
        "in_transit",
        "in_transit",
        "cancelled",
        pd.NA,
        "out_for_delivery",
        pd.NA,
        pd.NA,
    ]
    wide = to_frame(
        [rec("a", remote_data={"shipment_status": "DELIVERED"})], explode=False, remote_data=True
    )
    assert wide["shipment_status"].tolist() == ["delivered"]


def test_derived_columns_on_sandbox_data_agree_with_the_scalar_functions() -> None:
    from fulfillkit.carriers import canonical_carrier, detect_carrier
    from fulfillkit.sandbox import make_dataset

    records = json.loads(json.dumps(make_dataset(400, seed=3).fulfillments))
    df = to_frame(records)
    tracked = df[df["tracking_number"].notna()]
    expected = [detect_carrier(n) for n in tracked["tracking_number"]]
    assert [None if pd.isna(v) else v for v in tracked["carrier_detected"]] == expected
    assert df["carrier_canonical"].tolist() == [
        canonical_carrier(c)
        for c in df["carrier"].astype(object).where(df["carrier"].notna(), None)
    ]
    assert tracked["carrier_detected"].notna().mean() > 0.5


def test_field_mappings_as_one_json_column_give_a_fixed_schema() -> None:
    records = [rec("a", field_mappings={"x": {"y": 1}}), rec("b", field_mappings=None)]
    df = to_frame(records, field_mappings="json", remote_data=True)
    assert df.dtypes.to_dict() == schema(field_mappings="json", remote_data=True)
    assert list(df.columns).index("field_mappings") == len(BASE)
    assert df["field_mappings"].tolist() == ['{"x":{"y":1}}', pd.NA]
    empty = to_frame([], field_mappings="json", explode=False)
    assert empty.dtypes.to_dict() == schema(field_mappings="json", explode=False)
    with pytest.raises(ValueError, match="columns"):
        to_frame(records, field_mappings="flat")  # type: ignore[arg-type]


def test_zoned_timestamps_parse_the_same_on_the_fast_path() -> None:
    import pyarrow as pa

    from fulfillkit.frames.timestamps import parse_timestamps

    zoned = [
        "2024-10-01T12:00:00.123Z",
        "2024-10-01T08:00:00-04:00",
        "2024-10-01 14:00:00+0200",
        "2024-10-01T12:00:00.1Z",
        "2024-02-29T23:59:59.999999+00:00",
        None,
    ]
    fast, bad = parse_timestamps(pa.array(zoned))  # Arrow's cast
    expected = pd.to_datetime(pd.Series(zoned), utc=True, format="ISO8601").dt.as_unit("us")
    assert fast.to_pylist() == [None if pd.isna(v) else v.to_pydatetime() for v in expected]
    assert not bad.any()
    for odd in ("2024-10-01T12:00:00", "2024-10-02", "2024-10-01T12:00:00.123456789Z"):
        slow, bad = parse_timestamps(pa.array([*zoned, odd]))  # pandas parses these
        assert slow.to_pylist()[:-1] == fast.to_pylist() and not bad.any()
    assert parse_timestamps(pa.array([*zoned, "garbage"]))[1].tolist() == [False] * 6 + [True]


def test_derived_urls_for_awkward_numbers_and_templates() -> None:
    df = to_frame(
        [rec("a", carrier="X", tracking_numbers=["plain1", " sp ace ", 42, "ü-1", ""])],
        url_templates={"X": "https://x.example/{}?a={b}"},  # keyed by canonical name
        carriers=DEFAULT_CARRIERS.with_rules(("X", ["^x$"])),
    )
    assert df["tracking_url"].isna().all()
    assert df["tracking_url_derived"].fillna("-").tolist() == [
        "https://x.example/plain1?a={b}",
        "https://x.example/sp%20ace?a={b}",
        "https://x.example/42?a={b}",
        "https://x.example/%C3%BC-1?a={b}",
        "-",
    ]
