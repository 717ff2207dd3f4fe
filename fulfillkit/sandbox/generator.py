"""The sandbox shop's generator: ids, times, orders and fulfillments, then and later.

:class:`Shop` draws the initial records of ``make_dataset(n, seed)`` from one
``random.Random(seed)``, in a fixed order (times, orders, fulfillments: reordering the
steps changes every dataset), and afterwards keeps the context that lazily built parts
need (catalog, shop clock, order columns). It also grows the shop after the default now:
Panora inserts what a provider sync brings in one batch, so new fulfillments arrive in
:meth:`Shop.grow` batches on a fixed schedule (:meth:`Shop.batch_time`), each batch drawn
from its own stream (seed, n, batch number), many rows of a batch sharing ``created_at``.

Columns are indexed by *slot*, a record's number in creation order (the initial records
are slots ``0..n-1`` in list order); the tables in :mod:`fulfillkit.sandbox.dataset` map
list positions to slots.
"""

from __future__ import annotations

import random
from typing import Any
from zoneinfo import ZoneInfo

from fulfillkit.sandbox.draws import Draws, mix64, poisson, uuid4
from fulfillkit.sandbox.timestamps import (
    DAY_MS,
    EPOCH_START_MS,
    HOUR_MS,
    SPAN_MS,
    LocalClock,
    iso_ms,
)
from fulfillkit.sandbox.vocabulary import (
    CURRENCY,
    ORDER_LINES,
    ORDER_STATUS,
    PAYMENT_STATUS,
    TIMEZONES,
    Product,
    Record,
    build_catalog,
    draw_field_mappings,
    draw_tracking,
    unified_item,
)

__all__ = ["BATCH_INTERVAL_MS", "CREATION_DAYS", "FulfillmentMeta", "Shop"]

BATCH_INTERVAL_MS = 6 * HOUR_MS
"""How often Panora syncs the shop after the default now (one batch of new rows each)."""
CREATION_DAYS = (SPAN_MS - 4 * DAY_MS) // DAY_MS
"""Days over which the initial fulfillments are created: new ones keep their daily rate."""

# (order slot or -1, sequence in the order, Panora created ms, Panora modified ms)
FulfillmentMeta = tuple[int, int, int, int]

_GROWTH_STREAM = 1
_INSERT_STREAM = 2
_BATCH_JITTER_STREAM = 3


def _whole_units(cents: int | None) -> int:
    """A money amount as Panora stores it: whole currency units, rounded; null becomes 0."""
    return 0 if cents is None else (cents + 50) // 100


