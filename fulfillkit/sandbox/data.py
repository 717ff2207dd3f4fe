"""Deterministic, realistic Panora fulfillments and orders for the sandbox, tests and demos.

``make_dataset(n, seed=s)`` always returns the same data for the same ``(n, seed)``: the
fulfillments, ids and timestamps come from one ``random.Random(seed)``; what is built
lazily per record (order bodies, remote data) comes from a SplitMix64 stream seeded with
the dataset seed and the record's id. Never the global generator, never ``hash()``.

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
  must deduplicate by id.
* ``remote_data`` is the whole Shopify fulfillment (or order), with shop-local offsets.
* Orders have no ``items`` key and whole-number totals, never null (Panora's columns are
  integers); the exact decimal amounts and the line items are in their ``remote_data``.

Fulfillments are built eagerly; orders and every ``remote_data`` lazily per record (then
cached), so the server only pays for what it serves. :attr:`Dataset.fulfillments`
materialises full records on first use. For scale, on a loaded 2-core machine:
``make_dataset(1_000_000)`` about 16 s, then ``.fulfillments`` about 30 s more.
"""

from __future__ import annotations

import copy
import gc
import random
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import accumulate
from typing import Any, Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo

from fulfillkit.sandbox.tracking import TRACKING_URLS, tracking_number

__all__ = ["Dataset", "RecordTable", "make_dataset"]

Record = dict[str, Any]

# (spelling as typed by the merchant, carrier family, weight). Family None: no carrier.
_CARRIERS: tuple[tuple[str | None, str | None, int], ...] = (
    (None, None, 26),
    ("UPS", "ups", 10),
    ("ups", "ups", 2),
    (" UPS ", "ups", 1),
    ("United Parcel Service", "ups", 1),
    ("USPS", "usps", 9),
    ("usps", "usps", 2),
    ("FedEx", "fedex", 7),
    ("Fedex", "fedex", 2),
    ("FEDEX", "fedex", 1),
    ("FedEx Ground", "fedex", 2),
    ("DHL", "dhl", 3),
    ("DHL Express", "dhl", 4),
    ("dhl", "dhl", 1),
    ("DHL eCommerce", "dhl_ecommerce", 2),
    ("Royal Mail", "royal_mail", 3),
    ("Canada Post", "canada_post", 3),
    ("La Poste", "la_poste", 2),
    ("Colissimo", "colissimo", 2),
    ("Australia Post", "australia_post", 2),
    ("Other", "other", 5),
    ("Bob's Courier", "custom", 1),
    ("Evri", "custom", 1),
    ("GLS", "custom", 1),
    ("PostNL", "custom", 1),
    ("Poste Italiane", "custom", 1),
)
_REAL_FAMILIES = tuple(TRACKING_URLS)

_STATUSES: tuple[tuple[str, int], ...] = (
    ("success", 90),
    ("cancelled", 4),
    ("open", 2),
    ("pending", 2),
    ("error", 1),
    ("failure", 1),
)
_SHIPMENT_STATUSES: tuple[tuple[str | None, int], ...] = (
    ("delivered", 55),
    (None, 18),
    ("in_transit", 12),
    ("confirmed", 5),
    ("out_for_delivery", 3),
    ("label_printed", 3),
    ("failure", 2),
    ("attempted_delivery", 2),
)
_TIMEZONES = ("America/New_York", "America/Los_Angeles", "America/Chicago", "Europe/London")
_CURRENCIES = (("USD", 88), ("CAD", 5), ("EUR", 4), ("GBP", 3))

_ADJECTIVES = ("Classic", "Organic", "Vintage", "Merino", "Everyday", "Trail", "Studio", "Coastal")
_NOUNS = (
    ("Tee", 2400, 180),
    ("Hoodie", 5800, 620),
    ("Mug", 1600, 400),
    ("Tote Bag", 2200, 150),
    ("Beanie", 2600, 90),
    ("Socks", 1400, 70),
    ("Candle", 3200, 350),
    ("Notebook", 1800, 300),
)
_VARIANTS = ("S", "M", "L", "XL", "Black / M", "Navy / L", "Default Title")
_VENDORS = ("Northwind Goods", "Acme Apparel", "Maison Dupont", "Kōhī Supply")
_FORMULA_TITLE = '=HYPERLINK("https://example.com/gift","Gift Card")'

