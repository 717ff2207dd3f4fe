"""The Shopify payloads behind sandbox records: what Panora serves as ``remote_data``.

For a fulfillment, the whole Shopify fulfillment (``status``, ``shipment_status``,
``tracking_company``, ``line_items``, shop-local ``created_at`` / ``updated_at``); for an
order, the Shopify order with its exact decimal amounts and line items. Built lazily per
record from a :class:`~fulfillkit.sandbox.draws.Draws` stream keyed by the record's id, so
building one never changes another. :func:`with_parcel` is a payload after its parcel
moved on (see :mod:`fulfillkit.sandbox.living`).
"""

from __future__ import annotations

from collections.abc import Sequence

from fulfillkit.sandbox.draws import Draws
from fulfillkit.sandbox.generator import Shop
from fulfillkit.sandbox.timestamps import DAY_MS, HOUR_MS, iso_ms_to_ms
from fulfillkit.sandbox.vocabulary import (
    FRESH_SHIPMENT_STATUS,
    FRESH_STATUS,
    QUANTITY,
    SHIPMENT_STATUS,
    STATUS,
    Record,
    pick_product,
)

__all__ = ["fulfillment_payload", "order_payload", "shopify_line", "with_parcel"]


def _decimal(cents: int) -> str:
    """Shopify's money string: ``"49.99"``."""
    return f"{cents // 100}.{cents % 100:02d}"


def shopify_line(shop: Shop, item: Record) -> Record:
    """Shopify's line item for one of Panora's (same product, quantity and line id)."""
    line = dict(shop.by_sku[item["sku"]].shopify[item["quantity"]])
    line_id = int(item["remote_id"])
    line["id"] = line_id
    line["admin_graphql_api_id"] = f"gid://shopify/LineItem/{line_id}"
    return line


def fulfillment_payload(shop: Shop, slot: int) -> Record:
    """The Shopify fulfillment behind fulfillment ``slot`` (as first synced by Panora)."""
    record = shop.fulfillment_bodies[slot]
    draws = Draws(shop.seed, record["id"])
    position, seq, created_ms, modified_ms = shop.fulfillment_meta[slot]
    order_items: Sequence[Record]
    if position >= 0:
        order_items = shop.order_items(position)
        shopify_order_id = shop.order_shopify_id[position]
        number = 1001 + position
        if seq > 1 or (len(order_items) > 1 and draws.random() < 0.3):
            first = draws.below(len(order_items))  # a split shipment: some lines only
            order_items = order_items[first : first + 1 + draws.below(2)]
    else:
        lines = []
        for _ in range(1 + draws.below(3)):
            product = pick_product(shop.catalog, draws.random())
            item = dict(product.unified[QUANTITY.draw(draws.random())])
            item["remote_id"] = str(56_000_000_000_000 + draws.below(10**12))
            lines.append(item)
        order_items = lines
        shopify_order_id = 5_600_000_000_000 + draws.below(10**11)
        number = 1001 + draws.below(max(1, shop.n))
    numbers = record["tracking_numbers"] or []
    urls = record["tracking_urls"] or []
    created_ms -= 60_000 + draws.below(6 * HOUR_MS)  # Shopify's time precedes the sync
    updated_ms = min(created_ms + draws.below(9 * DAY_MS), modified_ms)
    shopify_id = int(record["remote_id"])
    fresh = slot >= shop.n  # synced just after Shopify made it: the parcel barely moved
    local = shop.local
    return {
        "id": shopify_id,
        "admin_graphql_api_id": f"gid://shopify/Fulfillment/{shopify_id}",
        "created_at": local(created_ms),
        "location_id": shop.location_id,
        "name": f"#{number}.{seq}",
        "order_id": shopify_order_id,
        "origin_address": {},
        "receipt": {},
        "service": "manual",
        "shipment_status": (FRESH_SHIPMENT_STATUS if fresh else SHIPMENT_STATUS).draw(
            draws.random()
        ),
        "status": (FRESH_STATUS if fresh else STATUS).draw(draws.random()),
        "tracking_company": record["carrier"],
        "tracking_number": numbers[0] if numbers else None,
        "tracking_numbers": list(numbers),
        "tracking_url": urls[0] if urls else None,
        "tracking_urls": list(urls),
        "updated_at": local(max(updated_ms, created_ms)),
        "line_items": [shopify_line(shop, item) for item in order_items],
    }


def order_payload(shop: Shop, slot: int) -> Record:
    """The Shopify order behind order ``slot`` (as first synced by Panora)."""
    record = shop.order_body(slot)
    draws = Draws(shop.seed, record["id"])
    shopify_id = int(record["remote_id"])
    created_ms = iso_ms_to_ms(record["created_at"]) - 1_000 - draws.below(600_000)
    status = record["order_status"]
    total, discount, shipping, tax = shop.order_cents(slot)
    local = shop.local
    closed = local(created_ms + DAY_MS) if status == "closed" else None
    cancelled = local(created_ms + HOUR_MS) if status == "cancelled" else None
    return {
        "id": shopify_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{shopify_id}",
        "name": f"#{record['order_number']}",
        "order_number": int(record["order_number"]),
        "created_at": local(created_ms),
        "updated_at": local(iso_ms_to_ms(record["modified_at"])),
        "closed_at": closed,
        "cancelled_at": cancelled,
        "currency": record["currency"],
        "financial_status": record["payment_status"],
        "fulfillment_status": record["fulfillment_status"],
        "total_price": _decimal(total),
        "total_discounts": _decimal(discount),
        "total_tax": _decimal(tax),
        "total_shipping_price_set": {
            "shop_money": {"amount": _decimal(shipping), "currency_code": record["currency"]}
        },
        "test": False,
        "line_items": [shopify_line(shop, item) for item in shop.order_items(slot)],
    }


def with_parcel(
    payload: Record,
    *,
    numbers: Sequence[str],
    urls: Sequence[str],
    shipment_status: str | None,
    status: str,
    updated_at: str,
) -> Record:
    """A copy of a Shopify fulfillment ``payload`` after its parcel moved on.

    Example:
        >>> moved = with_parcel({"shipment_status": None}, numbers=["1Z1"], urls=[],
        ...     shipment_status="in_transit", status="success", updated_at="...")
        >>> moved["shipment_status"], moved["tracking_number"], moved["tracking_url"]
        ('in_transit', '1Z1', None)
    """
    moved = dict(payload)
    moved["shipment_status"] = shipment_status
    moved["status"] = status
    moved["tracking_number"] = numbers[0] if numbers else None
    moved["tracking_numbers"] = list(numbers)
    moved["tracking_url"] = urls[0] if urls else None
    moved["tracking_urls"] = list(urls)
    moved["updated_at"] = updated_at
    return moved
