"""Properties of to_frame over generated records: nothing lost, nothing invented, nothing moved.

For any records: every fulfillment appears; it has ``max(1, n)`` rows where ``n`` is the
longer of its two tracking lists; and the (number, url) pair at each ``tracking_index`` is
the pair at that position in the input (``None`` past the end of the shorter list), except
that a URL is derived exactly where a non-blank number has none and the carrier has a
tracking page (then ``tracking_url_derived`` is set).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from fulfillkit.carriers import (
    TRACKING_URL_TEMPLATES,
    canonical_carrier,
    detect_carrier,
    tracking_url,
)
from fulfillkit.frame import DERIVED_SCHEMA, SCHEMA, to_frame
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
    rows: list[tuple[int | None, Any, Any]] = []
    for k in range(n):
        number = numbers[k] if k < len(numbers) else None
        url = urls[k] if k < len(urls) else None
        if not (url and url.strip()) and number is not None:  # derived: stated, else detected
            stated = canonical_carrier(record["carrier"])
            chosen = stated if stated in TRACKING_URL_TEMPLATES else detect_carrier(number)
            url = tracking_url(chosen, number) or url
        rows.append((k, number, url))
    return rows


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
    # A URL is flagged as derived exactly where the input had none at that position.
    given = {
        (r["id"], k)
        for r in batch
        for k, u in enumerate(r["tracking_urls"] or [])
        if u is not None and u.strip()
    }
    for fid, k, url, flag in zip(
        df["id"],
        df["tracking_index"],
        df["tracking_url"],
        df["tracking_url_derived"],
        strict=True,
    ):
        has_given = not pd.isna(k) and (fid, int(k)) in given
        if flag:
            assert not has_given and url.startswith("https://")


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
