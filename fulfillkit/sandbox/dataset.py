"""The records behind one sandbox connection, at any moment: ``make_dataset`` and ``Dataset``.

``make_dataset(n, seed=s)`` always returns the same data for the same ``(n, seed)``: at its
*default now* (:attr:`Dataset.default_now`, the last initial ``created_at``) exactly ``n``
fulfillments exist. The shop lives on after that, deterministically from the seed and the
clock: new fulfillments (and their orders) arrive in Panora's sync batches at the initial
rate, and open fulfillments move along (see :mod:`fulfillkit.sandbox.living`). Ask the
dataset what is true at a moment with the ``*_at`` methods; the app serves exactly that.

The data is as messy as Shopify data seen through Panora, not as tidy as the spec example:

* ``carrier`` is Shopify's free-text ``tracking_company``: often null, ``"Other"``, a
  courier nobody has heard of, or a known carrier spelt many ways (``"UPS"``, ``" UPS "``,
  ``"United Parcel Service"``).
* ``tracking_numbers`` hold 0-3 numbers in the carrier's real format with valid check digits
  (see :mod:`fulfillkit.sandbox.tracking`); ``tracking_urls`` run parallel but are sometimes
  shorter or longer; either list is sometimes ``null`` or ``[]``.
* ``items`` is ``{}`` or ``null`` (what the server returns today); ``list_items=True`` also
  yields lists of line items, the shape Panora meant and may switch to (off by default
  because the published spec types ``items`` as an object).
* ``field_mappings`` are mostly ``{}``, else flat ``{slug: text}`` objects whose values are
  always strings, as Panora stores them (``"true"``, ``"2"``, ``"0901"``), some with
  unicode keys or values that start with ``=``, ``+``, ``-`` or ``@`` (spreadsheet formula
  bait). ``tolerance_mappings=True`` mixes in numbers, booleans and nested objects, which
  the real server never sends, to test clients against.
* Timestamps are UTC with milliseconds; some rows share ``created_at`` so paging clients
  must deduplicate by id. The initial records' ``modified_at`` can lie up to 60 days after
  the default now (the generator spreads them freely); everything later is consistent.
* ``remote_data`` is the whole Shopify fulfillment (or order), with shop-local offsets.
* Orders have no ``items`` key and whole-number totals, never null (Panora's columns are
  integers); the exact decimal amounts and the line items are in their ``remote_data``.

Fulfillments are built eagerly; orders, every ``remote_data`` and every later version
lazily per record (then cached), so the server only pays for what it serves.
:attr:`Dataset.fulfillments` materialises full records on first use. For scale, on a
loaded 2-core machine: ``make_dataset(1_000_000)`` about 16 s, then ``.fulfillments``
about 30 s more.
"""

from __future__ import annotations

import gc
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import Protocol

from fulfillkit.sandbox.generator import Shop
from fulfillkit.sandbox.living import FulfillmentLife, OrderLife
from fulfillkit.sandbox.shopify import fulfillment_payload, order_payload
from fulfillkit.sandbox.timestamps import DAY_MS, from_ms, to_ms
from fulfillkit.sandbox.vocabulary import Record

__all__ = ["DEFAULT_N", "DEFAULT_SEED", "Dataset", "Lifecycle", "RecordTable", "make_dataset"]

DEFAULT_N = 1000
"""Fulfillments in the default sandbox (``fulfillkit sandbox``, ``SandboxApp()``)."""
DEFAULT_SEED = 0
"""Seed of the default sandbox."""

# Orders are placed up to 4 days and 20 minutes before their fulfillment: to know every
# order that exists at a moment, the batches up to this much later must be drawn.
_ORDER_LEAD_MS = 5 * DAY_MS


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic GC while building millions of acyclic dicts (it would rescan them)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Lifecycle(Protocol):
    """How records of one table change over time (see :mod:`fulfillkit.sandbox.living`)."""

    def version_at(self, slot: int, at: int) -> int:
        """The record's version at ``at`` (ms); 0 is the record as generated."""
        ...

    def evolve(
        self, slot: int, version: int, body: Record, payload: Record
    ) -> tuple[Record, Record]:
        """The record and its remote data at ``version`` (>= 1), from version 0's."""
        ...