class Shop:
    """One sandbox shop: the initial records' columns and everything drawn later.

    Attributes:
        n, seed: what ``make_dataset`` was asked for.
        local: the shop's clock (Shopify prints shop-local times).
        catalog, by_sku: the products line items are drawn from.
        fulfillment_bodies, fulfillment_meta: per fulfillment slot, the record without
            remote data, and :data:`FulfillmentMeta`.
        order_ids, order_created, order_fulfilled, order_shopify_id: per order slot.
        order_fulfilled_at: for orders created after the default now, when their
            fulfillment appears (until then the order is unfulfilled).
        initial_orders: how many orders the initial records have (slots below are theirs).
        start_ms: the default now, once built: the last initial ``created_at``.
    """

    def __init__(self, n: int, seed: int, list_items: bool, tolerance_mappings: bool) -> None:
        self.n = n
        self.seed = seed
        self.list_items = list_items
        self.tolerance_mappings = tolerance_mappings
        self.rng = random.Random(seed)
        rng = self.rng
        self.local = LocalClock(ZoneInfo(rng.choice(TIMEZONES)))
        self.catalog: list[Product] = build_catalog(rng)
        self.by_sku = {product.unified[1]["sku"]: product for product in self.catalog}
        self.location_id = rng.randrange(60_000_000_000, 80_000_000_000)
        self.order_ids: list[str] = []
        self.order_created: list[int] = []
        self.order_fulfilled: list[bool] = []
        self.order_shopify_id: list[int] = []
        self.order_fulfilled_at: dict[int, int] = {}
        self.customers: list[str] = []
        self.initial_orders = 0
        self._order_items: dict[int, list[Record]] = {}
        self._order_cents: dict[int, tuple[int, int, int, int]] = {}  # total, discount, ...
        self._order_bodies: dict[int, Record] = {}
        self.fulfillment_bodies: list[Record] = []
        self.fulfillment_meta: list[FulfillmentMeta] = []
        self.start_ms = EPOCH_START_MS
        self.next_batch = 0
        self._fulfillment_shopify_id = 0
        self._order_shopify_id = 0

    # ---- the initial records ------------------------------------------------------------
    def build(self) -> list[int]:
        """Draw the initial records; return their ``created_at`` (ms), in list order."""
        # The draws happen in this order (times, orders, fulfillments): the same seed gives
        # the same records, so the steps must not be reordered.
        created = self._created_times()
        order_created, order_fulfilled, fulfillment_order = self._order_plan(created)
        order_position = self._orders(order_created, order_fulfilled)
        self._fulfillments(created, fulfillment_order, order_position)
        self.initial_orders = len(self.order_ids)
        self.start_ms = max(created[-1] if created else EPOCH_START_MS, max(self.order_created))
        self._order_shopify_id = self.order_shopify_id[-1]
        return created

    def _created_times(self) -> list[int]:
        """The fulfillments' ``created_at`` (ms), sorted; a few share a timestamp."""
        rng = self.rng
        start, span = EPOCH_START_MS + 4 * DAY_MS, SPAN_MS - 4 * DAY_MS
        created = sorted(start + int(rng.random() * span) for _ in range(self.n))
        for j in range(1, self.n):
            if rng.random() < 0.04:
                created[j] = created[j - 1]  # rows sharing a timestamp: clients must dedupe
        return created

    def _order_plan(self, created: list[int]) -> tuple[list[int], list[int], list[int]]:
        """Each order's ``created_at`` (ms) and fulfillment count, and each fulfillment's
        order (an index; -1 = null order_id, -2 = dangling order_id).

        Each fulfillment opens a new order or splits the latest one; a few orders are
        never fulfilled (the left side of an outer join)."""
        rng = self.rng
        order_created: list[int] = []
        order_fulfilled: list[int] = []
        fulfillment_order: list[int] = []
        for ms in created:
            roll = rng.random()
            if roll < 0.02:
                fulfillment_order.append(-1)
            elif roll < 0.05:
                fulfillment_order.append(-2)
            elif roll < 0.17 and order_fulfilled and order_fulfilled[-1] < 3:
                order_fulfilled[-1] += 1
                fulfillment_order.append(len(order_created) - 1)
            else:
                order_created.append(ms - 1_200_000 - int(rng.random() * 4 * DAY_MS))
                order_fulfilled.append(1)
                fulfillment_order.append(len(order_created) - 1)
        for _ in range(max(1, self.n // 20)):
            order_created.append(EPOCH_START_MS + int(rng.random() * SPAN_MS))
            order_fulfilled.append(0)
        return order_created, order_fulfilled, fulfillment_order

    def _orders(self, created: list[int], fulfilled: list[int]) -> list[int]:
        """Lay out the orders in list order; return each order's position in it.

        Only what other records refer to is drawn here (id, time, numbers); the rest of an
        order is drawn by :meth:`order_body` when first asked for.
        """
        rng = self.rng
        random_ = rng.random
        by_time = sorted(range(len(created)), key=created.__getitem__)
        position = [0] * len(created)
        for rank, original in enumerate(by_time):
            position[original] = rank
        shopify_id = rng.randrange(5_600_000_000_000, 5_700_000_000_000)
        self.customers = [uuid4(rng) for _ in range(max(1, len(created) // 3))]
        for original in by_time:
            shopify_id += 1_000 + int(random_() * 3_000_000)
            self.order_shopify_id.append(shopify_id)
            self.order_ids.append(uuid4(rng))
            self.order_created.append(created[original])
            self.order_fulfilled.append(fulfilled[original] > 0)
        return position

    def _fulfillments(
        self, created: list[int], fulfillment_order: list[int], order_position: list[int]
    ) -> None:
        """The fulfillment records (remote data aside, drawn lazily) and their meta."""
        rng = self.rng
        fulfillments = self.fulfillment_bodies
        meta = self.fulfillment_meta
        sequence: dict[int, int] = {}
        shopify_id = rng.randrange(4_500_000_000_000, 4_600_000_000_000)
        random_ = rng.random
        order_ids = self.order_ids
        for ms, order in zip(created, fulfillment_order, strict=True):
            shopify_id += 1_000 + int(random_() * 3_000_000)
            position = -1
            order_id: str | None = None
            if order == -2:
                order_id = uuid4(rng)
            elif order >= 0:
                position = order_position[order]
                order_id = order_ids[position]
            seq = 1 if order < 0 else sequence.get(order, 0) + 1
            sequence[order] = seq
            modified = ms if random_() < 0.5 else ms + 1 + int(random_() * 60 * DAY_MS)
            meta.append((position, seq, ms, modified))
            fulfillments.append(self._fulfillment_body(rng, order_id, shopify_id, ms, modified))
        self._fulfillment_shopify_id = shopify_id

    def _fulfillment_body(
        self,
        rng: random.Random,
        order_id: str | None,
        shopify_id: int,
        created_ms: int,
        modified_ms: int,
    ) -> Record:
        """One fulfillment record. Its draws, in this order (the same seed must give the
        same records): tracking, items, id, field mappings."""
        carrier, numbers, urls = draw_tracking(rng)
        items = self._items(rng)
        record_id = uuid4(rng)
        mappings = draw_field_mappings(rng.random(), rng.random(), tolerant=self.tolerance_mappings)
        return {
            "id": record_id,
            "carrier": carrier,
            "tracking_urls": urls,
            "tracking_numbers": numbers,
            "items": items,
            "order_id": order_id,
            "field_mappings": mappings,
            "remote_id": str(shopify_id),
            "created_at": iso_ms(created_ms),
            "modified_at": iso_ms(modified_ms),
        }

    def _items(self, rng: random.Random) -> Any:
        """``items``: ``{}`` or null as Panora serves it, or (``list_items``) line items."""
        roll = rng.random()
        items: Any = {} if roll < 0.92 else None
        if self.list_items and roll >= 0.96:
            items = [unified_item(self.catalog, rng, int(rng.random() * 10**13)) for _ in "ab"]
        return items

    # ---- orders, built when first asked for ---------------------------------------------
    def order_items(self, slot: int) -> list[Record]:
        """An order's line items (their own draw stream: fulfillments need only these)."""
        items = self._order_items.get(slot)
        if items is None:
            draws = Draws(self.seed, self.order_ids[slot], stream=1)
            shopify_id = self.order_shopify_id[slot]
            items = self._order_items[slot] = [
                unified_item(self.catalog, draws, shopify_id * 10 + k)
                for k in range(ORDER_LINES.draw(draws.random()))
            ]
        return items

    def order_cents(self, slot: int) -> tuple[int, int, int, int]:
        """An order's exact ``(total, discount, shipping, tax)`` in cents."""
        self.order_body(slot)
        return self._order_cents[slot]

    def order_body(self, slot: int) -> Record:
        """The unified order: no ``items`` key and whole-number totals, as Panora serves it
        (the exact cents stay in ``remote_data``, as Shopify's decimal strings). Built
        once; an order placed after the default now starts unfulfilled and unmodified."""
        body = self._order_bodies.get(slot)
        if body is not None:
            return body
        order_id = self.order_ids[slot]
        random_ = Draws(self.seed, order_id).random
        shopify_id = self.order_shopify_id[slot]
        subtotal = sum(round(float(item["total"]) * 100) for item in self.order_items(slot))
        discount = round(subtotal * (0.0, 0.0, 0.0, 0.1, 0.15)[int(random_() * 5)])
        shipping = (0, 499, 750, 1200)[int(random_() * 4)]
        tax = round((subtotal - discount) * (0.0, 0.0, 0.0725, 0.2)[int(random_() * 4)])
        total = subtotal - discount + shipping + tax
        cents = self._order_cents[slot] = (total, discount, shipping, tax)
        ms = self.order_created[slot]
        status = "cancelled" if random_() < 0.03 else ORDER_STATUS.draw(random_())
        customers = self.customers
        customer = customers[int(random_() * len(customers))] if random_() < 0.95 else None
        whole = [_whole_units(value) for value in cents]
        body = self._order_bodies[slot] = {
            "id": order_id,
            "order_status": status,
            "order_number": str(1001 + slot),
            "payment_status": PAYMENT_STATUS.draw(random_()),
            "currency": CURRENCY.draw(random_()),
            "total_price": whole[0],
            "total_discount": whole[1],
            "total_shipping": whole[2],
            "total_tax": whole[3],
            "fulfillment_status": "fulfilled" if self.order_fulfilled[slot] else None,
            "customer_id": customer,
            "field_mappings": draw_field_mappings(
                random_(), random_(), tolerant=self.tolerance_mappings
            ),
            "remote_id": str(shopify_id),
            "created_at": iso_ms(ms),
            "modified_at": iso_ms(ms + int(random_() * 30 * DAY_MS)),
        }
        if slot >= self.initial_orders:
            body["modified_at"] = body["created_at"]
        return body

    # ---- after the default now ----------------------------------------------------------
    @property
    def daily_rate(self) -> float:
        """New fulfillments per day after the default now: the initial records' rate."""
        return self.n / CREATION_DAYS

    def batch_time(self, batch: int) -> int:
        """When Panora runs sync ``batch`` (0 = the first after the default now), in ms:
        once per :data:`BATCH_INTERVAL_MS`, at a jittered moment inside the interval."""
        uniform = (mix64(self.seed, self.n, _BATCH_JITTER_STREAM, batch) >> 11) / 2.0**53
        return (
            self.start_ms + batch * BATCH_INTERVAL_MS + 1 + int(uniform * (BATCH_INTERVAL_MS - 1))
        )

    def next_sync(self, ms: int) -> int:
        """The first sync at or after ``ms``: when Panora records a change made at ``ms``."""
        batch = max(0, (ms - self.start_ms) // BATCH_INTERVAL_MS)
        at = self.batch_time(batch)
        return at if at >= ms else self.batch_time(batch + 1)

    def grow(self) -> tuple[list[int], list[int]]:
        """Draw the next sync batch; return the new fulfillment slots and order slots.

        Batches are drawn in order, each from its own stream, so the shop at any moment
        is the same however the clock got there.
        """
        batch = self.next_batch
        self.next_batch += 1
        rng = random.Random(mix64(self.seed, self.n, _GROWTH_STREAM, batch))
        at = self.batch_time(batch)
        count = poisson(rng, self.daily_rate * BATCH_INTERVAL_MS / DAY_MS)
        fulfillments: list[int] = []
        orders: list[int] = []
        offset = 0
        for j in range(count):
            if j and rng.random() >= 0.75:  # most rows of a batch share its created_at
                offset += 1 + int(rng.random() * 40)
            self._fulfillment_shopify_id += 1_000 + int(rng.random() * 3_000_000)
            slot, order = self.add_fulfillment(
                rng, at + offset, self._fulfillment_shopify_id, orders=True
            )
            fulfillments.append(slot)
            if order >= 0:
                orders.append(order)
        return fulfillments, orders

    def insert(self, created_ms: int, number: int) -> int:
        """Draw the ``number``-th test-inserted fulfillment (no order); return its slot."""
        rng = random.Random(mix64(self.seed, self.n, _INSERT_STREAM, number))
        shopify_id = 4_700_000_000_000 + rng.randrange(10**11)
        return self.add_fulfillment(rng, created_ms, shopify_id, orders=False)[0]

    def add_fulfillment(
        self, rng: random.Random, created_ms: int, shopify_id: int, *, orders: bool
    ) -> tuple[int, int]:
        """Draw one new fulfillment created at ``created_ms`` (and, with ``orders``, most
        often a new order placed shortly before it); return its slot and the order's (or
        -1). Panora has just synced it: ``modified_at`` is ``created_at``."""
        roll = rng.random()
        order_slot = -1
        order_id: str | None = None
        if orders and roll >= 0.05:
            order_slot = self._new_order(rng, created_ms)
            order_id = self.order_ids[order_slot]
        elif orders and roll >= 0.02:
            order_id = uuid4(rng)  # dangling: an order Panora never synced
        body = self._fulfillment_body(rng, order_id, shopify_id, created_ms, created_ms)
        self.fulfillment_bodies.append(body)
        self.fulfillment_meta.append((order_slot, 1, created_ms, created_ms))
        return len(self.fulfillment_bodies) - 1, order_slot

    def _new_order(self, rng: random.Random, fulfilled_ms: int) -> int:
        """An order placed 20 minutes to 4 days before its fulfillment (never before the
        default now: the initial orders are all there is until then)."""
        created = fulfilled_ms - 1_200_000 - int(rng.random() * 4 * DAY_MS)
        if created <= self.start_ms:
            created = self.start_ms + 1 + int(rng.random() * (fulfilled_ms - self.start_ms - 1))
        self._order_shopify_id += 1_000 + int(rng.random() * 3_000_000)
        slot = len(self.order_ids)
        self.order_ids.append(uuid4(rng))
        self.order_created.append(created)
        self.order_fulfilled.append(False)
        self.order_shopify_id.append(self._order_shopify_id)
        self.order_fulfilled_at[slot] = fulfilled_ms
        return slot
