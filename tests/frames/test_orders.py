"""orders_frame and join_orders: dtypes, a left join that keeps every fulfillment, the lag."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pytest

from fulfillkit.errors import InvalidDataError
from fulfillkit.frames import (
    JOIN_SCHEMA,
    LAG,
    ORDERS_SCHEMA,
    STRING,
    TIMESTAMP,
    join_orders,
    orders_frame,
    to_frame,
)
from fulfillkit.models import Order

ORDERS: list[dict[str, Any]] = [
    {
        "id": "o1",
        "order_number": "1001",
        "order_status": "open",
        "fulfillment_status": "fulfilled",
        "currency": "USD",
        "total_price": 59.9,
        "created_at": "2024-10-01T10:00:00.000Z",
    },
    {
        "id": "o2",
        "order_number": 1002,  # a number: text in the frame
        "order_status": "closed",
        "fulfillment_status": None,
        "currency": "EUR",
        "total_price": "12.50",  # text: read as a number
        "created_at": "2024-10-02T00:00:00+02:00",
    },
]

FULFILLMENTS: list[dict[str, Any]] = [
    {
        "id": "f1",
        "order_id": "o1",
        "tracking_numbers": ["A", "B"],
        "created_at": "2024-10-02T12:30:00Z",
    },
    {"id": "f2", "order_id": "o-missing", "created_at": "2024-10-03T00:00:00Z"},
    {"id": "f3", "order_id": None, "created_at": "2024-10-03T00:00:00Z"},
    {"id": "f4", "order_id": "o2", "created_at": None},
    {"id": "f5", "order_id": "o2", "created_at": "2024-10-01T23:00:00Z"},
]


@pytest.fixture
def df() -> pd.DataFrame:
    return to_frame(FULFILLMENTS)


def test_orders_frame_has_explicit_dtypes() -> None:
    frame = orders_frame(ORDERS)
    assert frame.dtypes.to_dict() == dict(ORDERS_SCHEMA)
    assert frame["order_number"].tolist() == ["1001", "1002"]
    assert frame["total_price"].tolist() == [59.9, 12.5]
    assert frame["created_at"].tolist() == [
        pd.Timestamp("2024-10-01T10:00:00Z"),
        pd.Timestamp("2024-10-01T22:00:00Z"),
    ]
    assert orders_frame([]).dtypes.to_dict() == dict(ORDERS_SCHEMA)
    assert orders_frame([{"id": "x", "total_price": "n/a"}])["total_price"].isna().all()


def test_orders_frame_from_models_equals_from_dicts() -> None:
    models = [Order.model_validate(o) for o in ORDERS]
    pd.testing.assert_frame_equal(orders_frame(models), orders_frame(ORDERS))
    with pytest.raises(TypeError, match="Order"):
        orders_frame(["o1"])  # type: ignore[list-item]


def test_join_keeps_every_row_in_order_with_na_for_missing_orders(df: pd.DataFrame) -> None:
    joined = join_orders(df, ORDERS)
    assert list(joined.columns) == [*df.columns, *JOIN_SCHEMA]
    assert joined.dtypes[list(JOIN_SCHEMA)].to_dict() == dict(JOIN_SCHEMA)
    assert joined["id"].tolist() == ["f1", "f1", "f2", "f3", "f4", "f5"]
    assert joined.index.equals(df.index)
    pd.testing.assert_frame_equal(joined[list(df.columns)], df)  # nothing else changed
    assert joined["order_number"].tolist() == ["1001", "1001", pd.NA, pd.NA, "1002", "1002"]
    assert joined["currency"].tolist() == ["USD", "USD", pd.NA, pd.NA, "EUR", "EUR"]
    assert joined["fulfillment_status"].tolist() == ["fulfilled"] * 2 + [pd.NA] * 4
    assert joined["total_price"].tolist() == [59.9, 59.9, pd.NA, pd.NA, 12.5, 12.5]
    assert joined["order_created_at"].dtype == TIMESTAMP
    assert joined["order_created_at"].isna().tolist() == [False, False, True, True, False, False]


def test_fulfillment_lag(df: pd.DataFrame) -> None:
    lag = join_orders(df, ORDERS)["fulfillment_lag"]
    assert lag.dtype == LAG
    day_and_a_half = pd.Timedelta(days=1, hours=2, minutes=30)
    assert lag.tolist()[:2] == [day_and_a_half, day_and_a_half]
    assert lag.isna().tolist() == [False, False, True, True, True, False]  # f4: no created_at
    assert lag.iloc[5] == pd.Timedelta(hours=1)  # 22:00Z order, 23:00Z fulfillment


@dataclass
class FakeBatch:
    """What the lead's client.get_orders returns: a BatchResult-like object."""

    records: list[Order] = field(default_factory=list)


def test_join_accepts_frames_models_and_batches(df: pd.DataFrame) -> None:
    expected = join_orders(df, ORDERS)
    models = [Order.model_validate(o) for o in ORDERS]
    for orders in (orders_frame(ORDERS), models, FakeBatch(models), iter(ORDERS)):
        pd.testing.assert_frame_equal(join_orders(df, orders), expected)


def test_join_on_a_wide_frame_and_an_empty_one() -> None:
    wide = join_orders(to_frame(FULFILLMENTS, explode=False), ORDERS)
    assert wide["order_number"].tolist() == ["1001", pd.NA, pd.NA, "1002", "1002"]
    empty = join_orders(to_frame([]), [])
    assert len(empty) == 0
    assert empty.dtypes[list(JOIN_SCHEMA)].to_dict() == dict(JOIN_SCHEMA)
    no_orders = join_orders(to_frame(FULFILLMENTS), [])
    assert no_orders["order_number"].isna().all()
    assert no_orders["fulfillment_lag"].isna().all()


def test_duplicate_orders_last_wins_and_bad_inputs_raise(df: pd.DataFrame) -> None:
    newer = {**ORDERS[0], "order_status": "closed"}
    joined = join_orders(df, [*ORDERS, newer])
    assert joined["order_status"].tolist()[:2] == ["closed", "closed"]
    with pytest.raises(InvalidDataError, match="already has order columns"):
        join_orders(joined, ORDERS)
    with pytest.raises(InvalidDataError, match="order_id"):
        join_orders(df.drop(columns=["order_id"]), ORDERS)


def test_join_on_sandbox_orders() -> None:
    from fulfillkit.sandbox import make_dataset

    data = make_dataset(200, seed=11)
    records = json.loads(json.dumps(data.fulfillments))
    orders = [o for o in (data.get_order(i) for i in data.order_ids[::2]) if o is not None]
    joined = join_orders(to_frame(records), orders)
    by_id = {o["id"]: o for o in orders}
    expected = [
        by_id[o]["order_number"] if o in by_id else None
        for o in joined["order_id"].astype(object).where(joined["order_id"].notna(), None)
    ]
    assert [None if pd.isna(v) else v for v in joined["order_number"]] == expected
    known = joined["fulfillment_lag"].dropna()
    assert len(known) > 0 and (known >= pd.Timedelta(0)).all()
    assert joined["order_number"].dtype == STRING
    assert joined["fulfillment_lag"].dtype == np.dtype("timedelta64[us]")
