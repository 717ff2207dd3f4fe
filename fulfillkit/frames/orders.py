"""Orders as a DataFrame, and joining them onto fulfillments.

A fulfillment's ``order_id`` is its order's Panora ``id``. :func:`orders_frame` turns orders
(:class:`~fulfillkit.models.Order` objects, the plain dicts the API returns, or what
``client.get_orders`` gives back) into one typed row per order; :func:`join_orders` adds
the order's number, statuses, currency, total and creation time to every fulfillment row,
and how long the order waited to be fulfilled.

Example:
    >>> from fulfillkit.frames import to_frame
    >>> df = to_frame([
    ...     {"id": "f1", "order_id": "o1", "created_at": "2024-10-02T14:00:00Z"},
    ...     {"id": "f2", "order_id": "o-missing"},
    ... ])
    >>> orders = [{"id": "o1", "order_number": "1001", "currency": "EUR",
    ...            "total_price": 42.5, "created_at": "2024-10-01T12:00:00Z"}]
    >>> joined = join_orders(df, orders)
    >>> print(joined[["id", "order_number", "total_price", "fulfillment_lag"]].to_string())
       id order_number  total_price fulfillment_lag
    0  f1         1001         42.5 1 days 02:00:00
    1  f2         <NA>         <NA>             NaT
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa

from fulfillkit.errors import InvalidDataError
from fulfillkit.frames.coerce import frame_of
from fulfillkit.frames.records import checked_records
from fulfillkit.frames.schema import FLOAT, STRING, TIMESTAMP, strings, to_pandas
from fulfillkit.frames.timestamps import parse_timestamps
from fulfillkit.models import Order

__all__ = [
    "JOIN_SCHEMA",
    "LAG",
    "MONEY",
    "ORDERS_SCHEMA",
    "join_orders",
    "orders_frame",
    "orders_table",
]

MONEY: Final = FLOAT
"""Amounts: nullable ``Float64`` (Panora's unified order gives numbers)."""
LAG: Final = np.dtype("timedelta64[us]")
"""``fulfillment_lag``: microsecond timedeltas, ``NaT`` when either time is unknown."""

ORDERS_SCHEMA: Final[Mapping[str, Any]] = {
    "id": STRING,
    "remote_id": STRING,
    "order_number": STRING,
    "order_status": STRING,
    "payment_status": STRING,
    "fulfillment_status": STRING,
    "currency": STRING,
    "total_price": MONEY,
    "total_discount": MONEY,
    "total_shipping": MONEY,
    "total_tax": MONEY,
    "customer_id": STRING,
    "created_at": TIMESTAMP,
    "modified_at": TIMESTAMP,
}
"""Columns of :func:`orders_frame` and their dtypes, in order."""

JOIN_SCHEMA: Final[Mapping[str, Any]] = {
    "order_number": STRING,
    "order_status": STRING,
    "fulfillment_status": STRING,
    "currency": STRING,
    "total_price": MONEY,
    "order_created_at": TIMESTAMP,
    "fulfillment_lag": LAG,
}
"""Columns :func:`join_orders` appends, in order (``order_created_at`` is the order's
``created_at``; ``fulfillment_lag`` is the fulfillment's ``created_at`` minus it)."""

_TEXT_FIELDS: Final = tuple(name for name, dtype in ORDERS_SCHEMA.items() if dtype == STRING)
_MONEY_FIELDS: Final = tuple(name for name, dtype in ORDERS_SCHEMA.items() if dtype == MONEY)
# The order columns join_orders takes from the orders frame, and their names in the result.
_JOINED: Final = {
    "order_number": "order_number",
    "order_status": "order_status",
    "fulfillment_status": "fulfillment_status",
    "currency": "currency",
    "total_price": "total_price",
    "created_at": "order_created_at",
}

OrdersLike = pd.DataFrame | Iterable[Order | Mapping[str, Any]] | Any
_ORDERS: Final = "orders (fk.Order objects, the API's dicts, an OrdersResult or an orders_frame)"


def orders_frame(orders: Iterable[Order | Mapping[str, Any]]) -> pd.DataFrame:
    """Orders as a DataFrame: one row per order, the columns of :data:`ORDERS_SCHEMA`.

    Text is ``string``, amounts ``Float64`` (text such as ``"19.99"`` is read as a number,
    anything unreadable becomes ``NA``), timestamps ``datetime64[us, UTC]``. An empty input
    gives an empty frame with the same columns and dtypes.

    Example:
        >>> df = orders_frame([{"id": "o1", "total_price": "19.99", "order_number": 1001}])
        >>> df.loc[0, "total_price"], df.loc[0, "order_number"], str(df["created_at"].dtype)
        (np.float64(19.99), '1001', 'datetime64[us, UTC]')
    """
    return to_pandas(orders_table(orders))


def orders_table(orders: Iterable[Order | Mapping[str, Any]]) -> pa.Table:
    """Orders as a ``pyarrow.Table`` with the columns of :data:`ORDERS_SCHEMA` (text
    ``string``, amounts ``float64``, timestamps ``timestamp[us, UTC]``): what
    :func:`orders_frame` converts, and what the store keeps as an order's typed columns.

    Example:
        >>> orders_table([{"id": "o1", "total_price": 12}]).column("total_price").to_pylist()
        [12.0]
    """
    return _orders_table(checked_records(orders, what="orders_frame", kinds=(Order,), noun=_ORDERS))


def _orders_table(orders: list[Order | Mapping[str, Any]]) -> pa.Table:
    """:func:`orders_table` of orders checked already."""
    values: dict[str, list[Any]] = {name: [] for name in ORDERS_SCHEMA}
    for order in orders:
        d: Mapping[str, Any] = order.__dict__ if isinstance(order, Order) else order
        for name, column in values.items():
            column.append(d.get(name))
    columns: dict[str, Any] = {name: strings(values[name]) for name in _TEXT_FIELDS}
    for name in _MONEY_FIELDS:
        numbers = pd.to_numeric(pd.Series(values[name], dtype=object), errors="coerce")
        columns[name] = pa.array(numbers.astype(MONEY).array)
    for name in ("created_at", "modified_at"):
        columns[name] = parse_timestamps(values[name])[0]
    return pa.table({name: columns[name] for name in ORDERS_SCHEMA})


def join_orders(df: pd.DataFrame, orders: OrdersLike) -> pd.DataFrame:
    """``df`` (a :func:`~fulfillkit.to_frame` frame) with its orders' columns appended.

    Rows are matched on ``df["order_id"] == order["id"]``, as a left join that keeps every
    row of ``df``, its order and its index: a fulfillment whose order is missing (not
    fetched, failed, or no ``order_id``) keeps its row with ``NA`` order columns. Appended,
    in order (:data:`JOIN_SCHEMA`): ``order_number``, ``order_status``,
    ``fulfillment_status`` (the order's), ``currency``, ``total_price``, ``order_created_at``
    (the order's ``created_at``) and ``fulfillment_lag`` (the fulfillment's ``created_at``
    minus the order's, a ``timedelta64[us]``). When an order id occurs twice among
    ``orders``, the last one wins.

    Args:
        df: fulfillments, exploded or not; needs an ``order_id`` column (``created_at`` for
            the lag, else the lag is ``NaT``).
        orders: an :func:`orders_frame`, or ``fk.Order`` objects / dicts, or what
            ``client.get_orders`` returns (anything with ``.records`` or ``.orders``, or
            iterable over the orders).

    Raises:
        InvalidDataError: ``df`` is not fulfillments (by the data rule) or has no
            ``order_id`` column, or already has order columns; ``orders`` are not orders.
    """
    df = frame_of(df, what="join_orders")
    if "order_id" not in df:
        raise InvalidDataError("join_orders needs an order_id column (a frame from fk.to_frame)")
    clash = [name for name in JOIN_SCHEMA if name in df]
    if clash:
        raise InvalidDataError(f"the frame already has order columns {clash}: drop them first")
    table = (
        orders if isinstance(orders, pd.DataFrame) else to_pandas(_orders_table(_records(orders)))
    )
    if "id" not in table:
        raise InvalidDataError("the orders frame needs an id column (see fk.orders_frame)")
    table = table.drop_duplicates("id", keep="last")
    keys = pd.Index(table["id"].astype(STRING))
    position = keys.get_indexer(pd.Index(df["order_id"].astype(STRING)))
    missing = position < 0
    out = df.copy(deep=False)
    for source, target in _JOINED.items():
        dtype = JOIN_SCHEMA[target]
        if source in table:
            column = table[source].astype(dtype).array
            out[target] = pd.Series(column.take(position, allow_fill=True), index=df.index)
        else:
            out[target] = pd.Series(pd.array([pd.NA] * len(df), dtype=dtype), index=df.index)
    if "created_at" in df:
        lag = df["created_at"].astype(TIMESTAMP) - out["order_created_at"]
        out["fulfillment_lag"] = lag.astype(LAG)
    else:
        out["fulfillment_lag"] = pd.Series(np.full(len(df), np.timedelta64("NaT", "us")))
    out.loc[missing, "fulfillment_lag"] = np.timedelta64("NaT", "us")
    return out


def _records(orders: Any) -> list[Order | Mapping[str, Any]]:
    """The orders inside a BatchResult-like object, or the iterable itself, checked."""
    for attribute in ("records", "orders"):
        inner = getattr(orders, attribute, None)
        if inner is not None and not callable(inner):
            return checked_records(list(inner), what="orders_frame", kinds=(Order,), noun=_ORDERS)
    if isinstance(orders, (Mapping, Order)):
        return [orders]  # one order
    return checked_records(orders, what="join_orders", kinds=(Order,), noun=_ORDERS)