_EPOCH_START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
_SPAN_MS = 730 * 86_400_000  # 2024 and 2025
_HOUR_MS = 3_600_000
_DAY_MS = 86_400_000

# What Panora sends: flat ``{attribute_slug: text}``, every value a string (the column is
# text), numbers and booleans included ("2", "true"), leading zeros kept ("0901").
_FLAT_MAPPINGS: tuple[dict[str, str], ...] = (
    {"gift_wrap": "true", "priority": "2", "warehouse": "EU-1"},
    {"warehouse": "US-EAST"},
    {"gift_wrap": "false"},
    {"priority": "1", "signature_required": "true"},
    {"packer": "Ana", "boxes": "2"},
    {"hs_code": "0901", "origin": "CO", "declared_value": "24.50"},
    {"hs_code": "6109", "origin": "PT"},
)
_UNICODE_MAPPINGS: tuple[dict[str, str], ...] = (
    {"entrepôt": "Lyon-2", "priorité": "1"},
    {"倉庫": "東京", "note": "割れ物注意"},
    {"Straße": "Hauptstraße 5", "emoji": "📦"},
)
_FORMULA_MAPPINGS: tuple[dict[str, str], ...] = (
    {"note": "=1+1"},
    {"note": "+44 20 7946 0958"},
    {"note": "-fragile-"},
    {"contact": "@warehouse-team"},
    {"formula": '=HYPERLINK("http://evil.example","click")', "warehouse": "EU-1"},
)
# Tolerance data, only with ``tolerance_mappings=True``: JSON the real server never sends in
# field_mappings (numbers, booleans, nested objects, lists) but the spec's free-form
# object allows, to test that clients survive it.
_TOLERANCE_MAPPINGS: tuple[Record, ...] = (
    {"gift_wrap": True, "priority": 2, "warehouse": "EU-1"},
    {"priority": 1, "signature_required": False},
    {"customs": {"hs_code": "6109", "origin": "PT"}},
    {"customs": {"hs_code": "4202", "origin": "VN", "declared_value": 24.5}, "priority": 3},
    {"dimensions": {"l": 30, "w": 20, "h": 10, "unit": "cm"}, "tags": ["fragile", "gift"]},
)

T = TypeVar("T")


class _Random(Protocol):
    def random(self) -> float: ...


class _Weighted(Generic[T]):
    """A weighted choice driven by one uniform float (from ``rng.random()`` or a hash)."""

    __slots__ = ("_cum", "_total", "_values")

    def __init__(self, pairs: Sequence[tuple[T, int]]) -> None:
        self._values = tuple(value for value, _ in pairs)
        self._cum = list(accumulate(weight for _, weight in pairs))
        self._total = self._cum[-1]

    def draw(self, uniform: float) -> T:
        return self._values[bisect_right(self._cum, uniform * self._total)]


_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


class _Draws:
    """Random draws for one record: SplitMix64 seeded from (dataset seed, record id).

    Much cheaper than seeding a ``random.Random`` per record, and just as deterministic
    (record ids are themselves random UUIDs drawn from the dataset's generator).
    """

    __slots__ = ("_state",)

    def __init__(self, seed: int, record_id: str, stream: int = 0) -> None:
        key = int(record_id.replace("-", ""), 16)
        self._state = (key ^ (key >> 64) ^ (seed * _GOLDEN) ^ (stream << 56)) & _MASK64

    def random(self) -> float:
        """A uniform float in ``[0, 1)`` (same name as ``random.Random.random``)."""
        self._state = state = (self._state + _GOLDEN) & _MASK64
        z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        return ((z ^ (z >> 31)) >> 11) / 9007199254740992.0

    def below(self, bound: int) -> int:
        """A uniform integer in ``[0, bound)`` (``bound`` well below 2**53)."""
        return int(self.random() * bound)


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


def _uuid4(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:32]}"


