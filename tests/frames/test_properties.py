"""Properties of to_frame over generated records: nothing lost, nothing invented, nothing moved.

For any records: every fulfillment appears; it has ``max(1, n)`` rows where ``n`` is the
longer of its two tracking lists; and the (number, url) pair at each ``tracking_index`` is
the pair at that position in the input (``None`` past the end of the shorter list), verbatim;
a tracking page is derived, into ``tracking_url_derived`` only, exactly where a non-blank
number has no URL and the carrier has a tracking page. ``to_frame``, ``to_arrow`` and
``to_polars`` agree row for row and value for value on messy records (string and nested
field mappings, ``{}`` and list items, bad timestamps).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fulfillkit.carriers import (
    TRACKING_URL_TEMPLATES,
    canonical_carrier,
    detect_carrier,
    tracking_url,
)
from fulfillkit.frames import (
    DERIVED_SCHEMA,
    SCHEMA,
    FieldMappingCollisionError,
    to_arrow,
    to_frame,
)
from fulfillkit.models import Fulfillment

text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=8)
number = st.one_of(
    text,
    st.sampled_from(["1Z999AA10123456784", "RR123456785GB", "3318810025", "986578788855", " "]),
)
tracking_list = st.one_of(st.none(), st.lists(st.one_of(st.none(), number), max_size=5))
scalar = st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40), text)


@st.composite
def records(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Records with unique ids (the properties are stated per id)."""
    ids = draw(st.lists(st.uuids().map(str), max_size=25, unique=True))
    return [
        {
            "id": fid,
            "carrier": draw(
                st.one_of(st.none(), st.sampled_from(["UPS", "ups", "DHL", "Other", "Evri"]))
            ),
            "tracking_numbers": draw(tracking_list),
            "tracking_urls": draw(tracking_list),
            "items": draw(st.one_of(st.none(), st.just({}), st.lists(st.just({"sku": "A"})))),
            "field_mappings": draw(st.dictionaries(st.sampled_from(["a", "b", "ç"]), scalar)),
            "created_at": draw(st.one_of(st.none(), st.just("2024-10-01T12:00:00.123Z"))),
        }
        for fid in ids
    ]


def expected_rows(record: dict[str, Any]) -> list[tuple[int | None, Any, Any]]:
    numbers = record["tracking_numbers"] or []
    urls = record["tracking_urls"] or []
    n = max(len(numbers), len(urls))
    if n == 0:
        return [(None, None, None)]
    return [
        (k, numbers[k] if k < len(numbers) else None, urls[k] if k < len(urls) else None)
        for k in range(n)
    ]


def expected_derived(record: dict[str, Any]) -> list[str | None]:
    """Per row, the tracking page worked out for a number without a URL (stated carrier's,
    else the detected one's)."""
    out: list[str | None] = []
    for _, number, url in expected_rows(record):
        derived = None
        if not (url and url.strip()) and number is not None:
            stated = canonical_carrier(record["carrier"])
            chosen = stated if stated in TRACKING_URL_TEMPLATES else detect_carrier(number)
            derived = tracking_url(chosen, number)
        out.append(derived)
    return out


def actual_rows(df: pd.DataFrame) -> dict[str, list[tuple[int | None, Any, Any]]]:
    out: dict[str, list[tuple[int | None, Any, Any]]] = {}
    for fid, k, number, url in zip(
        df["id"], df["tracking_index"], df["tracking_number"], df["tracking_url"], strict=True
    ):
        out.setdefault(fid, []).append(
            (
                None if pd.isna(k) else int(k),
                None if pd.isna(number) else number,
                None if pd.isna(url) else url,
            )
        )
    return out


@settings(max_examples=150, deadline=None)
@given(records())
def test_every_fulfillment_appears_with_its_pairs_in_position(batch: list[dict[str, Any]]) -> None:
    df = to_frame(batch)
    rows = actual_rows(df)
    assert list(rows) == [r["id"] for r in batch]  # each id once, in input order
    for record in batch:
        assert rows[record["id"]] == expected_rows(record)
    assert len(df) == sum(max(1, len(expected_rows(r))) for r in batch)
    assert df.dtypes[list(SCHEMA)].to_dict() == dict(SCHEMA)
    assert df.dtypes[list(DERIVED_SCHEMA)].to_dict() == dict(DERIVED_SCHEMA)
    derived: dict[str, list[Any]] = {}
    for fid, url in zip(df["id"], df["tracking_url_derived"], strict=True):
        derived.setdefault(fid, []).append(None if pd.isna(url) else url)
    for record in batch:
        assert derived[record["id"]] == expected_derived(record)


