"""Real-format tracking numbers with valid check digits, and the carriers' tracking URLs.

The sandbox's data must look like what merchants type into Shopify, because a later feature
detects the carrier from the tracking number alone. So every generated number follows the
carrier's published format and carries a correct check digit:

========================  ==========================================  =========================
carrier                   format                                      check digit
========================  ==========================================  =========================
UPS                       ``1Z`` + 6 shipper + 2 service + 7 package  mod 10, odd positions x2,
                                                                      letters as (ord - 3) % 10
USPS (IMpb)               22 digits starting ``92``/``93``/``94``     mod 10, weights 3,1,3,...
FedEx Express             12 digits                                   weights 3,1,7; mod 11 mod 10
DHL Express               10 digits                                   first 9 digits mod 7
UPU S10 (Royal Mail, La   2 letters + 8 digits + check + country      weights 8,6,4,2,3,5,9,7;
Poste, Canada Post, ...)  (``RR123456785GB``)                         mod 11 (10 -> 0, 11 -> 5)
DHL eCommerce             ``GM`` + 16 digits                          none
========================  ==========================================  =========================

The check-digit rules and the ``is_valid_*`` validators live in :mod:`fulfillkit.carriers.detect`
(where carrier detection uses them) and are re-exported here: the sandbox makes numbers
with the same published rules that the library checks, and the tests check both against
the carriers' own published examples.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable

# A sorted import list, so `duplicates` pairs it with carriers/__init__.py's: names, not logic.
from fulfillkit.carriers import (
    dhl_express_check_digit,
    fedex_check_digit,
    gs1_check_digit,
    is_valid_dhl_express,
    is_valid_fedex_express,
    is_valid_s10,
    is_valid_ups,
    is_valid_usps_impb,
    s10_check_digit,
    ups_check_digit,
)

__all__ = [
    "TRACKING_URLS",
    "is_valid_dhl_express",
    "is_valid_fedex_express",
    "is_valid_s10",
    "is_valid_ups",
    "is_valid_usps_impb",
    "make_dhl_ecommerce",
    "make_dhl_express",
    "make_fedex_express",
    "make_s10",
    "make_ups",
    "make_usps_impb",
    "tracking_number",
]

_ALNUM = string.ascii_uppercase + string.digits
_UPS_SERVICES = ("01", "02", "03", "03", "03", "12", "13", "42", "66", "A8")
_USPS_PREFIXES = ("9400111", "9400136", "9405511", "9205590", "9261290", "9361289", "9374889")
_S10_SERVICES = ("RR", "RN", "RX", "LX", "CP", "EE")


def _digits(rng: random.Random, count: int) -> str:
    return str(rng.randrange(10**count)).zfill(count)


def make_ups(rng: random.Random) -> str:
    """A UPS ``1Z`` number (18 characters)."""
    shipper = "".join(rng.choices(_ALNUM, k=6))
    body = shipper + rng.choice(_UPS_SERVICES) + _digits(rng, 7)
    return f"1Z{body}{ups_check_digit(body)}"


def make_usps_impb(rng: random.Random) -> str:
    """A USPS Intelligent Mail package barcode number (22 digits)."""
    prefix = rng.choice(_USPS_PREFIXES)
    body = prefix + _digits(rng, 21 - len(prefix))
    return f"{body}{gs1_check_digit(body)}"


def make_fedex_express(rng: random.Random) -> str:
    """A FedEx Express number (12 digits)."""
    body = str(rng.randrange(10**10, 10**11))
    return f"{body}{fedex_check_digit(body)}"


def make_dhl_express(rng: random.Random) -> str:
    """A DHL Express waybill number (10 digits)."""
    body = str(rng.randrange(10**8, 10**9))
    return f"{body}{dhl_express_check_digit(body)}"


def make_s10(rng: random.Random, country: str) -> str:
    """A UPU S10 item identifier such as ``RR123456785GB``."""
    serial = _digits(rng, 8)
    return f"{rng.choice(_S10_SERVICES)}{serial}{s10_check_digit(serial)}{country}"


def make_dhl_ecommerce(rng: random.Random) -> str:
    """A DHL eCommerce ``GM`` number (no check digit in this format)."""
    return "GM" + _digits(rng, 16)


def _make_custom(rng: random.Random) -> str:
    return rng.choice(("BC", "LC", "SP", "")) + _digits(rng, rng.choice((8, 10, 12)))


_MAKERS: dict[str, Callable[[random.Random], str]] = {
    "ups": make_ups,
    "usps": make_usps_impb,
    "fedex": make_fedex_express,
    "dhl": make_dhl_express,
    "dhl_ecommerce": make_dhl_ecommerce,
    "royal_mail": lambda rng: make_s10(rng, "GB"),
    "canada_post": lambda rng: make_s10(rng, "CA"),
    "la_poste": lambda rng: make_s10(rng, "FR"),
    "colissimo": lambda rng: make_s10(rng, "FR"),
    "australia_post": lambda rng: make_s10(rng, "AU"),
    "custom": _make_custom,
}

#: URL template per carrier family (``{}`` is the tracking number), as Shopify fills them in.
TRACKING_URLS: dict[str, str] = {
    "ups": "https://www.ups.com/track?tracknum={}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={}",
    "dhl": "https://www.dhl.com/en/express/tracking.html?AWB={}&brand=DHL",
    "dhl_ecommerce": "https://webtrack.dhlecs.com/orders?trackingNumber={}",
    "royal_mail": "https://www.royalmail.com/track-your-item#/tracking-results/{}",
    "canada_post": "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={}",
    "la_poste": "https://www.laposte.fr/outils/suivre-vos-envois?code={}",
    "colissimo": "https://www.laposte.fr/outils/suivre-vos-envois?code={}",
    "australia_post": "https://auspost.com.au/mypost/track/#/details/{}",
}


def tracking_number(rng: random.Random, family: str) -> str:
    """A number in ``family``'s format (``family`` is a key of the carrier table)."""
    return _MAKERS[family](rng)