_DATES: dict[int, str] = {}
_MILLIS = tuple(f".{m:03d}Z" for m in range(1000))
_TIMES: list[str] = []  # "HH:MM:SS" for each second of a day, built on first use


def _date(day: int) -> str:
    """``YYYY-MM-DDT`` of a day number since the epoch (cached: millions of calls)."""
    text = _DATES.get(day)
    if text is None:
        t = time.gmtime(day * 86_400)
        text = _DATES[day] = f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T"
    return text


def _time_of_day(seconds: int) -> str:
    if not _TIMES:
        _TIMES.extend(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400))
    return _TIMES[seconds]


def _iso_ms(ms: int) -> str:
    """``2024-10-01T12:00:00.123Z`` (what JavaScript's ``toISOString`` prints)."""
    day, rest = divmod(ms, _DAY_MS)
    seconds, millis = divmod(rest, 1000)
    return _date(day) + _time_of_day(seconds) + _MILLIS[millis]


def _whole_units(cents: int | None) -> int:
    """A money amount as Panora stores it: whole currency units, rounded; null becomes 0."""
    return 0 if cents is None else (cents + 50) // 100


def _decimal(cents: int) -> str:
    """Shopify's money string: ``"49.99"``."""
    return f"{cents // 100}.{cents % 100:02d}"


def _iso_ms_to_ms(text: str) -> int:
    """Inverse of :func:`_iso_ms`."""
    return round(datetime.fromisoformat(text).timestamp() * 1000)


