"""What a sandbox shop's records are made of: carriers, statuses, products, mappings.

The tables hold the spellings and weights seen in Shopify data through Panora (free-text
carriers spelt many ways, Shopify's fulfillment statuses, a small apparel catalog, flat
all-string ``field_mappings`` with unicode and formula-like values); the helpers draw from
them with one uniform float each, so a draw costs one call to a random source.

Changing a table or the order of draws in a helper changes every dataset: the tests pin a
digest of ``make_dataset(300, seed=3)``.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Sequence
from typing import Any

from fulfillkit.sandbox.draws import RandomSource, Weighted
from fulfillkit.sandbox.tracking import TRACKING_URLS, tracking_number

__all__ = [
    "CARRIER",
    "CURRENCY",
    "FAMILY_OF_CARRIER",
    "FINAL_SHIPMENT_STATUSES",
    "FINAL_STATUSES",
    "FRESH_SHIPMENT_STATUS",
    "FRESH_STATUS",
    "ORDER_LINES",
    "ORDER_STATUS",
    "PAYMENT_STATUS",
    "QUANTITY",
    "SHIPMENT_STATUS",
    "STATUS",
    "TIMEZONES",
    "Product",
    "Record",
    "build_catalog",
    "draw_field_mappings",
    "draw_tracking",
    "pick_product",
    "tracking_for",
    "unified_item",
]

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
FAMILY_OF_CARRIER: dict[str | None, str | None] = {s: f for s, f, _ in _CARRIERS}
"""The carrier family behind each spelling (``" UPS "`` -> ``"ups"``; None -> None)."""

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
FINAL_SHIPMENT_STATUSES = frozenset({"delivered", "failure"})
"""Shopify ``shipment_status`` values after which a parcel never moves again."""
FINAL_STATUSES = frozenset({"cancelled", "error", "failure"})
"""Shopify fulfillment ``status`` values that end a fulfillment whatever its parcel does."""

TIMEZONES = ("America/New_York", "America/Los_Angeles", "America/Chicago", "Europe/London")
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

CARRIER = Weighted([((spelling, family), weight) for spelling, family, weight in _CARRIERS])
STATUS = Weighted(_STATUSES)
SHIPMENT_STATUS = Weighted(_SHIPMENT_STATUSES)
# A fulfillment Panora has just synced for the first time: its parcel has barely moved.
FRESH_STATUS = Weighted(
    (("success", 93), ("pending", 2), ("open", 2), ("cancelled", 2), ("error", 1))
)
FRESH_SHIPMENT_STATUS: Weighted[str | None] = Weighted(
    ((None, 60), ("label_printed", 18), ("confirmed", 15), ("in_transit", 7))
)
CURRENCY = Weighted(_CURRENCIES)
ORDER_STATUS = Weighted((("closed", 6), ("open", 4)))
PAYMENT_STATUS = Weighted(
    (("paid", 90), ("refunded", 4), ("partially_refunded", 3), ("pending", 3))
)
_NUMBER_COUNT = Weighted(((1, 75), (0, 10), (2, 12), (3, 3)))
QUANTITY = Weighted(((1, 70), (2, 20), (3, 7), (5, 3)))
ORDER_LINES = Weighted(((1, 60), (2, 25), (3, 10), (4, 5)))
_QUANTITIES = (1, 2, 3, 5)
# Share of tracking numbers given a URL, by what the merchant typed as the carrier (the
# family of FAMILY_OF_CARRIER); a real carrier's family gets _KNOWN_URL_CHANCE.
_URL_CHANCE = {None: 0.4, "other": 0.2, "custom": 0.25}
_KNOWN_URL_CHANCE = 0.9


class Product:
    """A catalog entry and its line-item templates, per quantity, in both shapes.

    ``unified[q]`` is Panora's line item (``remote_id`` still None), ``shopify[q]`` Shopify's
    (``id`` still None): callers copy a template and fill in the line's id.
    """

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


def build_catalog(rng: random.Random) -> list[Product]:
    """The shop's 64 products plus a formula-titled gift card (always last), from ``rng``."""
    catalog: list[Product] = []
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
            catalog.append(Product(len(catalog), fields))
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
    catalog.append(Product(len(catalog), gift))
    return catalog


def draw_tracking(rng: random.Random) -> tuple[str | None, list[str] | None, Any]:
    """``(carrier, tracking_numbers, tracking_urls)`` as a merchant leaves them in Shopify.

    A known carrier, a misspelt one, ``"Other"``, a courier nobody has heard of, or none;
    0-3 numbers in the carrier's real format; URLs parallel, sometimes one short or one
    extra; an empty list sometimes ``null``.
    """
    carrier, family = CARRIER.draw(rng.random())
    count = _NUMBER_COUNT.draw(rng.random())
    # The chance goes by the family typed, before a real one is drawn for None / "other".
    url_chance = _URL_CHANCE.get(family, _KNOWN_URL_CHANCE)
    if family is None:
        if rng.random() < 0.5:
            count = 0
        family = _REAL_FAMILIES[int(rng.random() * len(_REAL_FAMILIES))]
    elif family == "other":
        family = rng.choice((*_REAL_FAMILIES, "custom"))
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


def tracking_for(rng: random.Random, carrier: str | None) -> tuple[str, str | None]:
    """One tracking number a merchant adds later for ``carrier``, and its URL or None.

    The number is in the carrier's real format (a random real carrier's when the merchant
    typed none or ``"Other"``).

    Example:
        >>> number, url = tracking_for(random.Random(0), "UPS")
        >>> number.startswith("1Z")
        True
    """
    family = FAMILY_OF_CARRIER.get(carrier, "custom")
    url_chance = _URL_CHANCE.get(family, _KNOWN_URL_CHANCE)
    if family is None or family == "other":
        family = _REAL_FAMILIES[int(rng.random() * len(_REAL_FAMILIES))]
    number = tracking_number(rng, family)
    template = TRACKING_URLS.get(family, "https://track.example-courier.com/{}")
    return number, template.format(number) if rng.random() < url_chance else None


def draw_field_mappings(uniform: float, pick: float, *, tolerant: bool) -> Record:
    """80% ``{}``; else a flat all-string mapping (unicode keys and formula-like values
    among them), or with ``tolerant`` sometimes a non-string one.

    Example:
        >>> draw_field_mappings(0.5, 0.5, tolerant=False)
        {}
    """
    table: Sequence[Record]
    if uniform < 0.80:
        return {}
    if uniform < 0.95:
        table = _TOLERANCE_MAPPINGS if tolerant and uniform >= 0.93 else _FLAT_MAPPINGS
    elif uniform < 0.97:
        table = _UNICODE_MAPPINGS
    else:
        table = _FORMULA_MAPPINGS
    return copy.deepcopy(table[int(pick * len(table))])


def pick_product(catalog: Sequence[Product], uniform: float) -> Product:
    """A catalog product; the formula-titled gift card (last) is rare (0.4%)."""
    if uniform < 0.004:
        return catalog[-1]
    return catalog[int((uniform - 0.004) / 0.996 * (len(catalog) - 1))]


def unified_item(catalog: Sequence[Product], rng: RandomSource, remote_id: int) -> Record:
    """A Panora line item for a product and quantity drawn from ``rng``."""
    product = pick_product(catalog, rng.random())
    item = dict(product.unified[QUANTITY.draw(rng.random())])
    item["remote_id"] = str(remote_id)
    return item
