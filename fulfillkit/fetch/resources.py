"""What differs between fulfillments and orders, as one value: a :class:`Resource`.

The engine, the listing and the store take a resource instead of an ``order=`` flag and
twin methods: its collection path, the record's name (in messages and progress bars), the
adapters that validate one record and one list page, how to build the batch result, and
whether a missing id in the input means "skip" (an order id column is null for a
fulfillment without an order) or "refuse".

Example:
    >>> FULFILLMENTS.record_path("801f9ede-c698-4e66-a7fc-48d19eebaa4f")
    '/ecommerce/fulfillments/801f9ede-c698-4e66-a7fc-48d19eebaa4f'
    >>> ORDERS.name, ORDERS.record, ORDERS.skips_missing_ids
    ('orders', 'order', True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter

from fulfillkit.errors import FailedId
from fulfillkit.fetch import protocol
from fulfillkit.fetch.results import BatchResult, OrdersResult
from fulfillkit.models import (
    FULFILLMENT_ADAPTER,
    FULFILLMENT_PAGE_ADAPTER,
    ORDER_ADAPTER,
    ORDER_PAGE_ADAPTER,
    Fulfillment,
    Order,
)

__all__ = ["FULFILLMENTS", "ORDERS", "Resource"]

R = TypeVar("R", Fulfillment, Order)
Res = TypeVar("Res", BatchResult, OrdersResult)


@dataclass(frozen=True, slots=True, eq=False)
class Resource(Generic[R, Res]):
    """One kind of Panora record the client fetches, lists, checkpoints and stores.

    Attributes:
        name: the collection, plural, as in its path and the store's tables.
        record: one record's name, for messages (``"fulfillment"``).
        path: the collection path (``GET path`` lists, ``GET path/<id>`` retrieves).
        adapter: validates one record from bytes.
        page_adapter: validates one list page (``prev_cursor``, ``next_cursor``, ``data``).
        result: builds the batch result from ``(records, errors, pending, written,
            remote_data)``.
        skips_missing_ids: nulls in the input ids are dropped (True) or refused.
    """

    name: str
    record: str
    path: str
    adapter: TypeAdapter[R]
    page_adapter: TypeAdapter[Any]
    result: Callable[[list[R], list[FailedId], list[str], int, bool], Res]
    skips_missing_ids: bool

    def record_path(self, record_id: str) -> str:
        """``path/<id>``, the id percent-encoded into one path segment."""
        return protocol.record_path(self.path, record_id)

    def __repr__(self) -> str:
        return f"Resource({self.name!r})"


def _fulfillments(
    records: list[Fulfillment], errors: list[FailedId], pending: list[str], written: int, rd: bool
) -> BatchResult:
    return BatchResult(
        fulfillments=records, errors=errors, pending=pending, written=written, remote_data=rd
    )


def _orders(
    records: list[Order], errors: list[FailedId], pending: list[str], written: int, rd: bool
) -> OrdersResult:
    return OrdersResult(orders=records, errors=errors, pending=pending, remote_data=rd)


FULFILLMENTS: Resource[Fulfillment, BatchResult] = Resource(
    name="fulfillments",
    record="fulfillment",
    path=protocol.FULFILLMENTS,
    adapter=FULFILLMENT_ADAPTER,
    page_adapter=FULFILLMENT_PAGE_ADAPTER,
    result=_fulfillments,
    skips_missing_ids=False,
)
ORDERS: Resource[Order, OrdersResult] = Resource(
    name="orders",
    record="order",
    path=protocol.ORDERS,
    adapter=ORDER_ADAPTER,
    page_adapter=ORDER_PAGE_ADAPTER,
    result=_orders,
    skips_missing_ids=True,
)