class _LocalClock:
    """Shop-local ISO timestamps with offsets (``2024-10-01T08:00:00-04:00``), as Shopify."""

    def __init__(self, tz: ZoneInfo) -> None:
        self._tz = tz
        self._offsets: dict[int, tuple[int, str]] = {}

    def __call__(self, ms: int) -> str:
        hour = ms // _HOUR_MS  # zones change offset on whole hours
        offset = self._offsets.get(hour)
        if offset is None:
            delta = self._tz.utcoffset(datetime.fromtimestamp(hour * 3600, UTC))
            minutes = int(delta.total_seconds()) // 60 if delta is not None else 0
            sign = "-" if minutes < 0 else "+"
            text = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
            offset = self._offsets[hour] = (minutes * 60_000, text)
        day, rest = divmod(ms + offset[0], _DAY_MS)
        return _date(day) + _time_of_day(rest // 1000) + offset[1]


class RecordTable:
    """One kind of record (fulfillments or orders) in list order, built lazily.

    Records are ordered by ``created_at`` ascending (ties keep generation order), which is
    the order the list endpoint serves. A record's body (when not given up front) and its
    remote data are built on first access and cached. Returned dicts are fresh shallow
    copies; nested values are shared, so treat them as read-only.
    """

    def __init__(
        self,
        ids: list[str],
        created_at: list[str],
        body: list[Record] | Callable[[int], Record],
        remote: Callable[[int], Record],
    ) -> None:
        self.ids = ids
        self._created_at = created_at
        self._bodies: list[Record | None]
        self._build_body: Callable[[int], Record] | None
        if isinstance(body, list):
            self._bodies, self._build_body = list(body), None
        else:
            self._bodies, self._build_body = [None] * len(ids), body
        self._remote = remote
        self._remote_cache: dict[int, Record] = {}
        self._index = {record_id: i for i, record_id in enumerate(ids)}
        self._full: list[Record] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def index_of(self, record_id: str) -> int | None:
        """Position of ``record_id`` in list order, or None."""
        return self._index.get(record_id)

    def created_at(self, index: int) -> str:
        """``created_at`` of the record at ``index`` (the paging sort key)."""
        return self._created_at[index]

    def body(self, index: int) -> Record:
        """The cached record at ``index`` without remote data (do not mutate)."""
        body = self._bodies[index]
        if body is None:
            assert self._build_body is not None
            body = self._bodies[index] = self._build_body(index)
        return body

    def remote_data(self, index: int) -> Record:
        """The provider's raw record behind the record at ``index`` (built once)."""
        cached = self._remote_cache.get(index)
        if cached is None:
            cached = self._remote_cache[index] = self._remote(index)
        return cached

    def record(self, index: int, remote_data: bool = False) -> Record:
        """The record at ``index``; without remote data the key is absent, as upstream."""
        record = dict(self.body(index))
        if remote_data:
            record["remote_data"] = self.remote_data(index)
        return record

    def get(self, record_id: str, remote_data: bool = False) -> Record | None:
        """The record with ``record_id``, or None."""
        index = self._index.get(record_id)
        return None if index is None else self.record(index, remote_data)

    def records(self, remote_data: bool = True) -> Iterator[Record]:
        """Every record in list order."""
        for index in range(len(self.ids)):
            yield self.record(index, remote_data)

    def full(self) -> list[Record]:
        """Every record with its remote data, materialised once and cached."""
        if self._full is None:
            with _no_gc():
                self._full = list(self.records(remote_data=True))
        return self._full


class Dataset:
    """The records behind one sandbox connection.

    Attributes:
        n: number of fulfillments.
        seed: the seed that made them.
        fulfillment_table / order_table: the records in list order (what the app pages).
        fulfillment_ids / order_ids: ids in list order.
    """

    def __init__(self, n: int, seed: int, fulfillments: RecordTable, orders: RecordTable) -> None:
        self.n = n
        self.seed = seed
        self.fulfillment_table = fulfillments
        self.order_table = orders
        self.fulfillment_ids: list[str] = fulfillments.ids
        self.order_ids: list[str] = orders.ids

    def __repr__(self) -> str:
        return f"Dataset(n={self.n}, seed={self.seed}, orders={len(self.order_table)})"

    @property
    def fulfillments(self) -> list[Record]:
        """Full fulfillment records (``remote_data`` included), in list order."""
        return self.fulfillment_table.full()

    @property
    def orders(self) -> list[Record]:
        """Full order records (``remote_data`` included), in list order."""
        return self.order_table.full()

    def get_fulfillment(self, fulfillment_id: str, remote_data: bool = False) -> Record | None:
        """One fulfillment as the retrieve endpoint returns it, or None."""
        return self.fulfillment_table.get(fulfillment_id, remote_data)

    def get_order(self, order_id: str, remote_data: bool = False) -> Record | None:
        """One order as the retrieve endpoint returns it, or None."""
        return self.order_table.get(order_id, remote_data)


_CARRIER = _Weighted([((spelling, family), weight) for spelling, family, weight in _CARRIERS])
_STATUS = _Weighted(_STATUSES)
_SHIPMENT_STATUS = _Weighted(_SHIPMENT_STATUSES)
_CURRENCY = _Weighted(_CURRENCIES)
_ORDER_STATUS = _Weighted((("closed", 6), ("open", 4)))
_PAYMENT_STATUS = _Weighted(
    (("paid", 90), ("refunded", 4), ("partially_refunded", 3), ("pending", 3))
)
_NUMBER_COUNT = _Weighted(((1, 75), (0, 10), (2, 12), (3, 3)))
_QUANTITY = _Weighted(((1, 70), (2, 20), (3, 7), (5, 3)))
_ORDER_LINES = _Weighted(((1, 60), (2, 25), (3, 10), (4, 5)))
_QUANTITIES = (1, 2, 3, 5)


class _Product:
    """A catalog entry and its line-item templates, per quantity, in both shapes."""

    __slots__ = ("index", "shopify", "unified")

    def __init__(self, index: int, fields: Record) -> None:
        self.index = index
        variant = fields["variant_title"]
        price = fields["price"]
        self.unified: dict[int, Record] = {}
        self.shopify: dict[int, Record] = {}
        for quantity in _QUANTITIES:
            self.unified[quantity] = {
                "remote_id": None,
                "product_id": str(fields["product_id"]),
                "variant_id": str(fields["variant_id"]),
                "sku": fields["sku"],
                "title": fields["title"],
                "quantity": quantity,
                "price": price,
                "total": f"{float(price) * quantity:.2f}",
                "fulfillment_status": "fulfilled",
                "requires_shipping": True,
                "taxable": True,
                "weight": fields["grams"] / 1000,
                "variant_title": variant,
                "vendor": fields["vendor"],
            }
            self.shopify[quantity] = {
                "id": None,
                "admin_graphql_api_id": None,
                "fulfillable_quantity": 0,
                "fulfillment_service": "manual",
                "fulfillment_status": "fulfilled",
                "gift_card": fields["sku"] == "GIFT-000",
                "grams": fields["grams"],
                "name": fields["title"] if variant is None else f"{fields['title']} - {variant}",
                "price": price,
                "product_exists": True,
                "product_id": fields["product_id"],
                "properties": [],
                "quantity": quantity,
                "requires_shipping": True,
                "sku": fields["sku"],
                "taxable": True,
                "title": fields["title"],
                "total_discount": "0.00",
                "variant_id": fields["variant_id"],
                "variant_inventory_management": "shopify",
                "variant_title": variant,
                "vendor": fields["vendor"],
                "tax_lines": [],
                "duties": [],
                "discount_allocations": [],
            }


class _Builder:
    """Holds the per-dataset context while records are generated."""

    def __init__(self, n: int, seed: int, list_items: bool, tolerance_mappings: bool) -> None:
        self.n = n
        self.seed = seed
        self.list_items = list_items
        self.tolerance_mappings = tolerance_mappings
        self.rng = random.Random(seed)
        rng = self.rng
        self.local = _LocalClock(ZoneInfo(rng.choice(_TIMEZONES)))
        self.catalog = self._catalog()
        self.by_sku = {product.unified[1]["sku"]: product for product in self.catalog}
        self.location_id = rng.randrange(60_000_000_000, 80_000_000_000)
        self.order_ids: list[str] = []
        self.order_created: list[int] = []
        self.order_fulfilled: list[bool] = []
        self.order_shopify_id: list[int] = []
        self.customers: list[str] = []
        self._order_items_cache: dict[int, list[Record]] = {}
        self._order_cents: dict[int, tuple[int, int, int, int]] = {}  # total, discount, ...
        self.order_table: RecordTable
        # (order position or -1, sequence in the order, created ms, modified ms)
        self.fulfillment_meta: list[tuple[int, int, int, int]] = []

    def _catalog(self) -> list[_Product]:
        rng = self.rng
        catalog: list[_Product] = []
        product_id = rng.randrange(7_000_000_000_000, 7_100_000_000_000)
        variant_id = rng.randrange(40_000_000_000_000, 41_000_000_000_000)
        for adjective in _ADJECTIVES:
            for noun, cents, grams in _NOUNS:
                product_id += rng.randrange(1, 5_000_000)
                variant = rng.choice(_VARIANTS)
                variant_id += rng.randrange(1, 5_000_000)
                price = cents + rng.choice((-500, -100, 0, 0, 300, 700)) - 1
                fields = {
                    "title": f"{adjective} {noun}",
                    "variant_title": None if variant == "Default Title" else variant,
                    "sku": f"{noun[:3].upper()}-{adjective[:3].upper()}-{len(catalog):03d}",
                    "vendor": rng.choice(_VENDORS),
                    "product_id": product_id,
                    "variant_id": variant_id,
                    "price": f"{price / 100:.2f}",
                    "grams": grams,
                }
                catalog.append(_Product(len(catalog), fields))
        gift = {
            "title": _FORMULA_TITLE,
            "variant_title": None,
            "sku": "GIFT-000",
            "vendor": _VENDORS[0],
            "product_id": product_id + 1,
            "variant_id": variant_id + 1,
            "price": "25.00",
            "grams": 0,
        }
        catalog.append(_Product(len(catalog), gift))
        return catalog

    def _product(self, uniform: float) -> _Product:
        """A catalog product; the formula-titled gift card is rare (0.4%)."""
        if uniform < 0.004:
            return self.catalog[-1]
        return self.catalog[int((uniform - 0.004) / 0.996 * (len(self.catalog) - 1))]

    def _unified_item(self, rng: _Random, remote_id: int) -> Record:
        product = self._product(rng.random())
        item = dict(product.unified[_QUANTITY.draw(rng.random())])
        item["remote_id"] = str(remote_id)
        return item

    def _shopify_item(self, item: Record) -> Record:
        line = dict(self.by_sku[item["sku"]].shopify[item["quantity"]])
        line_id = int(item["remote_id"])
        line["id"] = line_id
        line["admin_graphql_api_id"] = f"gid://shopify/LineItem/{line_id}"
        return line

    # ---- fulfillment columns ------------------------------------------------------------
    def _tracking(self, rng: random.Random) -> tuple[str | None, list[str] | None, Any]:
        carrier, family = _CARRIER.draw(rng.random())
        count = _NUMBER_COUNT.draw(rng.random())
        url_chance = 0.9
        if family is None:
            if rng.random() < 0.5:
                count = 0
            family = _REAL_FAMILIES[int(rng.random() * len(_REAL_FAMILIES))]
            url_chance = 0.4
        elif family == "other":
            family = rng.choice((*_REAL_FAMILIES, "custom"))
            url_chance = 0.2
        elif family == "custom":
            url_chance = 0.25
        numbers = [tracking_number(rng, family) for _ in range(count)]
        template = TRACKING_URLS.get(family, "https://track.example-courier.com/{}")
        urls = [template.format(number) for number in numbers] if rng.random() < url_chance else []
        roll = rng.random()
        if urls and roll < 0.08:
            urls.pop()  # a number without its URL
        elif numbers and roll < 0.12:
            urls.append(f"https://www.17track.net/en/track?nums={numbers[0]}")  # an extra URL
        numbers_out = numbers if numbers or rng.random() < 0.6 else None
        urls_out = urls if urls or rng.random() < 0.6 else None
        return carrier, numbers_out, urls_out

    def _field_mappings(self, uniform: float, pick: float) -> Record:
        """80% ``{}``; else a flat all-string mapping (unicode keys and formula-like values
        among them), or with ``tolerance_mappings`` sometimes a non-string one."""
        table: Sequence[Record]
        if uniform < 0.80:
            return {}
        if uniform < 0.95:
            tolerant = self.tolerance_mappings and uniform >= 0.93
            table = _TOLERANCE_MAPPINGS if tolerant else _FLAT_MAPPINGS
        elif uniform < 0.97:
            table = _UNICODE_MAPPINGS
        else:
            table = _FORMULA_MAPPINGS
        return copy.deepcopy(table[int(pick * len(table))])

    # ---- the two tables ---------------------------------------------------------------
    def build(self) -> Dataset:
        # The draws happen in this order (times, orders, fulfillments): the same seed gives
        # the same records, so the steps must not be reordered.
        created = self._created_times()
        order_created, order_fulfilled, fulfillment_order = self._order_plan(created)
        order_position = self._orders(order_created, order_fulfilled)
        self.order_table = RecordTable(
            self.order_ids,
            [_iso_ms(ms) for ms in self.order_created],
            self._order_body,
            self._order_remote_data,
        )
        fulfillments = self._fulfillments(created, fulfillment_order, order_position)
        fulfillment_table = RecordTable(
            [record["id"] for record in fulfillments],
            [record["created_at"] for record in fulfillments],
            fulfillments,
            self._fulfillment_remote_data(fulfillments),
        )
        return Dataset(self.n, self.seed, fulfillment_table, self.order_table)

    def _created_times(self) -> list[int]:
        """The fulfillments' ``created_at`` (ms), sorted; a few share a timestamp."""
        rng = self.rng
        start, span = _EPOCH_START_MS + 4 * _DAY_MS, _SPAN_MS - 4 * _DAY_MS
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
                order_created.append(ms - 1_200_000 - int(rng.random() * 4 * _DAY_MS))
                order_fulfilled.append(1)
                fulfillment_order.append(len(order_created) - 1)
        for _ in range(max(1, self.n // 20)):
            order_created.append(_EPOCH_START_MS + int(rng.random() * _SPAN_MS))
            order_fulfilled.append(0)
        return order_created, order_fulfilled, fulfillment_order

    def _fulfillments(
        self, created: list[int], fulfillment_order: list[int], order_position: list[int]
    ) -> list[Record]:
        """The fulfillment records (remote data aside, drawn lazily); fills
        :attr:`fulfillment_meta` alongside."""
        rng = self.rng
        fulfillments: list[Record] = []
        meta = self.fulfillment_meta
        sequence: dict[int, int] = {}
        shopify_id = rng.randrange(4_500_000_000_000, 4_600_000_000_000)
        uuid4, iso, tracking, mappings = _uuid4, _iso_ms, self._tracking, self._field_mappings
        random_ = rng.random
        list_items, order_ids = self.list_items, self.order_ids
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
            modified = ms if random_() < 0.5 else ms + 1 + int(random_() * 60 * _DAY_MS)
            meta.append((position, seq, ms, modified))
            carrier, numbers, urls = tracking(rng)
            roll = random_()
            items: Any = {} if roll < 0.92 else None
            if list_items and roll >= 0.96:
                items = [self._unified_item(rng, int(random_() * 10**13)) for _ in range(2)]
            fulfillments.append(
                {
                    "id": uuid4(rng),
                    "carrier": carrier,
                    "tracking_urls": urls,
                    "tracking_numbers": numbers,
                    "items": items,
                    "order_id": order_id,
                    "field_mappings": mappings(random_(), random_()),
                    "remote_id": str(shopify_id),
                    "created_at": iso(ms),
                    "modified_at": iso(modified),
                }
            )
        return fulfillments

    def _orders(self, created: list[int], fulfilled: list[int]) -> list[int]:
        """Lay out the orders in list order; return each order's position in it.

        Only what other records refer to is drawn here (id, time, numbers); the rest of an
        order is drawn by :meth:`_order_body` when first asked for.
        """
        rng = self.rng
        random_ = rng.random
        by_time = sorted(range(len(created)), key=created.__getitem__)
        position = [0] * len(created)
        for rank, original in enumerate(by_time):
            position[original] = rank
        shopify_id = rng.randrange(5_600_000_000_000, 5_700_000_000_000)
        self.customers = [_uuid4(rng) for _ in range(max(1, len(created) // 3))]
        for original in by_time:
            shopify_id += 1_000 + int(random_() * 3_000_000)
            self.order_shopify_id.append(shopify_id)
            self.order_ids.append(_uuid4(rng))
            self.order_created.append(created[original])
            self.order_fulfilled.append(fulfilled[original] > 0)
        return position

    def _order_items(self, index: int) -> list[Record]:
        """An order's line items (their own draw stream: fulfillments need only these)."""
        items = self._order_items_cache.get(index)
        if items is None:
            draws = _Draws(self.seed, self.order_ids[index], stream=1)
            shopify_id = self.order_shopify_id[index]
            items = self._order_items_cache[index] = [
                self._unified_item(draws, shopify_id * 10 + k)
                for k in range(_ORDER_LINES.draw(draws.random()))
            ]
        return items

    def _order_body(self, index: int) -> Record:
        """The unified order: no ``items`` key and whole-number totals, as Panora serves it
        (the exact cents stay in ``remote_data``, as Shopify's decimal strings)."""
        order_id = self.order_ids[index]
        random_ = _Draws(self.seed, order_id).random
        shopify_id = self.order_shopify_id[index]
        subtotal = sum(round(float(item["total"]) * 100) for item in self._order_items(index))
        discount = round(subtotal * (0.0, 0.0, 0.0, 0.1, 0.15)[int(random_() * 5)])
        shipping = (0, 499, 750, 1200)[int(random_() * 4)]
        tax = round((subtotal - discount) * (0.0, 0.0, 0.0725, 0.2)[int(random_() * 4)])
        total = subtotal - discount + shipping + tax
        cents = self._order_cents[index] = (total, discount, shipping, tax)
        ms = self.order_created[index]
        status = "cancelled" if random_() < 0.03 else _ORDER_STATUS.draw(random_())
        customers = self.customers
        customer = customers[int(random_() * len(customers))] if random_() < 0.95 else None
        whole = [_whole_units(value) for value in cents]
        return {
            "id": order_id,
            "order_status": status,
            "order_number": str(1001 + index),
            "payment_status": _PAYMENT_STATUS.draw(random_()),
            "currency": _CURRENCY.draw(random_()),
            "total_price": whole[0],
            "total_discount": whole[1],
            "total_shipping": whole[2],
            "total_tax": whole[3],
            "fulfillment_status": "fulfilled" if self.order_fulfilled[index] else None,
            "customer_id": customer,
            "field_mappings": self._field_mappings(random_(), random_()),
            "remote_id": str(shopify_id),
            "created_at": _iso_ms(ms),
            "modified_at": _iso_ms(ms + int(random_() * 30 * _DAY_MS)),
        }

    # ---- lazily built Shopify payloads --------------------------------------------------
    def _fulfillment_remote_data(self, base: list[Record]) -> Callable[[int], Record]:
        def build(index: int) -> Record:
            record = base[index]
            draws = _Draws(self.seed, record["id"])
            position, seq, created_ms, modified_ms = self.fulfillment_meta[index]
            if position >= 0:
                order_items = self._order_items(position)
                shopify_order_id = self.order_shopify_id[position]
                number = 1001 + position
                if seq > 1 or (len(order_items) > 1 and draws.random() < 0.3):
                    first = draws.below(len(order_items))  # a split shipment: some lines only
                    order_items = order_items[first : first + 1 + draws.below(2)]
            else:
                order_items = []
                for _ in range(1 + draws.below(3)):
                    product = self._product(draws.random())
                    item = dict(product.unified[_QUANTITY.draw(draws.random())])
                    item["remote_id"] = str(56_000_000_000_000 + draws.below(10**12))
                    order_items.append(item)
                shopify_order_id = 5_600_000_000_000 + draws.below(10**11)
                number = 1001 + draws.below(max(1, self.n))
            numbers = record["tracking_numbers"] or []
            urls = record["tracking_urls"] or []
            created_ms -= 60_000 + draws.below(6 * _HOUR_MS)  # Shopify's time precedes the sync
            updated_ms = min(created_ms + draws.below(9 * _DAY_MS), modified_ms)
            shopify_id = int(record["remote_id"])
            return {
                "id": shopify_id,
                "admin_graphql_api_id": f"gid://shopify/Fulfillment/{shopify_id}",
                "created_at": self.local(created_ms),
                "location_id": self.location_id,
                "name": f"#{number}.{seq}",
                "order_id": shopify_order_id,
                "origin_address": {},
                "receipt": {},
                "service": "manual",
                "shipment_status": _SHIPMENT_STATUS.draw(draws.random()),
                "status": _STATUS.draw(draws.random()),
                "tracking_company": record["carrier"],
                "tracking_number": numbers[0] if numbers else None,
                "tracking_numbers": list(numbers),
                "tracking_url": urls[0] if urls else None,
                "tracking_urls": list(urls),
                "updated_at": self.local(max(updated_ms, created_ms)),
                "line_items": [self._shopify_item(item) for item in order_items],
            }

        return build

    def _order_remote_data(self, index: int) -> Record:
        record = self.order_table.body(index)
        draws = _Draws(self.seed, record["id"])
        shopify_id = int(record["remote_id"])
        created_ms = _iso_ms_to_ms(record["created_at"]) - 1_000 - draws.below(600_000)
        status = record["order_status"]
        total, discount, shipping, tax = self._order_cents[index]
        closed = self.local(created_ms + _DAY_MS) if status == "closed" else None
        cancelled = self.local(created_ms + _HOUR_MS) if status == "cancelled" else None
        return {
            "id": shopify_id,
            "admin_graphql_api_id": f"gid://shopify/Order/{shopify_id}",
            "name": f"#{record['order_number']}",
            "order_number": int(record["order_number"]),
            "created_at": self.local(created_ms),
            "updated_at": self.local(_iso_ms_to_ms(record["modified_at"])),
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
            "line_items": [self._shopify_item(item) for item in self._order_items(index)],
        }


def make_dataset(
    n: int = 500, *, seed: int = 0, list_items: bool = False, tolerance_mappings: bool = False
) -> Dataset:
    """Build ``n`` fulfillments (and their orders), the same for the same arguments.

    Args:
        n: number of fulfillments (orders are about ``0.9 * n``).
        seed: seed of the one ``random.Random`` everything is drawn from.
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
        return _Builder(n, seed, list_items, tolerance_mappings).build()