class RecordTable:
    """One kind of record (fulfillments or orders) in list order, built lazily.

    Rows are ordered by ``created_at`` ascending (ties keep insertion order), which is the
    order the list endpoint serves; the table may hold rows created after the moment being
    served, so readers take the first :meth:`visible` rows. Each row is a *slot* (its
    number in creation order) whose record, remote data and later versions are built on
    first access and cached. Returned dicts are fresh shallow copies; nested values are
    shared, so treat them as read-only.
    """

    def __init__(
        self,
        ids: list[str],
        created_ms: list[int],
        body: Callable[[int], Record],
        remote: Callable[[int], Record],
        lifecycle: Lifecycle,
    ) -> None:
        self.ids = ids
        self._created_ms = created_ms
        self._slots: Sequence[int] = range(len(ids))  # a list once rows go out of order
        self._body = body
        self._remote = remote
        self.lifecycle = lifecycle
        self._remote_cache: dict[int, Record] = {}
        self._versions: dict[tuple[int, int], tuple[Record, Record]] = {}
        self._index = {record_id: i for i, record_id in enumerate(ids)}

    def __len__(self) -> int:
        return len(self.ids)

    # ---- positions ------------------------------------------------------------------
    def visible(self, at: int) -> int:
        """How many rows exist at ``at`` (ms): they are the first ones."""
        return bisect_right(self._created_ms, at)

    def index_of(self, record_id: str) -> int | None:
        """Position of ``record_id`` in list order (visible or not), or None."""
        return self._index.get(record_id)

    def index_at(self, record_id: str, at: int) -> int | None:
        """Position of ``record_id`` if the row exists at ``at`` (ms), else None (unknown,
        or not created yet)."""
        index = self._index.get(record_id)
        if index is None or self._created_ms[index] > at:
            return None
        return index

    def created_ms(self, index: int) -> int:
        """``created_at`` (ms) of the row at ``index`` (the paging sort key)."""
        return self._created_ms[index]

    def slot(self, index: int) -> int:
        """The slot of the row at ``index``."""
        return self._slots[index]

    def state(self, index: int, at: int) -> tuple[int, int]:
        """``(slot, version)`` of the row at ``index`` at ``at``: what its bytes depend on."""
        slot = self._slots[index]
        return slot, self.lifecycle.version_at(slot, at)

    # ---- records --------------------------------------------------------------------
    def remote_data(self, slot: int) -> Record:
        """The provider's raw record behind ``slot`` as first synced (built once)."""
        cached = self._remote_cache.get(slot)
        if cached is None:
            cached = self._remote_cache[slot] = self._remote(slot)
        return cached

    def slot_record(self, slot: int, remote_data: bool = False, version: int = 0) -> Record:
        """The record of ``slot`` at ``version``; without remote data the key is absent,
        as upstream."""
        if version == 0:
            record = dict(self._body(slot))
            if remote_data:
                record["remote_data"] = self.remote_data(slot)
            return record
        key = (slot, version)
        moved = self._versions.get(key)
        if moved is None:
            moved = self._versions[key] = self.lifecycle.evolve(
                slot, version, self._body(slot), self.remote_data(slot)
            )
        record = dict(moved[0])
        if remote_data:
            record["remote_data"] = moved[1]
        return record

    def record(self, index: int, remote_data: bool = False, at: int | None = None) -> Record:
        """The row at ``index``, as it is at ``at`` (ms; None: as generated)."""
        slot = self._slots[index]
        version = 0 if at is None else self.lifecycle.version_at(slot, at)
        return self.slot_record(slot, remote_data, version)

    def get(self, record_id: str, remote_data: bool, at: int) -> Record | None:
        """The record with ``record_id`` at ``at`` (ms), or None if it does not exist then."""
        index = self.index_at(record_id, at)
        return None if index is None else self.record(index, remote_data, at)

    # ---- changes ----------------------------------------------------------------------
    def add(self, record_id: str, created_ms: int, slot: int, *, ahead: bool = False) -> int:
        """Place a new row by its ``created_at``: after the rows it ties with, or with
        ``ahead`` before them. Returns its position."""
        created = self._created_ms
        position = (bisect_left if ahead else bisect_right)(created, created_ms)
        if position == len(created) and isinstance(self._slots, range) and slot == position:
            self.ids.append(record_id)
            created.append(created_ms)
            self._slots = range(position + 1)
            self._index[record_id] = position
            return position
        slots = self._slots if isinstance(self._slots, list) else list(self._slots)
        self.ids.insert(position, record_id)
        created.insert(position, created_ms)
        slots.insert(position, slot)
        self._slots = slots
        self._reindex(position)
        return position

    def remove(self, record_id: str) -> None:
        """Delete a row (its slot's data stays, for whoever still holds the slot)."""
        position = self._index.pop(record_id)
        slots = self._slots if isinstance(self._slots, list) else list(self._slots)
        del self.ids[position], self._created_ms[position], slots[position]
        self._slots = slots
        self._reindex(position)

    def _reindex(self, start: int) -> None:
        index, ids = self._index, self.ids
        for position in range(start, len(ids)):
            index[ids[position]] = position