@settings(max_examples=75, deadline=None)
@given(records())
def test_wide_frame_counts_agree_with_the_exploded_one(batch: list[dict[str, Any]]) -> None:
    wide = to_frame(batch, explode=False)
    long = to_frame(batch)
    assert wide["id"].tolist() == [r["id"] for r in batch]
    per_id = long.groupby("id", sort=False)["tracking_index"].count()
    assert wide["tracking_count"].tolist() == [int(per_id.get(r["id"], 0)) for r in batch]


@settings(max_examples=50, deadline=None)
@given(records())
def test_models_and_dicts_agree(batch: list[dict[str, Any]]) -> None:
    models = [Fulfillment.model_validate(r) for r in batch]
    pd.testing.assert_frame_equal(to_frame(models), to_frame(batch))


messy_mapping = st.one_of(
    st.none(),
    st.dictionaries(st.sampled_from(["size", "gift", "ç"]), text, max_size=3),  # Panora's
    st.dictionaries(
        st.sampled_from(["a", "b"]),
        st.one_of(scalar, st.dictionaries(st.sampled_from(["x", "y"]), scalar, max_size=2)),
        max_size=2,
    ),
)
timestamp = st.one_of(
    st.none(),
    st.sampled_from(["2024-10-01T12:00:00.123Z", "2024-10-01T08:00:00-04:00", "soon", ""]),
)


@st.composite
def messy_records(draw: st.DrawFn) -> list[dict[str, Any]]:
    ids = draw(st.lists(st.one_of(st.none(), st.uuids().map(str)), max_size=20))
    return [
        {
            "id": fid,
            "carrier": draw(st.one_of(st.none(), st.sampled_from(["UPS", "dhl", "Other"]), text)),
            "tracking_numbers": draw(tracking_list),
            "tracking_urls": draw(tracking_list),
            "items": draw(st.one_of(st.none(), st.just({}), st.lists(st.just({"sku": "A"})))),
            "field_mappings": draw(messy_mapping),
            "remote_data": draw(
                st.one_of(
                    st.none(),
                    st.fixed_dictionaries(
                        {
                            "shipment_status": st.one_of(
                                st.none(), st.sampled_from(["In Transit", ""])
                            )
                        }
                    ),
                )
            ),
            "created_at": draw(timestamp),
            "modified_at": draw(timestamp),
        }
        for fid in ids
    ]


def _plain(value: Any) -> Any:
    """One spelling of a missing value and of a timestamp across pandas, Arrow and Polars."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "isoformat"):
        return pd.Timestamp(value).tz_convert("UTC").isoformat()
    return value


@settings(max_examples=100, deadline=None)
@given(messy_records(), st.booleans())
def test_to_frame_to_arrow_and_to_polars_agree(batch: list[dict[str, Any]], explode: bool) -> None:
    import warnings

    from fulfillkit.frames.schema import to_pandas

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bad timestamps warn; tested apart
        try:
            table = to_arrow(batch, explode=explode, remote_data=True, sep="__")
        except FieldMappingCollisionError:
            return  # refused by to_frame alike (tested apart)
        frame = to_frame(batch, explode=explode, remote_data=True, sep="__")
    assert list(frame.columns) == table.column_names
    assert frame.dtypes.to_dict() == to_pandas(table.slice(0, 0)).dtypes.to_dict()
    arrow_rows = table.to_pylist()
    frame_rows = [
        {name: _plain(value) for name, value in row.items()}
        for row in frame.astype(object).to_dict("records")
    ]
    assert frame_rows == [{k: _plain(v) for k, v in row.items()} for row in arrow_rows]
    polars = pytest.importorskip("polars")
    from fulfillkit.frames import to_polars

    pl_frame = to_polars(table)
    assert isinstance(pl_frame, polars.DataFrame)
    assert pl_frame.columns == table.column_names
    assert [{k: _plain(v) for k, v in row.items()} for row in pl_frame.to_dicts()] == [
        {k: _plain(v) for k, v in row.items()} for row in arrow_rows
    ]
