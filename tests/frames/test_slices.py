"""Inputs longer than one slice (``fulfillkit.frames.build.CHUNK`` records): the result is
the same as for the input built in smaller pieces, whatever the slicing."""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd
import pytest

from fulfillkit.frames import (
    FieldMappingCollisionError,
    UnparsedTimestampWarning,
    to_arrow,
    to_frame,
)
from fulfillkit.frames.build import CHUNK
from fulfillkit.sandbox import make_dataset

N = 2 * CHUNK + 1_000
"""Three slices, the last a short one."""
PIECE = 9_000
"""The reference is built in pieces that do not line up with the slices (each under one
slice, so built in one go)."""


def _records() -> list[dict[str, Any]]:
    """Sandbox records (messy, remote data included) where each slice brings field-mapping
    keys of its own: a key only in the second slice, one only in the last record."""
    records = make_dataset(N, seed=3).fulfillments
    for i in range(CHUNK + 10, CHUNK + 20):
        records[i] = {**records[i], "field_mappings": {"second_slice_only": f"v{i}"}}
    records[-1] = {**records[-1], "field_mappings": {"last_only": "x", "second_slice_only": "y"}}
    return records


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return _records()


def _in_pieces(records: list[dict[str, Any]], **options: Any) -> pd.DataFrame:
    frames = [to_frame(records[i : i + PIECE], **options) for i in range(0, len(records), PIECE)]
    whole = pd.concat(frames, ignore_index=True)
    dtypes: dict[str, Any] = {}
    for frame in frames:  # a column's dtype in the first piece that has it
        dtypes.update({str(k): v for k, v in frame.dtypes.items() if k not in dtypes})
    return whole.astype(dtypes)


@pytest.mark.parametrize("explode", [True, False])
def test_slices_agree_with_pieces(records: list[dict[str, Any]], explode: bool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnparsedTimestampWarning)
        built = to_frame(records, explode=explode, remote_data=True)
        expected = _in_pieces(records, explode=explode, remote_data=True)
    mapped = [c for c in built.columns if c.startswith("field_mappings.")]
    assert mapped.index("field_mappings.second_slice_only") < mapped.index(
        "field_mappings.last_only"
    )
    assert mapped[-1] == "field_mappings.last_only"  # first appearance order, across slices
    # pieces of a concat put new keys after the derived columns; same columns otherwise
    assert sorted(built.columns) == sorted(expected.columns)
    pd.testing.assert_frame_equal(built, expected[built.columns])
    assert built["field_mappings.last_only"].notna().sum() == 1
    assert built["field_mappings.second_slice_only"].notna().sum() == 11


def test_slices_arrow_is_chunked_and_equal(records: list[dict[str, Any]]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnparsedTimestampWarning)
        table = to_arrow(records)
        frame = to_frame(records)
    assert table.column("id").num_chunks == 3
    assert table.column_names == list(frame.columns)
    assert table.column("tracking_number").to_pylist() == [
        None if pd.isna(v) else v for v in frame["tracking_number"]
    ]


def test_unparsed_timestamps_warn_once_across_slices(records: list[dict[str, Any]]) -> None:
    bad = list(records)
    bad[5] = {**bad[5], "created_at": "not a time"}
    bad[-5] = {**bad[-5], "modified_at": "neither"}
    with pytest.warns(UnparsedTimestampWarning) as caught:
        to_frame(bad)
    messages = [str(w.message) for w in caught if w.category is UnparsedTimestampWarning]
    assert len(messages) == 1
    assert bad[5]["id"] in messages[0] and bad[-5]["id"] in messages[0]


def test_collision_across_slices_is_still_found(records: list[dict[str, Any]]) -> None:
    """A flat key in the first slice and the nested key it collides with in the last: the
    whole input is read as one (as it must be to see the collision)."""
    colliding = list(records)
    colliding[0] = {**colliding[0], "field_mappings": {"a.b": "flat"}}
    colliding[-1] = {**colliding[-1], "field_mappings": {"a": {"b": "nested"}}}
    with pytest.raises(FieldMappingCollisionError):
        to_frame(colliding)


def test_nested_mapping_types_inferred_over_all_slices(records: list[dict[str, Any]]) -> None:
    """Whole numbers in the first slice and a fraction in the last: one Float64 column, as
    for the input built in one go."""
    mixed = list(records)
    mixed[0] = {**mixed[0], "field_mappings": {"dims": {"w": 2}}}
    mixed[-1] = {**mixed[-1], "field_mappings": {"dims": {"w": 2.5}}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnparsedTimestampWarning)
        df = to_frame(mixed, explode=False)
    assert str(df["field_mappings.dims.w"].dtype) == "Float64"
    assert df["field_mappings.dims.w"].dropna().tolist() == [2.0, 2.5]