class Dataset:
    """The records behind one sandbox connection, at any moment from its default now on.

    Attributes:
        n: number of fulfillments at the default now.
        seed: the seed that made them.
        default_now: when exactly the ``n`` fulfillments exist (the last initial
            ``created_at``); ``default_now_ms`` the same in ms since the epoch.
        daily_rate: new fulfillments per day after the default now (``n / 726``).
        fulfillment_ids / order_ids: the initial ids in list order (as built; neither the
            clock nor the test hooks change them).
        fulfillment_table / order_table: every row drawn so far, in list order (what the
            app pages; it may hold rows created after the moment being served).
        lock: held while the tables change or are read (the app serves from a thread).
        shop: the generator behind the records (:class:`~fulfillkit.sandbox.generator.Shop`).
    """

    def __init__(self, shop: Shop, created_ms: list[int]) -> None:
        """Serve ``shop`` (built: ``created_ms`` are its fulfillments' ``created_at``)."""
        self.shop = shop
        self.n = shop.n
        self.seed = shop.seed
        self.default_now_ms = shop.start_ms
        self.default_now = from_ms(shop.start_ms)
        self.daily_rate = shop.daily_rate
        self._static: set[int] = set()  # test-inserted fulfillments: they never change
        self.fulfillment_table = RecordTable(
            [body["id"] for body in shop.fulfillment_bodies],
            created_ms,
            shop.fulfillment_bodies.__getitem__,
            partial(fulfillment_payload, shop),
            FulfillmentLife(shop, self._fulfillment_payload, self._static),
        )
        self.order_table = RecordTable(
            list(shop.order_ids),
            list(shop.order_created),
            shop.order_body,
            partial(order_payload, shop),
            OrderLife(shop),
        )
        self.fulfillment_ids: list[str] = list(self.fulfillment_table.ids)
        self.order_ids: list[str] = list(self.order_table.ids)
        self.lock = threading.RLock()
        self._inserted = 0
        self._full: dict[str, list[Record]] = {}

    def _fulfillment_payload(self, slot: int) -> Record:
        return self.fulfillment_table.remote_data(slot)

    def __repr__(self) -> str:
        return (
            f"Dataset(n={self.n}, seed={self.seed}, orders={len(self.order_ids)}, "
            f"default_now={self.default_now.isoformat()})"
        )

    # ---- as built (at the default now) ------------------------------------------------
    @property
    def fulfillments(self) -> list[Record]:
        """Full fulfillment records (``remote_data`` included), in list order, as built."""
        return self._materialise("fulfillments", self.fulfillment_table, self.n)

    @property
    def orders(self) -> list[Record]:
        """Full order records (``remote_data`` included), in list order, as built."""
        return self._materialise("orders", self.order_table, self.shop.initial_orders)

    def _materialise(self, name: str, table: RecordTable, count: int) -> list[Record]:
        records = self._full.get(name)
        if records is None:
            with self.lock, _no_gc():
                records = self._full[name] = [table.slot_record(s, True) for s in range(count)]
        return records

    def get_fulfillment(self, fulfillment_id: str, remote_data: bool = False) -> Record | None:
        """One fulfillment as the retrieve endpoint returns it at the default now, or None."""
        return self.fulfillment_at(fulfillment_id, remote_data=remote_data)

    def get_order(self, order_id: str, remote_data: bool = False) -> Record | None:
        """One order as the retrieve endpoint returns it at the default now, or None."""
        return self.order_at(order_id, remote_data=remote_data)

    # ---- at any moment ----------------------------------------------------------------
    def at_ms(self, now: datetime | None) -> int:
        """``now`` in ms (None: the default now); ValueError if naive or before the
        default now (the shop's history before it is the initial records)."""
        if now is None:
            return self.default_now_ms
        at = to_ms(now)
        if at < self.default_now_ms:
            raise ValueError(
                f"now={now.isoformat()} is before this dataset's default now "
                f"{self.default_now.isoformat()}: the sandbox only moves forward from it"
            )
        return at

    def materialise(self, at: int) -> None:
        """Draw every batch of new records that can matter at ``at`` (ms), so the tables
        hold every row created by then (orders are placed before their fulfillment)."""
        shop = self.shop
        if at <= shop.start_ms or shop.daily_rate <= 0:
            return
        with self.lock:
            while shop.batch_time(shop.next_batch) <= at + _ORDER_LEAD_MS:
                fulfillments, orders = shop.grow()
                for slot in fulfillments:
                    meta = shop.fulfillment_meta[slot]
                    self.fulfillment_table.add(shop.fulfillment_bodies[slot]["id"], meta[2], slot)
                for slot in orders:
                    self.order_table.add(shop.order_ids[slot], shop.order_created[slot], slot)

    def fulfillment_at(
        self, fulfillment_id: str, now: datetime | None = None, *, remote_data: bool = False
    ) -> Record | None:
        """The fulfillment as the retrieve endpoint returns it at ``now`` (None: the
        default now), or None when it does not exist then (not yet created, deleted, or
        unknown).

        Example:
            >>> ds = make_dataset(20, seed=1)
            >>> first = ds.fulfillment_ids[0]
            >>> ds.fulfillment_at(first, ds.default_now) == ds.get_fulfillment(first)
            True
        """
        return self._get(self.fulfillment_table, fulfillment_id, now, remote_data)

    def order_at(
        self, order_id: str, now: datetime | None = None, *, remote_data: bool = False
    ) -> Record | None:
        """The order as the retrieve endpoint returns it at ``now``, or None."""
        return self._get(self.order_table, order_id, now, remote_data)

    def _get(
        self, table: RecordTable, record_id: str, now: datetime | None, remote_data: bool
    ) -> Record | None:
        at = self.at_ms(now)
        self.materialise(at)
        with self.lock:
            return table.get(record_id, remote_data, at)

    def fulfillment_ids_at(self, now: datetime | None = None) -> list[str]:
        """The fulfillment ids that exist at ``now``, in list order.

        Example:
            >>> ds = make_dataset(20, seed=1)
            >>> ds.fulfillment_ids_at() == ds.fulfillment_ids
            True
        """
        return self._ids_at(self.fulfillment_table, now)

    def order_ids_at(self, now: datetime | None = None) -> list[str]:
        """The order ids that exist at ``now``, in list order."""
        return self._ids_at(self.order_table, now)

    def _ids_at(self, table: RecordTable, now: datetime | None) -> list[str]:
        at = self.at_ms(now)
        self.materialise(at)
        with self.lock:
            return table.ids[: table.visible(at)]

    def fulfillments_at(
        self, now: datetime | None = None, *, remote_data: bool = True
    ) -> list[Record]:
        """Every fulfillment that exists at ``now``, as it is then, in list order."""
        at = self.at_ms(now)
        self.materialise(at)
        table = self.fulfillment_table
        with self.lock:
            return [table.record(i, remote_data, at) for i in range(table.visible(at))]

    def changed_fulfillment_ids(self, since: datetime | None, until: datetime) -> list[str]:
        """Ids of the fulfillments that exist at ``since`` and whose record (remote data
        included) differs at ``until``, in list order. New ones are not in it: they are
        ``fulfillment_ids_at(until)`` minus ``fulfillment_ids_at(since)``.

        Example:
            >>> ds = make_dataset(20, seed=1)
            >>> ds.changed_fulfillment_ids(None, ds.default_now)
            []
        """
        return self._changed(self.fulfillment_table, since, until)

    def changed_order_ids(self, since: datetime | None, until: datetime) -> list[str]:
        """Ids of the orders that exist at ``since`` and differ at ``until``."""
        return self._changed(self.order_table, since, until)

    def _changed(self, table: RecordTable, since: datetime | None, until: datetime) -> list[str]:
        start, end = self.at_ms(since), self.at_ms(until)
        if end < start:
            raise ValueError(f"until={until.isoformat()} is before since")
        self.materialise(end)
        version = table.lifecycle.version_at
        with self.lock:
            return [
                table.ids[i]
                for i in range(table.visible(start))
                if version(table.slot(i), start) != version(table.slot(i), end)
            ]

    # ---- test hooks -------------------------------------------------------------------
    def insert_fulfillment(self, created_at: datetime | str) -> str:
        """Insert a new fulfillment created at ``created_at``, *ahead of* every row that
        already shares that ``created_at``; return its id.

        The adversarial case for incremental sync: a row that appears inside a tie group
        a client has already paged through (an inclusive cursor at the tie can hide it).
        The record is drawn like a new one (its own stream per insertion, no order) and
        never changes afterwards. It exists from ``created_at`` on, even when that is
        before the default now (then :attr:`fulfillments` and ``fulfillment_ids`` still
        show the dataset as built).

        Example:
            >>> ds = make_dataset(20, seed=1)
            >>> new = ds.insert_fulfillment(ds.fulfillments[5]["created_at"])
            >>> ds.fulfillment_ids_at().index(new)
            5
        """
        if isinstance(created_at, str):
            try:
                created_at = datetime.fromisoformat(created_at)
            except ValueError:
                raise ValueError(f"created_at is not an ISO timestamp: {created_at!r}") from None
        at = to_ms(created_at)
        with self.lock:
            self.materialise(at)
            self._inserted += 1
            slot = self.shop.insert(at, self._inserted)
            self._static.add(slot)
            record_id: str = self.shop.fulfillment_bodies[slot]["id"]
            self.fulfillment_table.add(record_id, at, slot, ahead=True)
            return record_id

    def delete_fulfillment(self, fulfillment_id: str) -> None:
        """Delete a fulfillment at every moment (a stored cursor at its row then gets
        Panora's 500 ``The provided cursor does not exist!``). ValueError if unknown.

        Example:
            >>> ds = make_dataset(20, seed=1)
            >>> ds.delete_fulfillment(ds.fulfillment_ids[0])
            >>> ds.fulfillment_at(ds.fulfillment_ids[0]) is None
            True
        """
        with self.lock:
            if self.fulfillment_table.index_of(fulfillment_id) is None:
                raise ValueError(f"no fulfillment {fulfillment_id!r} in this dataset")
            self.fulfillment_table.remove(fulfillment_id)


def make_dataset(
    n: int = DEFAULT_N,
    *,
    seed: int = DEFAULT_SEED,
    list_items: bool = False,
    tolerance_mappings: bool = False,
) -> Dataset:
    """Build ``n`` fulfillments (and their orders), the same for the same arguments.

    Args:
        n: number of fulfillments at the default now (orders are about ``0.9 * n``).
        seed: seed of the one ``random.Random`` the initial records are drawn from (and of
            the streams of everything drawn later).
        list_items: also give ~4% of fulfillments a *list* of line items in ``items``
            (schema drift to test clients against; breaks the published spec).
        tolerance_mappings: also give ~2% of records ``field_mappings`` with numbers,
            booleans, nested objects or lists, which the real server never sends (its
            values are always strings) but the spec's free-form object allows. Only the
            ``field_mappings`` differ from the default dataset.

    Example:
        >>> ds = make_dataset(20, seed=1)
        >>> len(ds.fulfillment_ids), ds.get_fulfillment("nope") is None
        (20, True)
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    with _no_gc():
        shop = Shop(n, seed, list_items, tolerance_mappings)
        return Dataset(shop, shop.build())
